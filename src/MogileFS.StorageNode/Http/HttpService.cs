using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MogileFS.StorageNode.Native;
using Microsoft.Extensions.Logging;

namespace MogileFS.StorageNode.Http;

/// <summary>
/// The HTTP side of the node: accepts connections, enforces the connection limit, sweeps
/// idle/stalled connections (Perlbal's 30 s rule) and coordinates a graceful stop:
/// idle keep-alive connections are closed at once, busy ones finish their request, and
/// whatever is still running when the grace period ends is aborted (an aborted upload
/// removes its temporary file, so nothing partial is left behind).
///
/// Limits against clients that hold connections without using them (docs/security.md): at most
/// maxconns connections, at most maxconns_per_ip from one address (both refused with 503), a
/// request head must be complete within header_timeout of its first byte, and an upload body must
/// keep up body_min_rate after body_timeout. The sweeper enforces the time limits.
/// </summary>
internal sealed class HttpService
{
    private readonly ConcurrentDictionary<HttpConnection, byte> _connections = new();
    private readonly Dictionary<IPAddress, int> _perIp = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private Timer? _sweeper;
    private int _count;

    public HttpService(StorageNodeOptions options, DocRoot root, ILogger logger)
    {
        Options = options;
        Root = root;
        Logger = logger;
        Pid = Libc.GetPid();
        NoTmpfile = options.DisableTmpfile || !Directory.Exists("/proc/self/fd"); // an unnamed upload is named through /proc
    }

    public StorageNodeOptions Options { get; }
    public DocRoot Root { get; }
    public ILogger Logger { get; }
    public int Pid { get; }
    public volatile bool Stopping;

    /// <summary>Set once a docroot's file system refused O_TMPFILE: uploads then use named temp files.</summary>
    public volatile bool NoTmpfile;

    /// <summary>Set once copy_file_range(2) is missing (kernel, seccomp): joins copy through memory.</summary>
    public volatile bool NoCopyFileRange;

    /// <summary>Request instruments (docs/metrics.md).</summary>
    public Metrics.StorageNodeMetrics? Metrics { get; init; }

    /// <summary>The access log (null: off).</summary>
    public ILogger? AccessLog { get; init; }

    /// <summary>
    /// True when the runtime runs socket continuations on its epoll threads
    /// (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1, which mogstored sets): requests are then
    /// served without a thread hop, and handlers move anything that may wait for the disk
    /// (page-cache misses, sendfile of large bodies, uploads, deletes) to the thread pool.
    /// </summary>
    public bool InlineCompletions { get; } = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1";

    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Any, 0);

    public int ConnectionCount => Volatile.Read(ref _count);

    public void Start(IPEndPoint endPoint)
    {
        var s = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(endPoint);
        s.Listen(1024);
        _listener = s;
        EndPoint = (IPEndPoint)s.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoopAsync);
        long shortest = Math.Min(Options.IdleTimeout.Ticks, Math.Min(Options.HeaderTimeout.Ticks, Options.BodyTimeout.Ticks));
        var period = TimeSpan.FromTicks(Math.Clamp(shortest / 6, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(5).Ticks));
        _sweeper = new Timer(_ => Sweep(), null, period, period);
    }

    private async Task AcceptLoopAsync()
    {
        var listener = _listener!;
        while (!Stopping)
        {
            Socket s;
            try
            {
                s = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception) when (Stopping) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                if (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
                    await Task.Delay(10).ConfigureAwait(false);
                continue;
            }
            catch (Exception ex)
            {
                Log.AcceptFailed(Logger, ex);
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }

            s.NoDelay = true;
            if (Interlocked.Increment(ref _count) > Options.MaxConns)
            {
                Interlocked.Decrement(ref _count);
                Log.TooManyConnections(Logger, Options.MaxConns, SafeRemote(s));
                _ = RefuseAsync(s);
                continue;
            }
            var ip = (SafeRemote(s) as IPEndPoint)?.Address;
            if (!TryCountAddress(ip))
            {
                Interlocked.Decrement(ref _count);
                Log.TooManyConnectionsFromAddress(Logger, Options.EffectiveMaxConnsPerIp, ip);
                _ = RefuseAsync(s);
                continue;
            }
            var conn = new HttpConnection(this, s, ip);
            _connections[conn] = 0;
            if (Stopping) conn.CloseIfIdle();
            // Start the connection on the pool so the accept loop keeps accepting.
            ThreadPool.UnsafeQueueUserWorkItem(static c => _ = c.RunAsync(), conn, preferLocal: false);
        }
    }

    private static EndPoint? SafeRemote(Socket s)
    {
        try { return s.RemoteEndPoint; } catch (Exception) { return null; }
    }

    private static async Task RefuseAsync(Socket s)
    {
        try
        {
            var buf = new byte[ResponseWriter.SimpleOverhead + 64];
            int n = Write503(buf);
            await s.SendAsync(buf.AsMemory(0, n), SocketFlags.None).ConfigureAwait(false);
            s.Shutdown(SocketShutdown.Send);
        }
        catch (Exception) { }
        finally { s.Dispose(); }
    }

    private static int Write503(byte[] buf)
    {
        var w = new ResponseWriter(buf);
        w.Simple(503, "Too many connections"u8, keepAlive: false, withBody: true);
        return w.Position;
    }

    internal void Remove(HttpConnection c)
    {
        if (!_connections.TryRemove(c, out _)) return;
        Interlocked.Decrement(ref _count);
        if (c.ClientAddress is { } ip)
        {
            lock (_perIp)
            {
                if (_perIp.TryGetValue(ip, out int n))
                {
                    if (n <= 1) _perIp.Remove(ip);
                    else _perIp[ip] = n - 1;
                }
            }
        }
    }

    private bool TryCountAddress(IPAddress? ip)
    {
        if (ip == null) return true;
        lock (_perIp)
        {
            _perIp.TryGetValue(ip, out int n);
            if (n >= Options.EffectiveMaxConnsPerIp) return false;
            _perIp[ip] = n + 1;
            return true;
        }
    }

    private void Sweep()
    {
        long now = Environment.TickCount64;
        long idle = (long)Options.IdleTimeout.TotalMilliseconds;
        long head = (long)Options.HeaderTimeout.TotalMilliseconds;
        long body = (long)Options.BodyTimeout.TotalMilliseconds;
        double rate = Math.Max(1, Options.BodyMinRate);
        foreach (var c in _connections.Keys)
        {
            if (now - Volatile.Read(ref c.LastActivity) > idle)
            {
                c.Abort();
                continue;
            }
            long headStarted = Volatile.Read(ref c.HeadStarted);
            if (headStarted != 0 && now - headStarted > head)
            {
                Log.SlowClientClosed(Logger, c.ClientAddress, "request head not complete within header_timeout");
                c.Abort();
                continue;
            }
            long bodyStarted = Volatile.Read(ref c.BodyStarted);
            if (bodyStarted != 0 && now - bodyStarted > body + (long)(c.BodyReceived * 1000 / rate))
            {
                Log.SlowClientClosed(Logger, c.ClientAddress, "upload slower than body_min_rate");
                c.Abort();
            }
        }
    }

    /// <summary>Stops accepting; closes idle connections; waits up to <paramref name="grace"/>
    /// for busy ones, then aborts the rest and waits for their cleanup.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Stopping = true;
        try { _listener?.Dispose(); } catch (Exception) { }
        if (_acceptLoop != null) await _acceptLoop.ConfigureAwait(false);
        var deadline = Environment.TickCount64 + (long)grace.TotalMilliseconds;
        while (!_connections.IsEmpty)
        {
            foreach (var c in _connections.Keys) c.CloseIfIdle();
            if (Environment.TickCount64 >= deadline)
            {
                Log.GraceExpired(Logger, _connections.Count);
                foreach (var c in _connections.Keys) c.Abort();
                break;
            }
            await Task.Delay(20).ConfigureAwait(false);
        }
        // Aborted connections finish their cleanup (temp files) quickly.
        var end = Environment.TickCount64 + 5000;
        while (!_connections.IsEmpty && Environment.TickCount64 < end)
            await Task.Delay(10).ConfigureAwait(false);
        foreach (var c in _connections.Keys) c.ForceClose();
        if (_sweeper != null) await _sweeper.DisposeAsync().ConfigureAwait(false);
    }
}
