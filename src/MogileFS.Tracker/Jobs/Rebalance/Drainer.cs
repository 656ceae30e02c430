using Microsoft.Extensions.Logging;
using MogileFS.Core.Model;
using MogileFS.Core.Protocol;
using MogileFS.Store;
using MogileFS.Tracker.Jobs.Fsck;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Jobs.Rebalance;

/// <summary>
/// Ours (docs/fsck-rebalance.md): with the server setting <c>drain_moves_files=1</c>, a device in state
/// <c>drain</c> is emptied — every copy on it is moved elsewhere by the rebalance workers, copy first,
/// source removed only when the class's policy stays satisfied without it. Off by default: since 2.40
/// <c>drain</c> only means "no new files" and operators rely on that. Runs at the start of every
/// job-master pass on the tracker that gets the named lock <c>mgfs:drain</c>; queues at most
/// <c>queue_rate_for_rebal</c> fids per device and pass while the rebalance queue holds fewer than
/// <c>queue_size_for_rebal</c>. The device a running rebalance is emptying is left to the rebalance.
/// </summary>
public sealed class Drainer
{
    public const string Setting = "drain_moves_files";

    private readonly ILogger _log;
    private readonly HashSet<int> _reportedEmpty = new();

    public Drainer(TrackerRuntime runtime)
    {
        _log = runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Rebalance");
    }

    public async Task RunPassAsync(TrackerRuntime rt, CancellationToken ct)
    {
        var snap = rt.Metadata.Current;
        if (!snap.SettingIsOn(Setting)) return;
        var draining = snap.Devices.Where(d => d.Status == DeviceState.Drain).Select(d => d.Id).ToList();
        _reportedEmpty.IntersectWith(draining);
        if (draining.Count == 0) return;
        try
        {
            await using var lk = await rt.Store.TryLockAsync("mgfs:drain", TimeSpan.Zero, ct).ConfigureAwait(false);
            if (lk is null) return;
            if (Perl.IsTrue(snap.Setting("rebal_host")))
            {
                var current = RebalanceState.Parse(snap.Setting("rebal_state")).SdevCurrent;
                draining.Remove(current);
            }
            long size = FsckInjector.SettingOr(snap.Setting("queue_size_for_rebal"), 10000);
            int rate = (int)Math.Clamp(FsckInjector.SettingOr(snap.Setting("queue_rate_for_rebal"), 500), 1, 100_000);
            bool queuedAny = false;
            foreach (int dev in draining)
            {
                if (await rt.Store.CountFileQueueAsync(MetadataStore.RebalanceQueue, ct).ConfigureAwait(false) >= size) break;
                var fids = await rt.Store.GetUnqueuedDeviceFidsAsync(dev, rate, ct).ConfigureAwait(false);
                if (fids.Count == 0)
                {
                    if (_reportedEmpty.Add(dev) && await rt.Store.CountDeviceFidsAsync(dev, ct).ConfigureAwait(false) == 0)
                        FsckLogMessages.Rebalance(_log, $"dev{dev} is drained (no files left)");
                    continue;
                }
                _reportedEmpty.Remove(dev);
                queuedAny |= await rt.Store.QueueDrainMovesAsync(dev, fids, ct).ConfigureAwait(false) > 0;
            }
            if (queuedAny) JobHost.Of(rt)?.JobMaster.Wake();
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            FsckLogMessages.RebalanceError(_log, "drain pass failed: " + e.Message);
        }
    }
}
