using Microsoft.Extensions.Logging;
using MogileFS.Core.Model;
using MogileFS.Tracker.Storage;

namespace MogileFS.Tracker.Jobs;

/// <summary>
/// The delete worker (jobs.md §7): for each claimed <c>file_to_delete2</c> row, under the fid lock,
/// sends DELETE to every device holding a copy and removes the location once the node answered
/// 2xx or 404 (a dead device's location is just dropped). A device that is not observed writeable,
/// not deletable (host not alive, device readonly/down) or fails the DELETE makes the row come
/// back later with 2.73's delays; the row goes once no location is left.
///
/// Ours, on purpose: the worker never deletes anything of a fid that a file row owns again (a fid
/// handed out twice, e.g. an explicit <c>fid=</c> upload after the old file was deleted): such a
/// queue row is dropped untouched. A fid with a live tempfile row (an upload in progress under that
/// number) is left for later instead of having its upload removed underneath it.
/// </summary>
public sealed class DeleteWorker
{
    private readonly JobHost _host;
    private readonly ILogger _log;

    public DeleteWorker(JobHost host)
    {
        _host = host;
        _log = host.Runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Jobs.Delete");
    }

    public async Task HandleAsync(Claim claim, CancellationToken ct)
    {
        var item = claim.Item;
        var rt = _host.Runtime;
        long fid = item.Fid;
        try
        {
            await using var fidLock = await rt.Store.TryLockAsync($"mgfs:fid:{fid}:replicate", TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            if (fidLock is null)
            {
                await rt.Store.CompleteDeletePassAsync(fid, [], 1, item.FailCount + 1, ct).ConfigureAwait(false);
                return;
            }
            var facts = await rt.Store.GetDeletionFactsAsync(fid, ct).ConfigureAwait(false);
            if (facts.FileRowExists)
            {
                JobLog.DeleteSkippedLive(_log, fid);
                await rt.Store.DropDeleteRowAsync(fid, ct).ConfigureAwait(false);
                return;
            }
            if (facts.TempfileExists)
            {
                await rt.Store.CompleteDeletePassAsync(fid, [], 600, item.FailCount + 1, ct).ConfigureAwait(false);
                return;
            }
            await rt.Store.ForgetDeletedFidAsync(fid, ct).ConfigureAwait(false);

            var snap = rt.Metadata.Current;
            var removed = new List<int>();
            long? reschedule = null;
            // As 2.73: each deferred location adds one to failcount, and every delay is computed from the
            // failcount the row had when it was claimed (the last deferral's delay wins).
            int claimed = item.FailCount, fc = claimed;
            var timeout = rt.StorageNodes.NodeTimeout;
            foreach (int devid in facts.DevIds)
            {
                if (!snap.TryGetDevice(devid, out var d)) continue; // unknown device: location stays (2.73)
                if (d.Status == DeviceState.Dead)
                {
                    removed.Add(devid);
                    continue;
                }
                if (!rt.Observations.IsWriteable(d))
                {
                    reschedule = 60L * (10 + claimed);
                    fc++;
                    continue;
                }
                if (!snap.TryGetHost(d.HostId, out var h) || h.Status != HostState.Alive || !d.Status.CanDeleteFrom() || h.Ip is null)
                {
                    reschedule = 3600L * (1 + claimed);
                    fc++;
                    continue;
                }
                string url = StorageNodeClient.Url(h.Ip, h.WritePort, StoragePaths.FidPath(devid, fid));
                var (status, err) = await _host.Storage.DeleteAsync(url, timeout, ct).ConfigureAwait(false);
                if (status is >= 200 and <= 299 or 404)
                {
                    removed.Add(devid);
                    continue;
                }
                JobLog.DeleteFailed(_log, fid, devid, $"HTTP {status} {err}");
                rt.Metrics.Count(rt.Metrics.Deletes, "error");
                reschedule = 1800L * (1 + claimed);
                fc++;
            }
            bool gone = await rt.Store.CompleteDeletePassAsync(fid, removed, reschedule, fc, ct).ConfigureAwait(false);
            if (gone)
            {
                _host.Stats.Increment("delete_done");
                rt.Metrics.Count(rt.Metrics.Deletes, "ok");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception e)
        {
            JobLog.DeleteItemFailed(_log, fid, e.Message, e);
            _host.Runtime.Metrics.Count(_host.Runtime.Metrics.Deletes, "error");
            throw;
        }
    }
}
