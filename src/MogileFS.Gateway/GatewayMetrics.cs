using System.Diagnostics.Metrics;
using MogileFS.Core.Metrics;

namespace MogileFS.Gateway;

/// <summary>
/// The gateway's instruments, exported on its status port (<c>status_listen</c>, docs/metrics.md). Every label set is
/// bounded: operations come from the router's table, statuses are HTTP status codes; never a bucket or a key. With no
/// status port nothing listens and recording returns at once.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "MogileFS.Gateway";
    private static int _instances;
    private static readonly string[] StatusText = Enumerable.Range(0, 600).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public GatewayMetrics()
    {
        int n = Interlocked.Increment(ref _instances);
        Name = n == 1 ? MeterName : $"{MeterName}.{n}";
        Meter = new Meter(Name);
        RequestDuration = new LatencyHistogram("mogilefs_gateway_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by S3 operation (ShortUrl for short URLs) and HTTP status",
            "operation", "status", LatencyHistogram.SecondsBuckets);
        FastAnswers = Meter.CreateCounter<long>("mogilefs.gateway.fast_get.answers", null,
            "GETs and HEADs answered by the gateway's transport without Kestrel (fast_get)");
    }

    public string Name { get; }
    public Meter Meter { get; }

    /// <summary>Requests by operation and status (recorded per request, so not an OpenTelemetry instrument: see
    /// <see cref="LatencyHistogram"/>).</summary>
    public LatencyHistogram RequestDuration { get; }

    public Counter<long> FastAnswers { get; }

    public static string Status(int code) => (uint)code < (uint)StatusText.Length ? StatusText[code] : code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Turns recording of <see cref="RequestDuration"/> on and returns its writer (for the status port).</summary>
    public Action<System.Text.StringBuilder> ExportRequests()
    {
        RequestDuration.Enabled = true;
        return RequestDuration.WriteTo;
    }

    /// <summary>Gauges read when scraped.</summary>
    public void ObserveCache(S3.ObjectCache cache) =>
        Meter.CreateObservableGauge("mogilefs.gateway.content_cache.bytes", () => cache.ContentBytes, "By",
            "Bytes of small files kept in the content cache");

    public void Dispose() => Meter.Dispose();
}
