using System.Globalization;
using Microsoft.Extensions.Logging;
using MogileFS.Core.Model;
using MogileFS.Store;
using MogileFS.Tracker.Jobs.Fsck;
using MogileFS.Tracker.Runtime;
using MogileFS.Tracker.Storage;

namespace MogileFS.Tracker.Jobs.Rebalance;

/// <summary>
/// The rebalance workers: each claimed <c>file_to_queue</c> row of type 2 moves one copy of a fid off
/// its source device (<c>devid</c>) — 2.73's <c>rebalance(devfid, destinations)</c>, jobs.md §10.4:
/// under the fid lock, replicate with the source masked and the destinations restricted to
/// <c>arg</c>, then DELETE the source copy and forget its location.
///
/// The source copy is removed only when the copies left behind — not dead, readable, and checked
/// (one HEAD with the right size) — satisfy the class's policy judged against <b>every</b> device,
/// not just the destination list. So a move never leaves a fid below its replica count, and a
/// destination list on one host cannot make MultipleHosts "happy" with two copies on that host
/// (2.73 quirk, §10.4); when the restricted copy is not enough, the copy is completed without the
/// restriction before the source goes.
///
/// Rebalance rows are deleted after the attempt whatever happened (as 2.73; failures are logged).
/// Drain rows (<c>flags = 1</c>, ours) are retried with back-off until the device is empty.
/// </summary>
public sealed class RebalanceMover
{
    private static readonly TimeSpan FidLockTimeout = TimeSpan.FromSeconds(1);
    private static readonly long[] DrainBackoff = [60, 300, 1800, 3600];

    private readonly TrackerRuntime _rt;
    private readonly ReplicationPolicyCheck _policy;
    private readonly ILogger _log;

    public RebalanceMover(TrackerRuntime runtime)
    {
        _rt = runtime;
        _policy = new ReplicationPolicyCheck(runtime.Observations, runtime.Options.MinFreeSpaceMb);
        _log = runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Rebalance");
    }

    public async Task HandleAsync(Claim claim, CancellationToken ct)
    {
        var item = claim.Item;
        bool drain = (item.Flags & 1) != 0;
        string? error;
        try
        {
            error = item.DevId is int source
                ? await MoveAsync(item.Fid, source, ParseTargets(item.Arg), ct).ConfigureAwait(false)
                : null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            error = e.Message;
        }
        if (error == "locked")
        {
            // Someone else (replicator, fsck) works on the fid: try again soon.
            await _rt.Store.RescheduleFileQueueRowAsync(item.Fid, MetadataStore.RebalanceQueue, 5, ct).ConfigureAwait(false);
            return;
        }
        if (error != null)
        {
            string text = $"Rebalance for fid={item.Fid} from dev{item.DevId} failed: {error}";
            FsckLogMessages.RebalanceError(_log, text);
            _rt.Errors.Publish($"[rebalance({Environment.ProcessId})] {text}");
            if (drain)
            {
                long delay = DrainBackoff[Math.Min(item.FailCount, DrainBackoff.Length - 1)];
                await _rt.Store.RescheduleFileQueueRowAsync(item.Fid, MetadataStore.RebalanceQueue, delay, ct).ConfigureAwait(false);
                return;
            }
        }
        await _rt.Store.DeleteFileQueueRowAsync(item.Fid, MetadataStore.RebalanceQueue, ct).ConfigureAwait(false);
    }

    private static List<int>? ParseTargets(string? arg)
    {
        if (string.IsNullOrWhiteSpace(arg)) return null;
        var list = new List<int>();
        foreach (var p in arg.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int d)) list.Add(d);
        return list.Count > 0 ? list : null;
    }

    /// <summary>Moves the copy of <paramref name="fid"/> off <paramref name="source"/>. Null = done (or nothing to do); else why not ("locked" = fid lock busy).</summary>
    public async Task<string?> MoveAsync(long fid, int source, IReadOnlyCollection<int>? targets, CancellationToken ct)
    {
        var host = JobHost.Of(_rt) ?? throw new InvalidOperationException("background jobs are not running");
        await using var lk = await _rt.Store.TryLockAsync(FsckChecker.FidLockName(fid), FidLockTimeout, ct).ConfigureAwait(false);
        if (lk is null) return "locked";
        var facts = await _rt.Store.GetReplicationFactsAsync(fid, ct).ConfigureAwait(false);
        if (facts is null || !facts.DevIds.Contains(source)) return null;

        var (outcome, detail) = await host.Replicator.ReplicateAsync(fid, null, ct, mask: source, targets: targets).ConfigureAwait(false);
        switch (outcome)
        {
            case ReplicateOutcome.NoFid:
                return null;
            case ReplicateOutcome.Copied or ReplicateOutcome.TooHappy or ReplicateOutcome.LostRace:
                break;
            case ReplicateOutcome.WouldWorsen:
                if (targets is null) return "no suitable destination devices available";
                break; // the unrestricted attempt below may still find a place
            default:
                if (targets is null) return $"Replication failed: {Replicator.OutcomeName(outcome)} {detail}".TrimEnd();
                break;
        }

        if (!await SafeWithoutSourceAsync(fid, source, ct).ConfigureAwait(false))
        {
            if (targets is null) return "the other copies would not satisfy the class's replication policy";
            (outcome, detail) = await host.Replicator.ReplicateAsync(fid, null, ct, mask: source, targets: null).ConfigureAwait(false);
            if (outcome == ReplicateOutcome.NoFid) return null;
            if (!await SafeWithoutSourceAsync(fid, source, ct).ConfigureAwait(false))
                return $"no suitable destination devices available ({Replicator.OutcomeName(outcome)} {detail})".TrimEnd();
        }
        return await DeleteSourceAsync(host, fid, source, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Would the fid still satisfy its class's policy without the source copy? Only copies on devices
    /// that are not dead and readable now count, and at least one of them must answer a HEAD with the
    /// right size.
    /// </summary>
    private async Task<bool> SafeWithoutSourceAsync(long fid, int source, CancellationToken ct)
    {
        var facts = await _rt.Store.GetReplicationFactsAsync(fid, ct).ConfigureAwait(false);
        if (facts is null) return false;
        var snap = _rt.Metadata.Current;
        var others = new List<int>();
        foreach (int d in facts.DevIds)
        {
            if (d == source || !snap.TryGetDevice(d, out var dev)) continue;
            if (dev.Status == DeviceState.Dead || !FsckDevices.ShouldReadFrom(snap, _rt.Observations, dev)) continue;
            others.Add(d);
        }
        if (others.Count == 0) return false;
        var cls = FsckChecker.ClassFor(snap, facts.File);
        try
        {
            if (_policy.Evaluate(snap, cls, others) is not (PolicyVerdict.AllGood or PolicyVerdict.TooGood)) return false;
        }
        catch (NotSupportedException)
        {
            return false;
        }
        foreach (int d in others)
        {
            snap.TryGetDevice(d, out var dev);
            if (!snap.TryGetHost(dev!.HostId, out var h) || h.Ip is null) continue;
            var head = await _rt.StorageNodes.HeadAsync(h.Ip, h.ReadPort, StoragePaths.FidPath(d, fid), ct).ConfigureAwait(false);
            if (head.Status == HeadStatus.Ok && head.Size == facts.File.Length) return true;
        }
        return false;
    }

    private async Task<string?> DeleteSourceAsync(JobHost host, long fid, int source, CancellationToken ct)
    {
        var snap = _rt.Metadata.Current;
        if (!snap.TryGetDevice(source, out var dev) || !snap.TryGetHost(dev.HostId, out var h) || h.Ip is null)
            return $"source dev{source} has no host";
        var url = StorageNodeClient.Url(h.Ip, h.WritePort, StoragePaths.FidPath(source, fid));
        var (status, err) = await host.Storage.DeleteAsync(url, _rt.StorageNodes.NodeTimeout, ct).ConfigureAwait(false);
        bool ok = status == 204 || (status is >= 200 and <= 299) || (status == 404 && _rt.Options.RebalanceIgnoreMissing);
        if (!ok) return $"DELETE {url} answered {status} {err}".TrimEnd();
        await _rt.Store.RemoveReplicaAsync(fid, source, !snap.SettingIsOn("skip_devcount"), ct).ConfigureAwait(false);
        return null;
    }
}
