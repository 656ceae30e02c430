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
    private long _start;

    [GlobalSetup]
    public void Setup()
    {
        _trackerOff = new TrackerMetrics();
        _trackerOn = new TrackerMetrics();
        _nodeOff = new StorageNodeMetrics();
        _nodeOn = new StorageNodeMetrics();
        _provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(_trackerOn.Name, _nodeOn.Name)
            .AddView(i => i.Unit == "s" ? new ExplicitBucketHistogramConfiguration { Boundaries = StatusEndpoint.SecondsBuckets } : null)
            .AddPrometheusExporter()
            .Build();
        _trackerOn.ExportRequests(); // the request histograms record once a status port exports them
        _nodeOn.ExportRequests();
        _start = Stopwatch.GetTimestamp();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _provider.Dispose();
        _trackerOn.Dispose();
        _trackerOff.Dispose();
        _nodeOn.Dispose();
        _nodeOff.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void TrackerRequest_no_status_port() => _trackerOff.RecordRequest("get_paths", null, _start);

    [Benchmark]
    public void TrackerRequest_status_port_on() => _trackerOn.RecordRequest("get_paths", null, _start);

    [Benchmark]
    public void TrackerRequest_error_status_port_on() => _trackerOn.RecordRequest("get_paths", "unknown_key", _start);

    [Benchmark]
    public void StorageRequest_no_status_port()
    {
        _nodeOff.RecordRequest("GET", 200, _start);
        _nodeOff.CountBytes(1024, 0, true);
    }

    [Benchmark]
    public void StorageRequest_status_port_on()
    {
        _nodeOn.RecordRequest("GET", 200, _start);
        _nodeOn.CountBytes(1024, 0, true);
    }
}
