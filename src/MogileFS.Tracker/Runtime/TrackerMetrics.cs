using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using MogileFS.Core.Metrics;

namespace MogileFS.Tracker.Runtime;

/// <summary>
/// The tracker's own instruments (System.Diagnostics.Metrics), one set per tracker.
/// Recording is a few interlocked operations with no allocation and no lock; with no listener
/// (status port off) an instrument is disabled and recording returns at once. Values read from
/// the database (queues, files per class) are gauges observed from a cache a periodic sampler
/// fills (Observability/ClusterSampler), never queried on a request path. Every label set is
/// bounded: command names come from the command table, results and event codes from the code,
/// devices and classes from the cluster's own metadata; never a key or a fid.
/// </summary>
public sealed class TrackerMetrics : IDisposable
{
    /// <summary>The meter name as exported (the first tracker of a process; tests that run
    /// several trackers in one process get a numbered meter each).</summary>
    public const string MeterName = "MogileFS.Tracker";

    private static int _instances;
    private readonly ConcurrentDictionary<string, string> _labels = new(StringComparer.Ordinal);

    public TrackerMetrics()
    {
        Name = LatencyHistogram.InstanceName(MeterName, ref _instances);
        Meter = new Meter(Name);
        RequestDuration = new LatencyHistogram("mogilefs_tracker_request_duration_seconds",
            "Time from reading a query to writing its reply, by command and result (ok or the ERR code)",
            "command", "result", LatencyHistogram.SecondsBuckets);
        ConnectionsAccepted = Meter.CreateCounter<long>("mogilefs.tracker.connections.accepted", null,
            "Client connections accepted");
        ConnectionsRefused = Meter.CreateCounter<long>("mogilefs.tracker.connections.refused", null,
            "Client connections refused (max_conns_per_ip)");
        Replications = Meter.CreateCounter<long>("mogilefs.replication.attempts", null,
            "Replication queue items worked on, by result (copied, or why not)");
        Copies = Meter.CreateCounter<long>("mogilefs.replication.copies", null,
            "Copies of a file from one device to another, by result (ok, error)");
        Deletes = Meter.CreateCounter<long>("mogilefs.delete.files", null,
            "Files whose copies the delete job removed, by result (ok, error)");
        FsckChecks = Meter.CreateCounter<long>("mogilefs.fsck.checks", null,
            "Files checked by fsck, by result (handled, stalled, error)");
        FsckEvents = Meter.CreateCounter<long>("mogilefs.fsck.events", null,
            "Problems fsck found and repaired or queued, by fsck_log event code (REPL, MISS, NOPA, ...)");
    }

    public string Name { get; }
    public Meter Meter { get; }
    /// <summary>Requests by command and result: recorded per query, so not an OpenTelemetry instrument
    /// (see <see cref="LatencyHistogram"/>); the status port writes it beside the meter's instruments.</summary>
    public LatencyHistogram RequestDuration { get; }
    public Counter<long> ConnectionsAccepted { get; }
    public Counter<long> ConnectionsRefused { get; }
    public Counter<long> Replications { get; }
    public Counter<long> Copies { get; }
    public Counter<long> Deletes { get; }
    public Counter<long> FsckChecks { get; }
    public Counter<long> FsckEvents { get; }

    /// <summary>Gauges of the server's own state (connections, query workers), read when scraped.</summary>
    internal void ObserveServer(Func<int> connections, Func<int> busy, Func<int> limit, Func<int> queued, Func<long> outOfWorkers)
    {
        Meter.CreateObservableGauge("mogilefs.tracker.connections", connections, null, "Open client connections");
        Meter.CreateObservableGauge("mogilefs.tracker.query.workers.busy", busy, null,
            "Queries running now (query_jobs slots in use)");
        Meter.CreateObservableGauge("mogilefs.tracker.query.workers.limit", limit, null,
            "query_jobs: queries that may run at once");
        Meter.CreateObservableGauge("mogilefs.tracker.query.queue.length", queued, null,
            "Queries waiting for a free query worker");
        Meter.CreateObservableCounter("mogilefs.tracker.query.out_of_workers", outOfWorkers, null,
            "Times a query had to wait because every query worker was busy");
    }

    /// <summary>Records one query that took <paramref name="elapsedTicks"/> (<see cref="Stopwatch"/> ticks):
    /// <paramref name="errorCode"/> null for OK.</summary>
    public void RecordRequest(string command, string? errorCode, long elapsedTicks)
    {
        if (!RequestDuration.Enabled) return;
        RequestDuration.RecordElapsed(command, errorCode == null ? "ok" : Bounded(errorCode), elapsedTicks);
    }

    /// <summary>Adds one to <paramref name="counter"/> with <c>result</c> (or <paramref name="label"/>) = <paramref name="value"/>.</summary>
    public void Count(Counter<long> counter, string value, string label = "result")
    {
        if (!counter.Enabled) return;
        counter.Add(1, new KeyValuePair<string, object?>(label, Bounded(value)));
    }

    // Results and codes are string literals of the tracker; still, never let a label set grow without bound.
    internal string Bounded(string value)
    {
        if (_labels.TryGetValue(value, out var known)) return known;
        if (_labels.Count >= 256 || value.Length > 40) return "other";
        return _labels.GetOrAdd(value, value);
    }

    /// <summary>Turns recording of the request histogram on and returns what writes it (for the status port).</summary>
    public Action<System.Text.StringBuilder> ExportRequests() => RequestDuration.Export();

    public void Dispose() => Meter.Dispose();
}
