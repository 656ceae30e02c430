using System.Globalization;
using System.Net;
using MogileFS.StorageNode.Http;
using MogileFS.StorageNode.IoStat;
using MogileFS.StorageNode.Native;
using MogileFS.StorageNode.SideChannel;
using MogileFS.StorageNode.Usage;
using Microsoft.Extensions.Logging;

namespace MogileFS.StorageNode;

/// <summary>
/// A storage node in-process: HTTP file server, side channel, usage writer and iostat
/// feed, all in this one process (2.73 used child processes for the last two; the test
/// suite only needs HTTP and side channel to live in the PID it started).
/// </summary>
public sealed class StorageNodeServer : IAsyncDisposable
{
    private readonly StorageNodeOptions _options;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DocRoot? _root;
    private HttpService? _http;
    private SideChannelServer? _side;
    private IoStatMonitor? _ioStat;
    private UsageWriter? _usage;
    private int _stopState; // 0 running, 1 stopping
    private Task? _stopTask;

    public StorageNodeServer(StorageNodeOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _logger = loggerFactory.CreateLogger("mogstored");
        _accessLog = options.AccessLog ? loggerFactory.CreateLogger("mogstored.access") : null;
    }

    private readonly ILogger? _accessLog;

    /// <summary>The node's instruments (exported on the status port, docs/metrics.md).</summary>
    public Metrics.StorageNodeMetrics Metrics { get; } = new();

    /// <summary>Actual HTTP endpoint (port 0 resolved). Valid after <see cref="StartAsync"/>.</summary>
    public IPEndPoint HttpEndPoint => _http?.EndPoint ?? throw new InvalidOperationException("not started");

    /// <summary>Actual side-channel endpoint. Valid after <see cref="StartAsync"/>.</summary>
    public IPEndPoint MgmtEndPoint => _side?.EndPoint ?? throw new InvalidOperationException("not started");

    /// <summary>Completes once the node has stopped (StopAsync, or <c>shutdown</c> on the side channel).</summary>
    public Task Completion => _completion.Task;

    /// <summary>Runs one usage-file round now (tests; the writer also runs on its own timer).</summary>
    public Task WriteUsageNowAsync() => (_usage ?? new UsageWriter(_options, _logger)).RunRoundAsync();

    /// <summary>Parses <c>ip:port</c>, <c>host:port</c> or a bare port (all addresses).</summary>
    public static IPEndPoint ParseListen(string value, string what)
    {
        value = value.Trim();
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int bare) && bare <= 65535)
            return new IPEndPoint(IPAddress.Any, bare);
        int colon = value.LastIndexOf(':');
        if (colon > 0 && int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535)
        {
            string host = value[..colon].Trim('[', ']');
            if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
            if (host == "*" || host.Length == 0) return new IPEndPoint(IPAddress.Any, port);
            try
            {
                var addrs = Dns.GetHostAddresses(host);
                var v4 = addrs.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addrs.FirstOrDefault();
                if (v4 != null) return new IPEndPoint(v4, port);
            }
            catch (System.Net.Sockets.SocketException) { }
        }
        throw new ArgumentException($"Invalid {what} address '{value}' (expected ip:port or port)");
    }

    /// <summary>Binds both listeners and starts the background writers. Returns when both
    /// listeners accept connections.</summary>
    public Task StartAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var httpEp = ParseListen(_options.HttpListen, "httplisten");
        var mgmtEp = ParseListen(_options.MgmtListen, "mgmtlisten");
        string docroot = _options.DocRoot.Length > 1 ? _options.DocRoot.TrimEnd('/') : _options.DocRoot;
        _options.DocRoot = docroot;
        if (!Directory.Exists(docroot))
            throw new DirectoryNotFoundException($"Docroot {docroot} does not exist");

        _root = new DocRoot(docroot, useOpenat2: !_options.DisableOpenat2);
        try
        {
            if (_options.IoStat) _ioStat = new IoStatMonitor(_options, _logger);
            if (!string.Equals(_options.Server, "none", StringComparison.OrdinalIgnoreCase))
            {
                _http = new HttpService(_options, _root, _logger) { Metrics = Metrics, AccessLog = _accessLog };
                var http = _http;
                Metrics.ObserveConnections(() => http.ConnectionCount);
                _http.Start(httpEp);
            }
            else
            {
                _http = null;
            }
            _side = new SideChannelServer(_options, _root, _logger, _ioStat, OnShutdownCommand);
            _side.Start(mgmtEp);
        }
        catch
        {
            _ = StopCoreAsync(TimeSpan.Zero);
            throw;
        }
        _ioStat?.Start();
        if (_options.UsageInterval > TimeSpan.Zero)
        {
            _usage = new UsageWriter(_options, _logger) { Metrics = Metrics };
            _usage.Start();
        }
        Log.Started(_logger, _http?.EndPoint ?? (EndPoint)new IPEndPoint(IPAddress.None, 0), _side.EndPoint, docroot);
        return Task.CompletedTask;
    }

    private Task OnShutdownCommand(SideChannelShutdown s)
    {
        if (s.Graceful) return StopCoreAsync(s.Timeout ?? TimeSpan.FromDays(1));
        _ = StopCoreAsync(TimeSpan.Zero);
        return Task.CompletedTask;
    }

    /// <summary>Graceful stop: no new connections; requests in flight get
    /// <see cref="StorageNodeOptions.ShutdownGrace"/> to finish, then are aborted (uploads
    /// discarded, never half-written).</summary>
    public Task StopAsync() => StopCoreAsync(_options.ShutdownGrace);

    /// <summary>Immediate stop: abort everything in flight now.</summary>
    public Task AbortAsync() => StopCoreAsync(TimeSpan.Zero);

    private Task StopCoreAsync(TimeSpan grace)
    {
        lock (_completion)
        {
            if (_stopState != 0) return _stopTask ?? Task.CompletedTask;
            _stopState = 1;
            _stopTask = Task.Run(() => StopInternalAsync(grace));
            return _stopTask;
        }
    }

    private async Task StopInternalAsync(TimeSpan grace)
    {
        try
        {
            Log.Stopping(_logger, grace == TimeSpan.Zero ? "immediate" : "graceful", _http?.ConnectionCount ?? 0);
            var sideStop = _side?.StopAsync(closeConnections: false) ?? Task.CompletedTask;
            if (_http != null) await _http.StopAsync(grace).ConfigureAwait(false);
            await sideStop.ConfigureAwait(false);
            if (_side != null) await _side.StopAsync(closeConnections: true).ConfigureAwait(false);
            if (_usage != null) await _usage.DisposeAsync().ConfigureAwait(false);
            if (_ioStat != null) await _ioStat.DisposeAsync().ConfigureAwait(false);
            _root?.Dispose();
            Log.Stopped(_logger);
        }
        finally
        {
            _completion.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopCoreAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
    }
}
