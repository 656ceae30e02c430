using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MogileFS.Store;
using MogileFS.Store.Schema;
using MogileFS.Tracker.Commands;
using MogileFS.Tracker.Configuration;
using MogileFS.Tracker.Runtime;
using MogileFS.Tracker.Server;

namespace MogileFS.Tracker;

/// <summary>
/// The tracker: opens the database (schema check unless NoSchemaCheck), loads the metadata cache,
/// runs the command families' start hooks and listens on every <c>listen</c> address.
/// </summary>
public sealed class TrackerServer : IAsyncDisposable
{
    private readonly TrackerOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<ClientConnection, Task> _connections = new();
    private readonly List<Socket> _listeners = new();
    private readonly List<Task> _background = new();
    private readonly object _stopGate = new();
    private readonly Dictionary<IPAddress, int> _perIp = new();
    private Task? _stopTask;
    private long _queries;
    private TrackerRuntime? _runtime;
    private StorageNodeClientHolder? _nodes;
    private Jobs.JobHost? _jobs;

    public TrackerServer(TrackerOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        Logger = loggerFactory.CreateLogger("MogileFS.Tracker");
        Commands = TrackerCommands.CreateDefault();
        Scheduler = new QueryScheduler(options.QueryJobs);
        Metrics.ObserveServer(() => _connections.Count, () => Scheduler.Running, () => Scheduler.Limit,
            () => Scheduler.Pending, () => Volatile.Read(ref Scheduler.TimesOutOfWorkers));
    }

    /// <summary>The tracker's instruments (exported on the status port, docs/metrics.md).</summary>
    public TrackerMetrics Metrics { get; } = new();

    /// <summary>Open client connections.</summary>
    public int ConnectionCount => _connections.Count;

    internal ILogger Logger { get; }
    internal CommandTable Commands { get; }
    internal QueryScheduler Scheduler { get; }
    internal RecentQueries Recent { get; } = new();
    internal TrackerRuntime Runtime => _runtime ?? throw new InvalidOperationException("tracker not started");
    internal long QueryCount => Interlocked.Read(ref _queries);
    internal int MaxReplyBytes => _options.MaxReplyBytes;
    internal void CountQuery() => Interlocked.Increment(ref _queries);

    /// <summary>The tracker-wide services (for tests and hosts that add jobs).</summary>
    public TrackerRuntime Services => Runtime;

    public IReadOnlyList<IPEndPoint> EndPoints { get; private set; } = Array.Empty<IPEndPoint>();

    /// <summary>Longest request line accepted (longer ones get <c>ERR line_too_long</c>; docs/tracker.md).</summary>
    public const int MaxRequestLineBytes = ClientConnection.MaxLineBytes;

    /// <summary>Completes on StopAsync or !shutdown.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Opens the DB (schema check unless NoSchemaCheck), binds all listen addresses, returns when listening.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        var dsn = DatabaseDsn.Parse(_options.DbDsn);
        if (!_options.NoSchemaCheck)
            await SchemaInstaller.EnsureCompatibleAsync(dsn, _options.DbUser, _options.DbPass, ct).ConfigureAwait(false);

        // Microsoft.Data.Sqlite runs synchronously even behind async calls, so up to query_jobs
        // pool threads can be inside SQLite at once: have them ready instead of waiting for the
        // thread pool's slow injection (which shows up as multi-millisecond p99 spikes).
        ThreadPool.GetMinThreads(out int minWorkers, out int minIo);
        int want = Math.Min(256, _options.QueryJobs + 2 * Environment.ProcessorCount);
        if (minWorkers < want) ThreadPool.SetMinThreads(want, minIo);

        var store = MetadataStore.Open(dsn, _options.DbUser, _options.DbPass,
            new StoreOptions
            {
                MaxConnections = Math.Clamp(_options.QueryJobs, 4, 32),
                WriteTimeout = TimeSpan.FromSeconds(_options.DbWriteTimeoutSeconds),
                ReconnectWait = TimeSpan.FromSeconds(Math.Max(0, _options.DbReconnectWaitSeconds)),
            });
        try
        {
            _nodes = new StorageNodeClientHolder(MogileFS.Tracker.Storage.StorageNodeClient.For(_options));
            var rt = new TrackerRuntime(_options, store, _loggerFactory, _nodes.Client) { Stopping = _stop.Token, Metrics = Metrics };
            _runtime = rt;
            await rt.Metadata.ReloadAsync(ct).ConfigureAwait(false);
            RegisterJobs(rt);
            foreach (var name in new[] { "work_queue_for_delete", "work_queue_for_fsck", "work_queue_for_replicate",
                         "work_sent_to_delete", "work_sent_to_fsck", "work_sent_to_replicate" })
                rt.Jobs.Counters.TryAdd(name, 0);
            Commands.Freeze();
            foreach (var hook in Commands.StartHooks) await hook(rt, ct).ConfigureAwait(false);

            var endpoints = ListenAddress.Resolve(_options.Listen, _options.ConfPort);
            var bound = new List<IPEndPoint>();
            foreach (var ep in endpoints)
            {
                var s = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    s.Bind(ep);
                    s.Listen(1024);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
                _listeners.Add(s);
                bound.Add((IPEndPoint)s.LocalEndPoint!);
                Log.Listening(Logger, s.LocalEndPoint!);
            }
            EndPoints = bound;
            foreach (var l in _listeners) _background.Add(AcceptLoopAsync(l));
            // The monitor job (started below) completes the monitor rounds that create_open,
            // do_monitor_round and !want wait for; the cache refresher must not pre-empt its first one.
            rt.Monitor.DrivenByMonitorJob = true;
            _background.Add(rt.Metadata.RunRefresherAsync(rt.Monitor, _stop.Token));
            _background.Add(WatchdogAsync());
            // Background jobs (docs/jobs.md): monitor now, the workers after its first round.
            _jobs = Jobs.JobHost.Start(rt, _stop.Token);
        }
        catch
        {
            foreach (var l in _listeners) l.Dispose();
            _listeners.Clear();
            _nodes?.Dispose();
            await store.DisposeAsync().ConfigureAwait(false);
            _runtime = null;
            throw;
        }
    }

    private void RegisterJobs(TrackerRuntime rt)
    {
        var qw = rt.Jobs.Get(JobKind.QueryWorker);
        void SyncWorkers(JobInfo j)
        {
            Scheduler.Limit = j.Desired;
            j.SetWorkerCount(j.Desired);
        }
        SyncWorkers(qw);
        qw.DesiredChanged += SyncWorkers;
        // The other job classes of the catalogue report their workers when the job host runs them.
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            Socket s;
            try
            {
                s = await listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                if (ct.IsCancellationRequested) return;
                Log.AcceptFailed(Logger, e.Message, e);
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false); // e.g. EMFILE: don't spin
                continue;
            }
            try
            {
                s.NoDelay = true;
                s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            }
            catch (SocketException) { /* peer already gone */ }
            var ip = PeerAddress(s);
            if (!TryCountConnection(ip))
            {
                Metrics.ConnectionsRefused.Add(1);
                _ = RefuseAsync(s, ip);
                continue;
            }
            Metrics.ConnectionsAccepted.Add(1);
            var conn = new ClientConnection(this, s, ct);
            _connections[conn] = RunConnectionAsync(conn, ip);
        }
    }

    private async Task RunConnectionAsync(ClientConnection conn, IPAddress? ip)
    {
        await Task.Yield();
        try
        {
            await conn.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(conn, out _);
            UncountConnection(ip);
        }
    }

    private static IPAddress? PeerAddress(Socket s)
    {
        try
        {
            var ip = (s.RemoteEndPoint as IPEndPoint)?.Address;
            return ip is { IsIPv4MappedToIPv6: true } ? ip.MapToIPv4() : ip;
        }
        catch (SocketException) { return null; }
        catch (ObjectDisposedException) { return null; }
    }

    /// <summary>max_conns_per_ip: counts the connection, or false when its address already holds the limit.</summary>
    private bool TryCountConnection(IPAddress? ip)
    {
        if (ip == null || _options.MaxConnsPerIp <= 0) return true;
        lock (_perIp)
        {
            _perIp.TryGetValue(ip, out int n);
            if (n >= _options.MaxConnsPerIp) return false;
            _perIp[ip] = n + 1;
            return true;
        }
    }

    private void UncountConnection(IPAddress? ip)
    {
        if (ip == null || _options.MaxConnsPerIp <= 0) return;
        lock (_perIp)
        {
            if (!_perIp.TryGetValue(ip, out int n)) return;
            if (n <= 1) _perIp.Remove(ip);
            else _perIp[ip] = n - 1;
        }
    }

    private static readonly byte[] TooManyConnections =
        "ERR too_many_connections Too+many+connections+from+your+address\r\n"u8.ToArray();

    private async Task RefuseAsync(Socket s, IPAddress? ip)
    {
        Log.ClosingConnection(Logger, ip == null ? null : new IPEndPoint(ip, 0), $"more than {_options.MaxConnsPerIp} connections from this address");
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await s.SendAsync(TooManyConnections, SocketFlags.None, cts.Token).ConfigureAwait(false);
            s.Shutdown(SocketShutdown.Send);
        }
        catch (Exception) { /* the client went away or does not read */ }
        finally { s.Dispose(); }
    }

    /// <summary>Slow-reader watchdog (§2.1): a connection whose reply could not be written for
    /// slow_reader_timeout (120 s) is closed.</summary>
    private async Task WatchdogAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Clamp(SlowReaderTimeout.TotalSeconds / 4, 0.1, 5)));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                long now = Environment.TickCount64;
                foreach (var c in _connections.Keys)
                {
                    long started = c.FlushStartedTicks;
                    if (started != 0 && now - started > SlowReaderTimeout.TotalMilliseconds)
                    {
                        Log.ClosingConnection(Logger, c.Remote, $"reply not written for {SlowReaderTimeout.TotalSeconds:0.#} s (slow reader)");
                        c.Abort();
                    }
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private TimeSpan SlowReaderTimeout => TimeSpan.FromSeconds(_options.SlowReaderTimeoutSeconds);

    internal void ReportCommandFailure(string command, Exception e)
    {
        Log.CommandFailed(Logger, command, e.Message, e);
        Runtime.Errors.Publish($"[queryworker({Environment.ProcessId})] Error running command '{command}': {e.Message}");
    }

    private Dashboard.TrackerDashboard? _dashboard;

    /// <summary>The web dashboard of this tracker (created on first use, after StartAsync; its backlog
    /// sampler runs from then until the tracker stops). The status endpoint serves its pages.</summary>
    public Dashboard.TrackerDashboard Dashboard
    {
        get
        {
            lock (_stopGate)
            {
                if (_dashboard is null)
                {
                    _dashboard = new Dashboard.TrackerDashboard(Runtime, new Dashboard.LocalCommands(Commands, Runtime, ReportCommandFailure));
                    _dashboard.Start();
                }
                return _dashboard;
            }
        }
    }

    /// <summary>!shutdown: stop without waiting for the caller.</summary>
    internal void RequestShutdown() => _ = StopAsync();

    public Task StopAsync()
    {
        lock (_stopGate)
        {
            return _stopTask ??= StopCoreAsync();
        }
    }

    private async Task StopCoreAsync()
    {
        await Task.Yield();
        Log.Stopping(Logger);
        try { _stop.Cancel(); } catch (AggregateException) { }
        foreach (var l in _listeners)
        {
            try { l.Close(); } catch { /* closing */ }
        }
        foreach (var c in _connections.Keys) c.Abort();
        try
        {
            await Task.WhenAll(_background.Concat(_connections.Values)).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception) { /* timeouts/cancellations while stopping are expected */ }
        if (_dashboard != null) await _dashboard.DisposeAsync().ConfigureAwait(false);
        if (_jobs != null) await _jobs.StopAsync().ConfigureAwait(false);
        _runtime?.Jobs.StopAll();
        if (_runtime != null) await _runtime.Store.DisposeAsync().ConfigureAwait(false);
        _nodes?.Dispose();
        _completion.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
        Metrics.Dispose();
    }

    private sealed class StorageNodeClientHolder(MogileFS.Tracker.Storage.StorageNodeClient client) : IDisposable
    {
        public MogileFS.Tracker.Storage.StorageNodeClient Client { get; } = client;
        public void Dispose() => Client.Dispose();
    }
}
