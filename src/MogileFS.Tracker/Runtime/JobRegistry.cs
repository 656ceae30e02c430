using System.Collections.Concurrent;
using MogileFS.Tracker.Configuration;

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

    public JobInfo(JobSpec spec, int desired)
    {
        Spec = spec;
        _desired = Math.Min(desired, spec.MaxDesired);
    }

    public JobSpec Spec { get; }

    public JobKind Kind => Spec.Kind;

    public string Name => Spec.Name;

    /// <summary>Whether this job has had workers since the tracker started: 2.73's <c>!jobs</c> lists a
    /// job class from its first worker on, also after <c>!want 0</c> took them all (<c>count 0</c>).</summary>
    public bool EverRan => Volatile.Read(ref _everRan);

    private bool _everRan;

    /// <summary>Upper limit that !want may set (2.73: 1 for monitor and job_master although it claims success).</summary>
    public int MaxDesired => Spec.MaxDesired;

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

    internal void RaiseDesiredChanged() => DesiredChanged?.Invoke(this);

    public void SetWorkers(IEnumerable<int> ids)
    {
        var sorted = ids.OrderBy(i => i).ToArray();
        if (sorted.Length > 0) Volatile.Write(ref _everRan, true);
        var old = Interlocked.Exchange(ref _workerIds, sorted);
        if (sorted.Length > old.Length) Spawning?.Invoke(this, old.Length, sorted.Length - old.Length);
    }

    /// <summary>Raised when workers are added: (job, how many there were, how many are made).</summary>
    public event Action<JobInfo, int, int>? Spawning;

    /// <summary>Receives <c>!to job message</c>: (message) → number of workers it reached.
    /// Without a handler nothing is delivered and !to reports 0.</summary>
    public Func<string, int>? MessageHandler { get; set; }

    public int SendMessage(string message) => MessageHandler?.Invoke(message) ?? 0;
}

/// <summary>
/// The registry of background jobs that !jobs, !want and !stats read: one <see cref="JobInfo"/> per
/// entry of the <see cref="JobCatalog"/>, created with its configured count when the tracker starts.
/// Jobs follow <see cref="JobInfo.Desired"/>; those that need a job master follow
/// <see cref="EffectiveDesired"/>.
/// </summary>
public sealed class JobRegistry
{
    private readonly JobInfo[] _jobs;
    private static int _nextId = Environment.ProcessId * 10;

    public JobRegistry(TrackerOptions options)
    {
        _jobs = JobCatalog.All.Select(s => new JobInfo(s, s.Configured(options))).ToArray();
        foreach (var j in _jobs) j.Spawning += (job, had, making) => Spawning?.Invoke(job, had, making);
        Get(JobKind.JobMaster).DesiredChanged += _ =>
        {
            foreach (var j in _jobs)
                if (j.Spec.NeedsJobMaster) j.RaiseDesiredChanged();
        };
    }

    public JobInfo Get(JobKind kind) => _jobs[(int)kind];

    /// <summary>Workers of some job are being added (2.73's parent logs "Job X has only N, wants M, making K.").</summary>
    public event Action<JobInfo, int, int>? Spawning;

    public bool TryGet(string name, out JobInfo job)
    {
        foreach (var j in _jobs)
        {
            if (j.Name == name)
            {
                job = j;
                return true;
            }
        }
        job = null!;
        return false;
    }

    /// <summary>All job types sorted by name.</summary>
    public IReadOnlyList<JobInfo> All => _jobs;

    /// <summary>
    /// How many workers a job should run now: its desired count, or 0 for a job that needs a job
    /// master while this tracker has none (<c>--no-job_master</c> or <c>!want 0 job_master</c>; 2.73
    /// does not spawn them and lets them go once the job master is gone).
    /// </summary>
    public int EffectiveDesired(JobInfo job) =>
        job.Spec.NeedsJobMaster && Get(JobKind.JobMaster).Desired == 0 ? 0 : job.Desired;

    /// <summary>A fresh id to show for a worker.</summary>
    public static int NewWorkerId() => Interlocked.Increment(ref _nextId);

    /// <summary>Named statistics counters of !stats (sorted by name when shown).</summary>
    public ConcurrentDictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

    public void Increment(string counter, long by = 1) => Counters.AddOrUpdate(counter, by, (_, v) => v + by);
}
