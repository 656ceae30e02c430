using System.Globalization;
using MogileFS.Tracker.Configuration;

namespace MogileFS.Tracker.Jobs;

/// <summary>
/// Timings and limits of the background jobs. Defaults are 2.73's (jobs.md §14) unless the comment
/// says otherwise. They are not 2.73 options: a tracker config file may set them with the extension
/// keys named below (read from <see cref="TrackerOptions.FileSettings"/>); tests use them to run
/// the same code on shorter clocks. A value that does not parse is rejected at start-up.
/// </summary>
public sealed class JobsOptions
{
    /// <summary><c>monitor_interval</c>: seconds between device rounds (2.73: 2.5).</summary>
    public TimeSpan MonitorInterval { get; set; } = TimeSpan.FromSeconds(2.5);

    /// <summary><c>monitor_test_interval</c>: a device is write-tested at most this often (2.73: 15 s).</summary>
    public TimeSpan TestWriteInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary><c>monitor_usage_interval</c>: device usage is written to the DB at most this often per device (2.73: 15 s).</summary>
    public TimeSpan UsageUpdateInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Probe failures faster than this mark the device unreachable, slower ones the host (2.73: 0.5 s).</summary>
    public TimeSpan FastFailure { get; set; } = TimeSpan.FromSeconds(0.5);

    /// <summary><c>queue_claim_lease</c>: seconds a claimed queue row stays invisible to other trackers.
    /// Ours: 60 s, renewed every third of it while the row is still held, so the claims of a tracker
    /// that died return after at most a minute (2.73: a fixed 1000 s, never renewed).</summary>
    public int ClaimLeaseSeconds { get; set; } = 60;

    /// <summary><c>job_master_idle</c>: pause of the job master after a pass that fetched nothing (2.73: 1 s).</summary>
    public TimeSpan JobMasterIdle { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary><c>replicate_parallel</c>: copies one replicate worker runs at once (ours; 2.73 ran one per process).</summary>
    public int ReplicateParallelism { get; set; } = 16;

    /// <summary><c>delete_parallel</c>: fids one delete worker handles at once (ours; 2.73: one).</summary>
    public int DeleteParallelism { get; set; } = 8;

    /// <summary><c>reaper_interval</c>: how often the reaper lists dead devices (2.73: 5 s).</summary>
    public TimeSpan ReaperInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary><c>reaper_grace</c>: delay between first seeing a dead device and reaping it (2.73: 16 s).</summary>
    public TimeSpan ReaperGrace { get; set; } = TimeSpan.FromSeconds(16);

    /// <summary><c>tempfile_max_age</c>: seconds after which an unclosed upload is reaped (2.73: 3600).</summary>
    public int TempfileMaxAgeSeconds { get; set; } = 3600;

    /// <summary>Read timeout of each read of a replication copy (2.73: 45 s).</summary>
    public TimeSpan CopyReadTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>Builds the options from the tracker's configuration (extension keys of the config file).</summary>
    public static JobsOptions From(TrackerOptions tracker)
    {
        var o = new JobsOptions();
        var s = tracker.FileSettings;
        o.MonitorInterval = Seconds(s, "monitor_interval", o.MonitorInterval);
        o.TestWriteInterval = Seconds(s, "monitor_test_interval", o.TestWriteInterval);
        o.UsageUpdateInterval = Seconds(s, "monitor_usage_interval", o.UsageUpdateInterval);
        o.ClaimLeaseSeconds = Int(s, "queue_claim_lease", o.ClaimLeaseSeconds, 3);
        o.JobMasterIdle = Seconds(s, "job_master_idle", o.JobMasterIdle);
        o.ReplicateParallelism = Int(s, "replicate_parallel", o.ReplicateParallelism, 1);
        o.DeleteParallelism = Int(s, "delete_parallel", o.DeleteParallelism, 1);
        o.ReaperInterval = Seconds(s, "reaper_interval", o.ReaperInterval);
        o.ReaperGrace = Seconds(s, "reaper_grace", o.ReaperGrace);
        o.TempfileMaxAgeSeconds = Int(s, "tempfile_max_age", o.TempfileMaxAgeSeconds, 0);
        return o;
    }

    private static TimeSpan Seconds(IReadOnlyDictionary<string, string> s, string key, TimeSpan dflt)
    {
        if (!s.TryGetValue(key, out var v)) return dflt;
        if (double.TryParse(v.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 && d < 86400)
            return TimeSpan.FromSeconds(d);
        throw new ArgumentException($"Invalid value '{v}' for {key}: expected a number of seconds");
    }

    private static int Int(IReadOnlyDictionary<string, string> s, string key, int dflt, int min)
    {
        if (!s.TryGetValue(key, out var v)) return dflt;
        if (int.TryParse(v.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= min)
            return i;
        throw new ArgumentException($"Invalid value '{v}' for {key}: expected an integer >= {min}");
    }
}
