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

    public GatewayMetrics()
    {
        Name = LatencyHistogram.InstanceName(MeterName, ref _instances);
        Meter = new Meter(Name);
        RequestDuration = new LatencyHistogram("mogilefs_gateway_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by S3 operation (ShortUrl for short URLs) and HTTP status",
            "operation", "status", LatencyHistogram.SecondsBuckets);
    }

    public string Name { get; }
    public Meter Meter { get; }

    /// <summary>Requests by operation and status (recorded per request, so not an OpenTelemetry instrument: see
    /// <see cref="LatencyHistogram"/>).</summary>
    public LatencyHistogram RequestDuration { get; }

    /// <summary>Instruments read when scraped: the content cache's size and the count <see cref="S3.FastGet"/> keeps
    /// anyway (no second record per answer).</summary>
    public void Observe(S3.ObjectCache cache, S3.FastGet? fastGet)
    {
        Meter.CreateObservableGauge("mogilefs.gateway.content_cache.bytes", () => cache.ContentBytes, "By",
            "Bytes of small files kept in the content cache");
        Meter.CreateObservableCounter("mogilefs.gateway.fast_get.answers", () => fastGet?.Answered ?? 0, null,
            "GETs and HEADs answered by the gateway's transport without Kestrel (fast_get)");
    }

    public void Dispose() => Meter.Dispose();
}
