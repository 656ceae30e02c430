using MogileFS.Tracker.Configuration;

namespace MogileFS.Tracker.Runtime;

/// <summary>The job classes of 2.73 (<c>!jobs</c>, <c>!want</c>, <c>!to</c>).</summary>
public enum JobKind
{
    Delete,
    Fsck,
    JobMaster,
    Monitor,
    QueryWorker,
    Reaper,
    Replicate,
}

/// <summary>
/// What a job class is: its protocol name, how many workers it may have, whether its workers only
/// run while this tracker has a job master (2.73's <c>%needs_job_master</c>: the job master is what
/// feeds their queues), and its configured count.
/// </summary>
public sealed record JobSpec(JobKind Kind, string Name, int MaxDesired, bool NeedsJobMaster, Func<TrackerOptions, int> Configured);

/// <summary>The typed catalogue every part of the tracker reads: the registry, the job host, <c>!want</c>/<c>!jobs</c>.</summary>
public static class JobCatalog
{
    /// <summary>2.73 refuses nothing in <c>!want</c> but caps a count at 500.</summary>
    public const int MaxWorkers = 500;

    public static readonly IReadOnlyList<JobSpec> All =
    [
        new(JobKind.Delete, "delete", MaxWorkers, NeedsJobMaster: true, o => o.DeleteJobs),
        new(JobKind.Fsck, "fsck", MaxWorkers, NeedsJobMaster: true, o => o.FsckJobs),
        new(JobKind.JobMaster, "job_master", 1, NeedsJobMaster: false, o => o.JobMaster ? 1 : 0),
        new(JobKind.Monitor, "monitor", 1, NeedsJobMaster: false, o => o.MonitorJobs),
        new(JobKind.QueryWorker, "queryworker", MaxWorkers, NeedsJobMaster: false, o => o.QueryJobs),
        new(JobKind.Reaper, "reaper", MaxWorkers, NeedsJobMaster: false, o => o.ReaperJobs),
        new(JobKind.Replicate, "replicate", MaxWorkers, NeedsJobMaster: true, o => o.ReplicateJobs),
    ];

    public static JobSpec Get(JobKind kind) => All[(int)kind];

    public static string NameOf(JobKind kind) => All[(int)kind].Name;
}
