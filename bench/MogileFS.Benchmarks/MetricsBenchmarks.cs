using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using MogileFS.Hosting.Status;
using MogileFS.StorageNode.Metrics;
using MogileFS.Tracker.Runtime;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace MogileFS.Benchmarks;

/// <summary>
/// What recording a request costs on the hot path (docs/metrics.md, "Cost"): with no status port
/// (instruments disabled) and with one (the OpenTelemetry SDK listening, as on /metrics), from
/// one thread. Compare with the CPU time per request of bench/tracker and bench/storage.
/// </summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private TrackerMetrics _trackerOff = null!, _trackerOn = null!;
    private StorageNodeMetrics _nodeOff = null!, _nodeOn = null!;
    private MeterProvider _provider = null!;
    private long _elapsed;
    // What the request histograms cost before they left the SDK: an OpenTelemetry histogram, 2 labels.
    private System.Diagnostics.Metrics.Meter _otelMeter = null!;
    private System.Diagnostics.Metrics.Histogram<double> _otelHistogram = null!;

    [GlobalSetup]
    public void Setup()
    {
        _trackerOff = new TrackerMetrics();
        _trackerOn = new TrackerMetrics();
        _nodeOff = new StorageNodeMetrics();
        _nodeOn = new StorageNodeMetrics();
        _otelMeter = new System.Diagnostics.Metrics.Meter("MogileFS.Benchmarks.Otel");
        _otelHistogram = _otelMeter.CreateHistogram<double>("bench.request.duration", "s");
        _provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(_trackerOn.Name, _nodeOn.Name, _otelMeter.Name)
            .AddView(i => i.Unit == "s" ? new ExplicitBucketHistogramConfiguration { Boundaries = StatusEndpoint.SecondsBuckets } : null)
            .AddPrometheusExporter()
            .Build();
        _trackerOn.ExportRequests(); // the request histograms record once a status port exports them
        _nodeOn.ExportRequests();
        _elapsed = Stopwatch.Frequency / 5000; // a 200 µs request
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _provider.Dispose();
        _otelMeter.Dispose();
        _trackerOn.Dispose();
        _trackerOff.Dispose();
        _nodeOn.Dispose();
        _nodeOff.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void TrackerRequest_no_status_port() => _trackerOff.RecordRequest("get_paths", null, _elapsed);

    [Benchmark]
    public void TrackerRequest_status_port_on() => _trackerOn.RecordRequest("get_paths", null, _elapsed);

    [Benchmark]
    public void OpenTelemetry_histogram_two_labels() =>
        _otelHistogram.Record(0.0002, new TagList { { "command", "get_paths" }, { "result", "ok" } });

    [Benchmark]
    public void TrackerRequest_error_status_port_on() => _trackerOn.RecordRequest("get_paths", "unknown_key", _elapsed);

    [Benchmark]
    public void StorageRequest_no_status_port()
    {
        _nodeOff.RecordRequest("GET", 200, _elapsed);
        _nodeOff.CountBytes(1024, 0, true);
    }

    [Benchmark]
    public void StorageRequest_status_port_on()
    {
        _nodeOn.RecordRequest("GET", 200, _elapsed);
        _nodeOn.CountBytes(1024, 0, true);
    }
}
