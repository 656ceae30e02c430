using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace MogileFS.Hosting.Status;

/// <summary>One readiness condition of <c>/readyz</c>: <see cref="Check"/> returns null when it
/// holds, else the reason (shown to the prober).</summary>
public sealed record ReadinessCheck(string Name, Func<CancellationToken, Task<string?>> Check);

/// <summary>What a process serves on its status port.</summary>
public sealed class StatusEndpointOptions
{
    /// <summary><c>ip:port</c> (port 0: any free port; see <see cref="StatusEndpoint.BoundEndPoint"/>).</summary>
    public required string Listen { get; init; }

    /// <summary>Program name (mogilefsd, mogstored), shown on <c>/</c>.</summary>
    public required string Component { get; init; }

    /// <summary>Names of the <see cref="System.Diagnostics.Metrics.Meter"/>s exported on <c>/metrics</c>.</summary>
    public List<string> Meters { get; } = [];

    /// <summary>Histogram bucket boundaries by instrument name (others get <see cref="StatusEndpoint.SecondsBuckets"/>
    /// when their unit is seconds, else the library's default).</summary>
    public Dictionary<string, double[]> HistogramBuckets { get; } = new(StringComparer.Ordinal);

    /// <summary>Metric families written in the Prometheus text format by the process itself, appended to
    /// what the OpenTelemetry exporter writes for <see cref="Meters"/> (the per-request latency
    /// histograms, which are too hot for the SDK's histogram: see MogileFS.Core.Metrics.LatencyHistogram).</summary>
    public List<Action<StringBuilder>> TextMetrics { get; } = [];

    /// <summary>Conditions of <c>/readyz</c>; each gets <see cref="ReadinessTimeout"/>.</summary>
    public List<ReadinessCheck> Readiness { get; } = [];

    public TimeSpan ReadinessTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>More routes (the tracker's dashboard adds its pages here).</summary>
    public List<Action<IEndpointRouteBuilder>> Routes { get; } = [];

    /// <summary>Services those routes need (optional).</summary>
    public List<Action<IServiceCollection>> Services { get; } = [];

    /// <summary>Where the HTTP server's own warnings go (null: nowhere).</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>
/// The optional HTTP status port of mogilefsd and mogstored (issue 13): <c>/metrics</c>
/// (Prometheus text format, from System.Diagnostics.Metrics instruments through the
/// OpenTelemetry SDK), <c>/healthz</c> (the process is up), <c>/readyz</c> (every readiness
/// check holds) and whatever <see cref="StatusEndpointOptions.Routes"/> add. A small Kestrel
/// server of its own, separate from the protocol listeners, so nothing here touches their hot paths.
/// </summary>
public sealed class StatusEndpoint(StatusEndpointOptions options) : IProcessEndpoint
{
    /// <summary>Latency buckets (seconds) for request histograms: 100 µs to 30 s.</summary>
    public static readonly double[] SecondsBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private RequestDelegate? _otelScrape;

    /// <summary>Series one metric may have (5 device states × 10,000 devices fit).</summary>
    public const int CardinalityLimit = 65536;

    private WebApplication? _app;

    public StatusEndpointOptions Options => options;

    /// <summary>The address actually bound (after <see cref="StartAsync"/>).</summary>
    public IPEndPoint? BoundEndPoint { get; private set; }

    /// <summary>Parses a <c>status_listen</c> value: <c>ip:port</c>, <c>[v6]:port</c>, or a bare port (all addresses).</summary>
    public static IPEndPoint ParseListen(string value)
    {
        string v = value.Trim();
        if (int.TryParse(v, out int bare) && bare is >= 0 and <= 65535) return new IPEndPoint(IPAddress.Any, bare);
        if (IPEndPoint.TryParse(v, out var ep) && v.Contains(':') && (v.LastIndexOf(':') > v.LastIndexOf(']')))
            return ep;
        throw new FormatException($"'{value}' is not an ip:port address");
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var listen = ParseListen(options.Listen);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = options.Component });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(listen);
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = 256;
            k.Limits.MaxRequestBodySize = 1 << 20;
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>(); // the process handles its own signals
        builder.Logging.ClearProviders();
        if (options.LoggerFactory is { } lf)
        {
            builder.Logging.AddProvider(new ForwardingLoggerProvider(lf));
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        }
        builder.Services.AddOpenTelemetry().WithMetrics(m =>
        {
            foreach (var meter in options.Meters) m.AddMeter(meter);
            // Per-device gauges of a large cluster exceed the SDK's default of 2000 series per metric.
            m.AddView(instrument =>
                options.HistogramBuckets.TryGetValue(instrument.Name, out var b)
                    ? new ExplicitBucketHistogramConfiguration { Boundaries = b, CardinalityLimit = CardinalityLimit }
                : instrument.Unit == "s" && instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal)
                    ? new ExplicitBucketHistogramConfiguration { Boundaries = SecondsBuckets, CardinalityLimit = CardinalityLimit }
                    : new MetricStreamConfiguration { CardinalityLimit = CardinalityLimit });
            m.AddPrometheusExporter(o =>
            {
                o.ScopeInfoEnabled = false;   // no otel_scope_* labels on every series
                o.TargetInfoEnabled = false;  // Prometheus' own target labels say which process it is
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            });
        });
        foreach (var s in options.Services) s(builder.Services);

        var app = builder.Build();
        app.UseRouting();
        // The OpenTelemetry exporter's middleware in a pipeline of its own, called by /metrics, which
        // appends the process's own text families (TextMetrics) to its output.
        _otelScrape = ((IEndpointRouteBuilder)app).CreateApplicationBuilder()
            .UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null, predicate: _ => true, path: null,
                configureBranchedPipeline: null, optionsName: null)
            .Build();
        app.MapGet("/metrics", MetricsAsync);
        app.MapMethods("/healthz", ["GET", "HEAD"], (HttpContext c) =>
        {
            c.Response.ContentType = "text/plain; charset=utf-8";
            c.Response.Headers.CacheControl = "no-store";
            return HttpMethods.IsHead(c.Request.Method) ? Task.CompletedTask : c.Response.WriteAsync("ok\n");
        });
        app.MapMethods("/readyz", ["GET", "HEAD"], ReadyAsync);
        foreach (var r in options.Routes) r(app);
        if (!options.Routes.Any())
            app.MapGet("/", (HttpContext c) => c.Response.WriteAsync($"{options.Component}: /metrics /healthz /readyz\n"));

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new StatusPortException($"Error creating the status port ({options.Listen}): {e.InnerException?.Message ?? e.Message}", e);
        }
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        BoundEndPoint = address != null && Uri.TryCreate(address, UriKind.Absolute, out var uri)
            ? new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port)
            : listen;
    }

    /// <summary>Runs every readiness check (in parallel, each with a timeout); 200 when all hold, else 503.
    /// The body lists each check as <c>ok name</c> or <c>fail name: reason</c>.</summary>
    public async Task<ReadinessResult> CheckReadinessAsync(CancellationToken ct)
    {
        var results = await Task.WhenAll(options.Readiness.Select(async c =>
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(options.ReadinessTimeout);
            try
            {
                return (c.Name, Reason: await c.Check(cts.Token).WaitAsync(cts.Token).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return (c.Name, Reason: (string?)$"no answer within {options.ReadinessTimeout.TotalSeconds:0.#} s");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return (c.Name, Reason: (string?)$"{e.GetType().Name}: {e.Message}");
            }
        })).ConfigureAwait(false);
        return new ReadinessResult(results.Select(r => (r.Name, r.Reason)).ToList());
    }

    private async Task MetricsAsync(HttpContext context)
    {
        // The exporter is asked for plain text format 0.0.4 (every Prometheus accepts it) without
        // compression, so that more families can follow; the whole answer is compressed here.
        var request = context.Request.Headers;
        bool gzip = request.AcceptEncoding.Any(v => v != null && v.Contains("gzip", StringComparison.OrdinalIgnoreCase));
        request.Accept = "text/plain; version=0.0.4";
        request.AcceptEncoding = "identity";
        var body = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await _otelScrape!(context).ConfigureAwait(false);
        }
        finally
        {
            context.Response.Body = body;
        }
        var response = context.Response;
        if (response.StatusCode == StatusCodes.Status200OK && options.TextMetrics.Count > 0)
        {
            var text = new StringBuilder();
            foreach (var write in options.TextMetrics) write(text);
            buffer.Write(Encoding.UTF8.GetBytes(text.ToString()));
        }
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentEncoding = default;
        buffer.Position = 0;
        if (gzip && buffer.Length > 1024)
        {
            using var zipped = new MemoryStream();
            using (var z = new System.IO.Compression.GZipStream(zipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
                buffer.CopyTo(z);
            response.Headers.ContentEncoding = "gzip";
            response.ContentLength = zipped.Length;
            zipped.Position = 0;
            await zipped.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        response.ContentLength = buffer.Length;
        await buffer.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task ReadyAsync(HttpContext context)
    {
        var r = await CheckReadinessAsync(context.RequestAborted).ConfigureAwait(false);
        var text = new StringBuilder();
        foreach (var (name, reason) in r.Checks)
            text.Append(reason == null ? $"ok {name}\n" : $"fail {name}: {reason.ReplaceLineEndings(" ")}\n");
        context.Response.StatusCode = r.Ready ? 200 : 503;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        if (!HttpMethods.IsHead(context.Request.Method))
            await context.Response.WriteAsync(text.ToString(), Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app == null) return;
        try
        {
            await _app.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync().ConfigureAwait(false);
        _app = null;
    }

    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class ForwardingLoggerProvider(ILoggerFactory factory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);
        public void Dispose() { }
    }
}

/// <summary>The status port could not be opened (address in use, not local, no permission).</summary>
public sealed class StatusPortException(string message, Exception inner) : IOException(message, inner);

/// <summary>The outcome of the readiness checks: each name with null (holds) or the reason it does not.</summary>
public sealed record ReadinessResult(IReadOnlyList<(string Name, string? Reason)> Checks)
{
    public bool Ready => Checks.All(c => c.Reason == null);
}
