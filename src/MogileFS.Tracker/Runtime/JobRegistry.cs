using System.Collections.Concurrent;
using MogileFS.Tracker.Configuration;

namespace MogileFS.Tracker.Runtime;

/// <summary>
/// One kind of background activity (2.73 "job class"): delete, fsck, job_master, monitor,
/// queryworker, reaper, replicate. <see cref="Desired"/> is what <c>!want</c> sets; the job's
/// implementation adjusts its workers to it and reports them through <see cref="SetWorkerCount"/>.
/// </summary>
public sealed class JobInfo
{
    private WorkerHandle[] _handles = [];
    private readonly object _handleGate = new();
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

    /// <summary>The pids shown by !jobs (ascending): one <see cref="WorkerHandle"/> per running worker.</summary>
    public IReadOnlyList<int> WorkerIds => Volatile.Read(ref _handles).Select(h => h.Pid).OrderBy(i => i).ToArray();

    public int Running => Volatile.Read(ref _handles).Length;

    /// <summary>The handle of worker <paramref name="index"/> (0-based), or null.</summary>
    public WorkerHandle? Handle(int index)
    {
        var h = Volatile.Read(ref _handles);
        return index < h.Length ? h[index] : null;
    }

    /// <summary>Waits while worker <paramref name="index"/> is paused by a SIGSTOP of its pid.</summary>
    public Task WaitWhilePausedAsync(int index, CancellationToken ct) =>
        Handle(index)?.WaitWhileStoppedAsync(ct) ?? Task.CompletedTask;

    /// <summary>
    /// The job now runs <paramref name="count"/> workers: handles are started for new ones (reported by
    /// <see cref="Spawning"/>) and ended for the ones that went away (the last ones first).
    /// </summary>
    public void SetWorkerCount(int count)
    {
        WorkerHandle[] removed = [];
        int had, making = 0;
        lock (_handleGate)
        {
            var old = _handles;
            had = old.Length;
            if (count == had) return;
            if (count < had)
            {
                removed = old[count..];
                Volatile.Write(ref _handles, old[..count]);
            }
            else
            {
                var added = new WorkerHandle[count - had];
                for (int i = 0; i < added.Length; i++)
                {
                    added[i] = WorkerHandle.Start();
                    added[i].Killed += OnKilled;
                }
                making = added.Length;
                Volatile.Write(ref _handles, [.. old, .. added]);
                Volatile.Write(ref _everRan, true);
            }
        }
        foreach (var h in removed) h.Dispose();
        if (making > 0) Spawning?.Invoke(this, had, making);
    }

    /// <summary>A worker's pid was killed from outside: 2.73's parent starts a fresh worker.</summary>
    private void OnKilled(WorkerHandle dead)
    {
        int had;
        lock (_handleGate)
        {
            var old = _handles;
            int i = Array.IndexOf(old, dead);
            if (i < 0) return;
            var fresh = WorkerHandle.Start();
            fresh.Killed += OnKilled;
            var copy = (WorkerHandle[])old.Clone();
            copy[i] = fresh;
            Volatile.Write(ref _handles, copy);
            had = old.Length - 1;
        }
        dead.Dispose();
        Spawning?.Invoke(this, had, 1);
    }

    /// <summary>Raised when workers are added: (job, how many there were, how many are made).</summary>
    public event Action<JobInfo, int, int>? Spawning;

    /// <summary>Raised when !want changes the desired count.</summary>
    public event Action<JobInfo>? DesiredChanged;

    public void SetDesired(int n)
    {
        Volatile.Write(ref _desired, Math.Min(n, MaxDesired));
        DesiredChanged?.Invoke(this);
    }

    internal void RaiseDesiredChanged() => DesiredChanged?.Invoke(this);

    private readonly object _followGate = new();

    /// <summary>
    /// For a job run by one loop (job_master, reaper): from now on the job shows one worker while its
    /// desired count is above 0 and none at 0. Subscribes before it looks at the count and reads the
    /// count under a lock, so a !want that arrives while this starts is never lost (the last call
    /// to finish reads the newest desired count).
    /// </summary>
    public void FollowDesiredWithOneWorker()
    {
        DesiredChanged += SyncOneWorker;
        SyncOneWorker(this);
    }

    private void SyncOneWorker(JobInfo _)
    {
        lock (_followGate) SetWorkerCount(Desired > 0 ? 1 : 0);
    }

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

    /// <summary>Ends every worker handle (tracker stop).</summary>
    public void StopAll()
    {
        foreach (var j in _jobs) j.SetWorkerCount(0);
    }

    /// <summary>Named statistics counters of !stats (sorted by name when shown).</summary>
    public ConcurrentDictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

    public void Increment(string counter, long by = 1) => Counters.AddOrUpdate(counter, by, (_, v) => v + by);
}
