using System.Collections.Concurrent;

namespace MogileFS.Tracker.Runtime;

/// <summary>
/// One kind of background activity (2.73 "job class"): delete, fsck, job_master, monitor,
/// queryworker, reaper, replicate. <see cref="Desired"/> is what <c>!want</c> sets; the job's
/// implementation adjusts its workers to it and reports them through <see cref="SetWorkers"/>.
/// </summary>
public sealed class JobInfo
{
    private int[] _workerIds = Array.Empty<int>();
    private int _desired;

    public JobInfo(string name, int desired, int maxDesired)
    {
        Name = name;
        _desired = desired;
        MaxDesired = maxDesired;
    }

    public string Name { get; }

    /// <summary>Upper limit that !want may set (2.73: 1 for monitor and job_master although it claims success).</summary>
    public int MaxDesired { get; }

    public int Desired => Volatile.Read(ref _desired);

    /// <summary>Ids shown by !jobs as "pids" (thread-like numbers; ascending).</summary>
    public IReadOnlyList<int> WorkerIds => Volatile.Read(ref _workerIds);

    public int Running => WorkerIds.Count;

    /// <summary>Raised when !want changes the desired count.</summary>
    public event Action<JobInfo>? DesiredChanged;

    public void SetDesired(int n)
    {
        Volatile.Write(ref _desired, Math.Min(n, MaxDesired));
        DesiredChanged?.Invoke(this);
    }

    public void SetWorkers(IEnumerable<int> ids) => Volatile.Write(ref _workerIds, ids.OrderBy(i => i).ToArray());

    /// <summary>Receives <c>!to job message</c>: (message) → number of workers it reached.
    /// Without a handler nothing is delivered and !to reports 0.</summary>
    public Func<string, int>? MessageHandler { get; set; }

    public int SendMessage(string message) => MessageHandler?.Invoke(message) ?? 0;
}

/// <summary>
/// The typed registry of background jobs that !jobs, !want and !stats read. Jobs (a later issue)
/// register here and follow <see cref="JobInfo.Desired"/>. The query worker pool registers itself.
/// </summary>
public sealed class JobRegistry
{
    private readonly ConcurrentDictionary<string, JobInfo> _jobs = new(StringComparer.Ordinal);
    private static int _nextId = Environment.ProcessId * 10;

    /// <summary>Adds (or returns) a job type.</summary>
    public JobInfo Register(string name, int desired, int maxDesired = 500) =>
        _jobs.GetOrAdd(name, n => new JobInfo(n, desired, maxDesired));

    public bool TryGet(string name, out JobInfo job) => _jobs.TryGetValue(name, out job!);

    /// <summary>All job types sorted by name.</summary>
    public IReadOnlyList<JobInfo> All => _jobs.Values.OrderBy(j => j.Name, StringComparer.Ordinal).ToArray();

    /// <summary>A fresh id to show for a worker.</summary>
    public static int NewWorkerId() => Interlocked.Increment(ref _nextId);

    /// <summary>Named statistics counters of !stats (sorted by name when shown).</summary>
    public ConcurrentDictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

    public void Increment(string counter, long by = 1) => Counters.AddOrUpdate(counter, by, (_, v) => v + by);
}
