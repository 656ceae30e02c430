using Microsoft.Extensions.Logging;
using MogileFS.Core.Protocol;

namespace MogileFS.Tracker.Jobs;

/// <summary>
/// The reaper (jobs.md §8): every <see cref="JobsOptions.ReaperInterval"/> it lists dead devices; a dead
/// device seen for the first time is reaped after <see cref="JobsOptions.ReaperGrace"/>: in batches of
/// <c>queue_rate_for_reaper</c> (1000) under lock <c>mgfs:reaper</c>, its fids are queued for
/// replication (nexttry = now + 1) and their locations on it removed, so the replicator brings each
/// file back to its class's count from the surviving copies. Next batch in 5 s while fids were found,
/// else back-off 60 s doubling; a device is given up once the back-off would pass 7200 s.
/// Ours: devcount is refreshed with each batch (2.73 left it stale, quirk 15.14).
/// </summary>
public sealed class ReaperJob
{
    private readonly JobHost _host;
    private readonly ILogger _log;
    private readonly Dictionary<int, (long DueTicks, int BackoffSeconds)> _schedule = new();
    private readonly HashSet<int> _seen = new();

    /// <summary>The opt-in marking of long-unreachable devices as dead, run before each pass.</summary>
    public AutoDeadMarker AutoDead { get; }

    public ReaperJob(JobHost host)
    {
        _host = host;
        AutoDead = new AutoDeadMarker(host);
        _log = host.Runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Jobs.Reaper");
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var rt = _host.Runtime;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var info = rt.Jobs.Get(MogileFS.Tracker.Runtime.JobKind.Reaper);
                await info.WaitWhilePausedAsync(0, ct).ConfigureAwait(false);
                if (info.Desired > 0) await PassAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                JobLog.PassFailed(_log, "reaper", e.Message, e);
            }
            try { await Task.Delay(_host.Options.ReaperInterval, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task PassAsync(CancellationToken ct)
    {
        var rt = _host.Runtime;
        await AutoDead.PassAsync(ct).ConfigureAwait(false);
        var dead = await rt.Store.GetDeadDevicesAsync(ct).ConfigureAwait(false);
        long now = Environment.TickCount64;
        foreach (int devid in dead)
            if (_seen.Add(devid)) _schedule[devid] = (now + (long)_host.Options.ReaperGrace.TotalMilliseconds, 0);
        foreach (var (devid, (due, backoff)) in _schedule.ToList())
        {
            if (due > now) continue;
            if (!dead.Contains(devid))
            {
                JobLog.NoLongerDead(_log, devid);
                _schedule.Remove(devid);
                continue;
            }
            var snap = rt.Metadata.Current;
            long limit = Math.Max(0, Perl.IntAsLong(snap.Setting("queue_rate_for_reaper") ?? "1000"));
            long queueSize = Perl.IntAsLong(snap.Setting("queue_size_for_reaper") ?? "0");
            if (queueSize > 0)
            {
                long deferred = await rt.Store.DeferredReplicationCountAsync(ct).ConfigureAwait(false);
                limit = Math.Max(0, Math.Min(limit, queueSize - deferred));
            }
            if (limit == 0)
            {
                _schedule[devid] = (now + Math.Max(5, backoff) * 1000L, backoff);
                continue;
            }
            int found;
            await using (var l = await rt.Store.TryLockAsync("mgfs:reaper", TimeSpan.FromSeconds(60), ct).ConfigureAwait(false))
            {
                if (l is null)
                {
                    _schedule[devid] = (now + 5000, backoff);
                    continue;
                }
                found = await rt.Store.ReapDeviceBatchAsync(devid, (int)Math.Min(limit, int.MaxValue), !snap.SettingIsOn("skip_devcount"), ct).ConfigureAwait(false);
            }
            if (found > 0)
            {
                JobLog.Reaped(_log, devid, found);
                _host.Stats.Increment("reaper_requeued", found);
                _schedule[devid] = (now + 5000, 0);
                _host.JobMaster.Wake();
                continue;
            }
            int next = backoff == 0 ? 60 : backoff * 2;
            if (next > 7200) _schedule.Remove(devid);
            else _schedule[devid] = (now + next * 1000L, next);
        }
    }
}
