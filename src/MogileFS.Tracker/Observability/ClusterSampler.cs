using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using MogileFS.Core.Model;
using MogileFS.Store;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Observability;

/// <summary>
/// Cluster-wide gauges for /metrics. What lives in memory (devices, hosts, the monitor's
/// observations) is read when Prometheus scrapes; what needs the database (queue depths, fsck
/// progress, files and bytes per class, under-replicated files) is sampled by one loop —
/// queues every <see cref="QueueInterval"/>, the file table (a full scan) every
/// <see cref="FileInterval"/>, or less often when a scan takes more than 2% of that
/// (<see cref="NextFileInterval"/>) — and scrapes read the last sample. So a scrape never queries the
/// database and no request path ever does.
/// </summary>
public sealed class ClusterSampler
{
    private readonly TrackerRuntime _rt;
    private readonly ILogger _log;
    private volatile QueueDepths? _queues;
    private volatile IReadOnlyDictionary<string, string>? _fsck;
    private volatile List<FileCountRow>? _files;
    private long _lastQueueSample, _lastFileSample; // unix seconds
    private double _fileSampleSeconds;

    public ClusterSampler(TrackerRuntime rt, TimeSpan? queueInterval = null, TimeSpan? fileInterval = null)
    {
        _rt = rt;
        _log = rt.LoggerFactory.CreateLogger("MogileFS.Tracker.Metrics");
        QueueInterval = queueInterval ?? TimeSpan.FromSeconds(5);
        FileInterval = fileInterval ?? TimeSpan.FromSeconds(60);
        Register(rt.Metrics.Meter);
    }

    /// <summary>The last count of the file table and when it was taken (null before the first); the
    /// dashboard shows it instead of scanning the table again.</summary>
    public (DateTimeOffset At, List<FileCountRow> Rows)? LastFileCounts =>
        _files is { } rows ? (DateTimeOffset.FromUnixTimeSeconds(Volatile.Read(ref _lastFileSample)), rows) : null;

    public TimeSpan QueueInterval { get; }
    public TimeSpan FileInterval { get; }

    /// <summary>The last queue depths read (null before the first sample); pages may show them.</summary>
    public QueueDepths? Queues => _queues;

    /// <summary>The last fsck_* server settings read (fsck progress).</summary>
    public IReadOnlyDictionary<string, string>? FsckSettings => _fsck;

    /// <summary>The last count of the file table by (domain, class, devcount).</summary>
    public IReadOnlyList<FileCountRow>? FileCounts => _files;

    /// <summary>Samples until <paramref name="ct"/> is cancelled (the tracker stops).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var nextFiles = DateTime.MinValue;
        using var timer = new PeriodicTimer(QueueInterval);
        do
        {
            try
            {
                await SampleQueuesAsync(ct).ConfigureAwait(false);
                if (DateTime.UtcNow >= nextFiles)
                {
                    await SampleFilesAsync(ct).ConfigureAwait(false);
                    nextFiles = DateTime.UtcNow + NextFileInterval(FileInterval, TimeSpan.FromSeconds(_fileSampleSeconds));
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                _log.LogWarning("metrics sample failed: {Error}", e.Message);
            }
            try
            {
                if (!await timer.WaitForNextTickAsync(ct).ConfigureAwait(false)) return;
            }
            catch (OperationCanceledException) { return; }
        } while (true);
    }

    /// <summary>At most this share of the time goes to counting the file table.</summary>
    public const double MaxFileScanShare = 0.02;

    /// <summary>
    /// The wait before the next count of the file table: <paramref name="configured"/>, or longer when
    /// the last count took more than <see cref="MaxFileScanShare"/> of it. The count is a full scan, so
    /// its cost grows with the number of files (about 1 s per 10 million rows); a fixed 60 s would
    /// keep a big cluster's database busy a growing share of the time for one gauge (docs/growth.md).
    /// </summary>
    public static TimeSpan NextFileInterval(TimeSpan configured, TimeSpan lastScan)
    {
        var bounded = TimeSpan.FromSeconds(lastScan.TotalSeconds / MaxFileScanShare);
        return bounded > configured ? bounded : configured;
    }

    public async Task SampleQueuesAsync(CancellationToken ct)
    {
        _queues = await _rt.Store.GetQueueDepthsAsync(ct).ConfigureAwait(false);
        _fsck = await _rt.Store.GetServerSettingsWithPrefixAsync("fsck_", ct).ConfigureAwait(false);
        Volatile.Write(ref _lastQueueSample, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    public async Task SampleFilesAsync(CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        _files = await _rt.Store.GetFileCountsAsync(ct).ConfigureAwait(false);
        _fileSampleSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Volatile.Write(ref _lastFileSample, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    private static readonly string[] DeviceStates = ["alive", "dead", "down", "readonly", "drain"];
    private static readonly string[] ObservedStates = ["unknown", "writeable", "readable", "unreachable"];

    private static string ObservedName(ObservedState s) => s switch
    {
        ObservedState.Writeable => "writeable",
        ObservedState.Readable => "readable",
        ObservedState.Unreachable => "unreachable",
        _ => "unknown",
    };

    private void Register(Meter m)
    {
        // ---- queues and fsck (sampled) ----
        m.CreateObservableGauge("mogilefs.replication.queue.rows", () => Q(q => q.Replicate), null,
            "Rows of file_to_replicate (files waiting for more copies)");
        m.CreateObservableGauge("mogilefs.replication.queue.due.rows", () => Q(q => q.ReplicateDue), null,
            "Rows of file_to_replicate whose nexttry has come");
        m.CreateObservableGauge("mogilefs.delete.queue.rows", () => Q(q => q.Delete), null,
            "Rows of file_to_delete2 (deleted files whose copies are still to be removed)");
        m.CreateObservableGauge("mogilefs.delete.queue.due.rows", () => Q(q => q.DeleteDue), null,
            "Rows of file_to_delete2 whose nexttry has come");
        m.CreateObservableGauge("mogilefs.file_queue.rows", FileQueue, null,
            "Rows of file_to_queue by type (fsck, rebalance/drain)");
        m.CreateObservableGauge("mogilefs.fsck.running", () => Fsck(s => Core.Protocol.Perl.IsTrue(s.GetValueOrDefault("fsck_host")) ? 1 : 0), null,
            "1 while an fsck run is in progress (fsck_host set)");
        m.CreateObservableGauge("mogilefs.fsck.checked.fid", () => Fsck(s => Num(s, "fsck_highest_fid_checked")), null,
            "Highest fid the current or last fsck run has checked");
        m.CreateObservableGauge("mogilefs.fsck.end.fid", () => Fsck(s => Num(s, "fsck_fid_at_end")), null,
            "Highest fid when the fsck run started (its end point)");
        m.CreateObservableGauge("mogilefs.metrics.sample.timestamp", SampleTimes, "s",
            "When the database-derived gauges were last sampled (unix time), by sample (queues, files)");
        m.CreateObservableGauge("mogilefs.metrics.files_sample.duration", () => _fileSampleSeconds, "s",
            "How long the last scan of the file table took");

        // ---- files per class (sampled) ----
        m.CreateObservableGauge("mogilefs.class.files", () => PerClass(r => r.Files, false), null,
            "Files per domain and class");
        m.CreateObservableGauge("mogilefs.class.stored", () => PerClass(r => r.Bytes, false), "By",
            "Bytes of file content per domain and class (one copy)");
        m.CreateObservableGauge("mogilefs.class.underreplicated.files", () => PerClass(r => r.Files, true), null,
            "Files with fewer copies (devcount) than their class's mindevcount");

        // ---- devices and hosts (in memory, read at scrape) ----
        m.CreateObservableGauge("mogilefs.device.state", DeviceState, null,
            "1 for the device's administrative state (alive, dead, down, readonly, drain), 0 for the others");
        m.CreateObservableGauge("mogilefs.device.observed.state", DeviceObserved, null,
            "1 for the state the monitor last observed (unknown, writeable, readable, unreachable), 0 for the others");
        m.CreateObservableGauge("mogilefs.device.capacity", () => Devices((d, _) => d.MbTotal * 1048576), "By",
            "Device size as last reported by the storage node (mb_total)");
        m.CreateObservableGauge("mogilefs.device.used", () => Devices((d, _) => d.MbUsed * 1048576), "By",
            "Device space in use as last reported by the storage node (mb_used)");
        m.CreateObservableGauge("mogilefs.device.io.utilization", DeviceUtil, "1",
            "Device I/O utilisation (iostat %util / 100) as last observed by the monitor");
        m.CreateObservableGauge("mogilefs.device.last_good_probe.timestamp", () => Devices((d, o) =>
                o.LastGoodProbe(d.Id) is { } t ? t.ToUnixTimeSeconds() : null), "s",
            "When the monitor last found the device readable or writeable (unix time)");
        m.CreateObservableGauge("mogilefs.host.reachable", Hosts, null,
            "1 when the monitor reached the host's storage node in its last round");
        m.CreateObservableGauge("mogilefs.monitor.rounds", () => _rt.Monitor.RoundsCompleted, null,
            "Monitor rounds completed since the tracker started");
    }

    private long Q(Func<QueueDepths, long> f) => _queues is { } q ? f(q) : 0;

    private double Fsck(Func<IReadOnlyDictionary<string, string>, double> f) => _fsck is { } s ? f(s) : 0;

    private static double Num(IReadOnlyDictionary<string, string> s, string key) =>
        s.TryGetValue(key, out var v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0;

    private IEnumerable<Measurement<long>> FileQueue()
    {
        if (_queues is not { } q) yield break;
        // The two types MogileFS 2.73 defines always appear, so alerts see 0 rather than nothing.
        yield return new Measurement<long>(q.FileQueueByType.GetValueOrDefault(MetadataStore.FsckQueue), new KeyValuePair<string, object?>("type", "fsck"));
        yield return new Measurement<long>(q.FileQueueByType.GetValueOrDefault(MetadataStore.RebalanceQueue), new KeyValuePair<string, object?>("type", "rebalance"));
        foreach (var (type, n) in q.FileQueueByType)
            if (type != MetadataStore.FsckQueue && type != MetadataStore.RebalanceQueue)
                yield return new Measurement<long>(n, new KeyValuePair<string, object?>("type", type.ToString(CultureInfo.InvariantCulture)));
    }

    private IEnumerable<Measurement<long>> SampleTimes()
    {
        long q = Volatile.Read(ref _lastQueueSample), f = Volatile.Read(ref _lastFileSample);
        if (q > 0) yield return new Measurement<long>(q, new KeyValuePair<string, object?>("sample", "queues"));
        if (f > 0) yield return new Measurement<long>(f, new KeyValuePair<string, object?>("sample", "files"));
    }

    private IEnumerable<Measurement<long>> PerClass(Func<FileCountRow, long> value, bool underReplicatedOnly)
    {
        if (_files is not { } rows) yield break;
        var snap = _rt.Metadata.Current;
        var sums = new Dictionary<(int, int), long>();
        // Every known class appears (with 0), so a class that empties is seen as 0, not as gone.
        foreach (var d in snap.Domains)
            foreach (var c in snap.ClassesOf(d.Id)) sums[(d.Id, c.ClassId)] = 0;
        foreach (var r in rows)
        {
            if (underReplicatedOnly)
            {
                int min = snap.TryGetClass(r.DomainId, r.ClassId, out var cls) ? cls.MinDevCount : snap.DefaultMinDevCount;
                if (r.DevCount >= min) continue;
            }
            sums[(r.DomainId, r.ClassId)] = sums.GetValueOrDefault((r.DomainId, r.ClassId)) + value(r);
        }
        foreach (var ((dmid, classid), n) in sums)
        {
            // Rows of domains deleted since the sample are dropped; unknown classes are named by id.
            if (!snap.TryGetDomain(dmid, out var dom)) continue;
            string cname = snap.ClassName(dmid, classid) ?? classid.ToString(CultureInfo.InvariantCulture);
            yield return new Measurement<long>(n, new KeyValuePair<string, object?>("domain", dom.Name), new KeyValuePair<string, object?>("class", cname));
        }
    }

    private static KeyValuePair<string, object?> DevTag(DeviceInfo d) => new("devid", d.Id.ToString(CultureInfo.InvariantCulture));

    private IEnumerable<(DeviceInfo Device, string Host)> AllDevices()
    {
        var snap = _rt.Metadata.Current;
        foreach (var d in snap.Devices)
            yield return (d, snap.TryGetHost(d.HostId, out var h) ? h.Name : d.HostId.ToString(CultureInfo.InvariantCulture));
    }

    private IEnumerable<Measurement<int>> DeviceState()
    {
        foreach (var (d, host) in AllDevices())
        {
            string state = d.Status.ToWire();
            foreach (var s in DeviceStates)
                yield return new Measurement<int>(s == state ? 1 : 0, DevTag(d), new("host", host), new("state", s));
        }
    }

    private IEnumerable<Measurement<int>> DeviceObserved()
    {
        foreach (var (d, host) in AllDevices())
        {
            var o = _rt.Observations.Get(d.Id);
            string state = o == null ? "unknown" : ObservedName(o.State);
            foreach (var s in ObservedStates)
                yield return new Measurement<int>(s == state ? 1 : 0, DevTag(d), new("host", host), new("state", s));
        }
    }

    private IEnumerable<Measurement<long>> Devices(Func<DeviceInfo, Metadata.DeviceObservations, long?> value)
    {
        foreach (var (d, host) in AllDevices())
            if (value(d, _rt.Observations) is long v)
                yield return new Measurement<long>(v, DevTag(d), new("host", host));
    }

    private IEnumerable<Measurement<double>> DeviceUtil()
    {
        foreach (var (d, host) in AllDevices())
            if (_rt.Observations.UtilizationOf(d.Id) is { } u && double.TryParse(u, NumberStyles.Float, CultureInfo.InvariantCulture, out var pct))
                yield return new Measurement<double>(pct / 100, DevTag(d), new("host", host));
    }

    private IEnumerable<Measurement<int>> Hosts()
    {
        foreach (var h in _rt.Metadata.Current.Hosts)
            if (_rt.Observations.HostReachable(h.Id) is bool r)
                yield return new Measurement<int>(r ? 1 : 0, new KeyValuePair<string, object?>("host", h.Name));
    }
}
