using MogileFS.Store;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Jobs.Rebalance;

/// <summary>
/// Wires rebalance and drain into a tracker's job host: the rebalance workers (as many as
/// <c>replicate_jobs</c>, following the replicate job's count as 2.73, which ran them inside the
/// replicate workers) and the injection hooks of the job master. Called by the <see cref="JobHost"/>.
/// </summary>
public static class RebalanceJobs
{
    public const int WorkerParallelism = 8;

    public static void Register(TrackerRuntime rt, JobHooks hooks)
    {
        var state = rt.Feature(r => new RebalanceServices(r));
        hooks.RegisterQueueWorker(QueueTable.Rebalance, JobKind.Replicate, state.Mover.HandleAsync, WorkerParallelism);
        hooks.AddInjector(state.Injector.RunPassAsync);
        hooks.AddInjector(state.Drainer.RunPassAsync);
    }
}

internal sealed class RebalanceServices(TrackerRuntime rt)
{
    public RebalanceMover Mover { get; } = new(rt);
    public RebalanceInjector Injector { get; } = new(rt);
    public Drainer Drainer { get; } = new(rt);
}
