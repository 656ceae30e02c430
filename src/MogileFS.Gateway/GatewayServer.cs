using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MogileFS.Gateway.Mogile;
using MogileFS.Gateway.S3;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway;

/// <summary>
/// The gateway process minus its shell: Kestrel with one terminal request handler (the
/// <see cref="S3Router"/>; no MVC, no routing middleware), the MogileFS access and the store.
/// Start with <see cref="StartAsync"/>; <see cref="EndPoint"/> is the bound address (port 0 picks one).
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private readonly GatewayOptions _options;
    private readonly ILoggerFactory _loggers;
    private WebApplication? _app;
    private MogileAccess? _mogile;
    private GatewayStore? _store;
    private Timer? _sweeper;
    private Timer? _uploadExpiry;
    private readonly GatewayMetrics _metrics = new();
    private MogileFS.Hosting.Status.StatusEndpoint? _status;

    /// <summary>The status port's address (null when <c>status_listen</c> is unset or not started).</summary>
    public IPEndPoint? StatusEndPoint => _status?.BoundEndPoint;

    public GatewayServer(GatewayOptions options, ILoggerFactory? loggers = null)
    {
        options.Validate();
        _options = options;
        _loggers = loggers ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
    }

    public GatewayContext Context { get; private set; } = null!;
    public S3Router Router { get; private set; } = null!;

    /// <summary>The handler of GETs answered below Kestrel; null when <c>fast_get</c> is off.</summary>
    public FastGet? FastGet { get; private set; }

    /// <summary>Called after the router exists and before the listener opens (front ends register here).</summary>
    public Action<GatewayServer>? Configure { get; set; }

    /// <summary>The address the gateway listens on.</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>http://ip:port of the gateway.</summary>
    public string Url => $"http://{(EndPoint.Address.Equals(IPAddress.Any) ? "127.0.0.1" : EndPoint.Address.ToString())}:{EndPoint.Port}";

    public async Task StartAsync(CancellationToken ct = default)
    {
        _store = GatewayStore.Open(_options);
        await _store.EnsureSchemaAsync(ct).ConfigureAwait(false);
        _mogile = new MogileAccess(_options);
        Context = new GatewayContext(_options, _mogile, _store, _loggers) { Metrics = _metrics };
        if (_mogile.Local is { } local) local.Log = Context.Log;
        Router = new S3Router(Context);
        if (ShortUrls.ShortUrlHandler.FromOptions(_options, _mogile) is { } shortUrls) Router.FrontEnds.Add(shortUrls);
        Configure?.Invoke(this);

        var listen = ParseListen(_options.Listen);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        // Our socket transport (registered last, so Kestrel takes it): sendfile for local copies (local_storage).
        builder.Services.AddSingleton<IConnectionListenerFactory, Transport.SpliceTransportFactory>();
        // Cached small GETs answered by the transport itself, without Kestrel (fast_get).
        if (_options.FastGet)
        {
            FastGet = new FastGet(Context, Router);
            builder.Services.AddSingleton<Transport.IFastRequestHandler>(FastGet);
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null; // sizes are checked per operation (5 GiB PUT, ...)
            k.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(30));
            k.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            // Header values (x-amz-meta-*) are bytes to S3: keep them as they came, both ways.
            k.RequestHeaderEncodingSelector = _ => Encoding.Latin1;
            k.ResponseHeaderEncodingSelector = _ => Encoding.Latin1;
            k.Listen(listen);
        });
        _app = builder.Build();
        var router = Router;
        _app.Run(router.HandleAsync);
        await _app.StartAsync(ct).ConfigureAwait(false);

        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses?.FirstOrDefault() is { } a && Uri.TryCreate(a, UriKind.Absolute, out var uri))
            EndPoint = new IPEndPoint(listen.Address, uri.Port);
        GatewayLog.Listening(Context.Log, EndPoint.ToString());

        if (!string.IsNullOrEmpty(_options.StatusListen)) await StartStatusAsync(_options.StatusListen, ct).ConfigureAwait(false);

        // Rows of files deleted or replaced outside S3 are ignored at once; this only reclaims their space.
        _sweeper = new Timer(_ => _ = SweepAsync(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10));
        _uploadExpiry = new Timer(_ => _ = Router.Multipart.ExpireAsync(CancellationToken.None), null, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10));
    }

    /// <summary>The status port: /metrics (docs/metrics.md), /healthz, /readyz (the database and a tracker answer).</summary>
    private async Task StartStatusAsync(string listen, CancellationToken ct)
    {
        var o = new MogileFS.Hosting.Status.StatusEndpointOptions { Listen = listen, Component = "moggateway", LoggerFactory = _loggers };
        o.Meters.Add(_metrics.Name);
        _metrics.Observe(Context.Cache, FastGet);
        o.TextMetrics.Add(_metrics.RequestDuration.Export());
        var store = Context.Store;
        var mogile = Context.Mogile;
        o.Readiness.Add(new("database", async c =>
        {
            try { await store.ListDomainsAsync(c).ConfigureAwait(false); return null; }
            catch (Exception e) when (e is not OperationCanceledException) { return e.Message; }
        }));
        o.Readiness.Add(new("trackers", async c =>
        {
            try { await mogile.SendAsync("noop", MogileFS.Client.Tracker.RequestSafety.Idempotent, c).ConfigureAwait(false); return null; }
            catch (Exception e) when (e is not OperationCanceledException) { return e.Message; }
        }));
        var status = new MogileFS.Hosting.Status.StatusEndpoint(o);
        await status.StartAsync(ct).ConfigureAwait(false);
        _status = status;
    }

    private async Task SweepAsync()
    {
        try
        {
            long cutoff = Context.Clock.GetUtcNow().AddMinutes(-10).ToUnixTimeMilliseconds();
            int n = await Context.Store.SweepAsync(cutoff, CancellationToken.None).ConfigureAwait(false);
            if (n > 0) GatewayLog.Swept(Context.Log, n);
        }
        catch (Exception e) { GatewayLog.SweepFailed(Context.Log, e.Message); }
    }

    public static IPEndPoint ParseListen(string listen)
    {
        if (!IPEndPoint.TryParse(listen, out var ep))
        {
            int colon = listen.LastIndexOf(':');
            if (colon > 0 && int.TryParse(listen[(colon + 1)..], out int port) && port is >= 0 and <= 65535)
            {
                var host = listen[..colon];
                var addr = host is "*" or "" ? IPAddress.Any : host == "localhost" ? IPAddress.Loopback : null;
                if (addr != null) return new IPEndPoint(addr, port);
            }
            throw new GatewayConfigException($"listen: expected ip:port, got '{listen}'");
        }
        return ep;
    }

    public async Task StopAsync()
    {
        if (_sweeper != null) await _sweeper.DisposeAsync().ConfigureAwait(false);
        _sweeper = null;
        if (_uploadExpiry != null) await _uploadExpiry.DisposeAsync().ConfigureAwait(false);
        _uploadExpiry = null;
        if (_app != null) await _app.StopAsync().ConfigureAwait(false);
        if (_status != null) await _status.DisposeAsync().ConfigureAwait(false);
        _status = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_app != null) await _app.DisposeAsync().ConfigureAwait(false);
        _app = null;
        _mogile?.Dispose();
        _metrics.Dispose();
        if (_store != null) await _store.DisposeAsync().ConfigureAwait(false);
    }
}
