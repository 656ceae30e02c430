using MogileFS.Store;
using MogileFS.Tracker.Commands;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Jobs.Rebalance;

/// <summary>
/// Wires rebalance and drain into a tracker: the rebalance workers (as many as <c>replicate_jobs</c>,
/// following the replicate job's count as 2.73, which ran them inside the replicate workers) and the
/// injection hooks of the job master. Registered from <c>TrackerCommands.CreateDefault</c>.
/// </summary>
public static class RebalanceJobs
{
    public const int WorkerParallelism = 8;

    public static void Register(CommandTable table)
    {
        table.OnStart((rt, _) =>
        {
            var state = rt.Feature(r => new RebalanceServices(r));
            var hooks = rt.Feature<JobHooks>();
            hooks.RegisterQueueWorker(QueueTable.Rebalance, MogileFS.Tracker.Runtime.JobKind.Replicate, state.Mover.HandleAsync, WorkerParallelism);
            hooks.AddInjector(state.Injector.RunPassAsync);
            hooks.AddInjector(state.Drainer.RunPassAsync);
            return Task.CompletedTask;
        });
    }
}

internal sealed class RebalanceServices(TrackerRuntime rt)
{
    public RebalanceMover Mover { get; } = new(rt);
    public RebalanceInjector Injector { get; } = new(rt);
    public Drainer Drainer { get; } = new(rt);
}
