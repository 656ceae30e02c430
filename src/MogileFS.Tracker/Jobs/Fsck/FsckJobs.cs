using MogileFS.Store;
using MogileFS.Tracker.Jobs.Scrub;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Jobs.Fsck;

/// <summary>
/// Wires fsck into a tracker's job host: the fsck workers and the injection hook of the job master,
/// and the background scrubber. Called by the <see cref="JobHost"/> (the commands, fsck_* and our
/// fsck_scope, live in Commands/Fsck and only touch the database).
/// </summary>
public static class FsckJobs
{
    /// <summary>Items one fsck worker checks at once (HEADs and digests overlap across fids).</summary>
    public const int WorkerParallelism = 8;

    public static void Register(TrackerRuntime rt, JobHooks hooks)
    {
        var state = rt.Feature(r => new FsckServices(r));
        hooks.RegisterQueueWorker(QueueTable.Fsck, JobKind.Fsck, state.Worker.HandleAsync, WorkerParallelism);
        hooks.AddInjector(state.Injector.RunPassAsync);
        hooks.AddInjector(state.Scrubber.TickAsync);
    }
}

/// <summary>Per-tracker fsck and scrub objects.</summary>
internal sealed class FsckServices
{
    public FsckServices(TrackerRuntime rt)
    {
        var policy = new ReplicationPolicyCheck(rt.Observations, rt.Options.MinFreeSpaceMb);
        Checker = new FsckChecker(rt, policy);
        Worker = new FsckWorker(rt, Checker);
        Injector = new FsckInjector(rt);
        Scrubber = new Scrubber(rt, Checker);
    }

    public FsckChecker Checker { get; }
    public FsckWorker Worker { get; }
    public FsckInjector Injector { get; }
    public Scrubber Scrubber { get; }
}
