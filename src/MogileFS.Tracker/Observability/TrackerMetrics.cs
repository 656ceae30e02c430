using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MogileFS.Tracker.Observability;

/// <summary>
/// The tracker's own instruments (System.Diagnostics.Metrics), one set per <see cref="TrackerServer"/>.
/// Recording is a few interlocked operations with no allocation; with no listener (status port
/// off) an instrument is disabled and recording returns at once. Values read from the database
/// (queues, files per class) are gauges observed from <see cref="ClusterSampler"/>'s cache, never
/// queried on a request path. Every label set is bounded: command names come from the command
/// table, error codes from the code, devices and classes from the cluster's own metadata.
/// </summary>
public sealed class TrackerMetrics : IDisposable
{
    /// <summary>The meter name as exported (the first tracker of a process; tests that run
    /// several trackers in one process get a numbered meter each).</summary>
    public const string MeterName = "MogileFS.Tracker";

    private static int _instances;
    private readonly ConcurrentDictionary<string, string> _codes = new(StringComparer.Ordinal);

    public TrackerMetrics()
    {
        int n = Interlocked.Increment(ref _instances);
        Name = n == 1 ? MeterName : $"{MeterName}.{n}";
        Meter = new Meter(Name);
        RequestDuration = Meter.CreateHistogram<double>("mogilefs.tracker.request.duration", "s",
            "Time from reading a query to writing its reply, by command and result (ok or the ERR code)");
        ConnectionsAccepted = Meter.CreateCounter<long>("mogilefs.tracker.connections.accepted", null,
            "Client connections accepted");
        ConnectionsRefused = Meter.CreateCounter<long>("mogilefs.tracker.connections.refused", null,
            "Client connections refused (max_conns_per_ip)");
    }

    /// <summary>Gauges of the server's own state (connections, query workers), read when scraped.</summary>
    internal void Observe(TrackerServer server)
    {
        Meter.CreateObservableGauge("mogilefs.tracker.connections", () => server.ConnectionCount, null,
            "Open client connections");
        Meter.CreateObservableGauge("mogilefs.tracker.query.workers.busy", () => server.Scheduler.Running, null,
            "Queries running now (query_jobs slots in use)");
        Meter.CreateObservableGauge("mogilefs.tracker.query.workers.limit", () => server.Scheduler.Limit, null,
            "query_jobs: queries that may run at once");
        Meter.CreateObservableGauge("mogilefs.tracker.query.queue.length", () => server.Scheduler.Pending, null,
            "Queries waiting for a free query worker");
        Meter.CreateObservableCounter("mogilefs.tracker.query.out_of_workers", () => Volatile.Read(ref server.Scheduler.TimesOutOfWorkers), null,
            "Times a query had to wait because every query worker was busy");
    }

    public string Name { get; }
    public Meter Meter { get; }
    public Histogram<double> RequestDuration { get; }
    public Counter<long> ConnectionsAccepted { get; }
    public Counter<long> ConnectionsRefused { get; }

    /// <summary>Records one query: <paramref name="errorCode"/> null for OK.</summary>
    public void RecordRequest(string command, string? errorCode, long startTimestamp)
    {
        if (!RequestDuration.Enabled) return;
        var tags = new TagList { { "command", command }, { "result", errorCode == null ? "ok" : Bounded(errorCode) } };
        RequestDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
    }

    // Error codes are string literals of the tracker; still, never let a label set grow without bound.
    private string Bounded(string code)
    {
        if (_codes.TryGetValue(code, out var known)) return known;
        if (_codes.Count >= 64 || code.Length > 40) return "other";
        return _codes.GetOrAdd(code, code);
    }

    public void Dispose() => Meter.Dispose();
}
