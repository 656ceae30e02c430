using Microsoft.Extensions.Logging;
using MogileFS.Core.Model;
using MogileFS.Store;
using MogileFS.Tracker.Metadata;
using MogileFS.Tracker.Storage;

namespace MogileFS.Tracker.Jobs;

/// <summary>Outcome of one replication attempt (jobs.md §5.1/§5.2; names as 2.73's).</summary>
public enum ReplicateOutcome
{
    Copied, LostRace, NoFid, WouldWorsen,
    FailedGettingLock, NoSource, SourceDown, TooHappy,
    PolicyNoSuggestions, PolicyErrorDoingFailed, PolicyErrorAlreadyThere, PolicyError,
}

/// <summary>
/// The replicate worker (jobs.md §5): for each claimed <c>file_to_replicate</c> row, under the fid lock
/// <c>mgfs:fid:&lt;fid&gt;:replicate</c>, asks the class's policy where copies are missing, copies
/// storage node to storage node through this tracker (GET source → PUT destination, streaming,
/// digest checked when the fid or class has one), records each copy, and finally deletes the row,
/// reschedules it with 2.73's back-off, or parks it at END OF TIME when no copy exists at all.
///
/// Differences from 2.73, on purpose: a destination's <c>reject_bad_md5</c> is trusted instead of
/// reading the copy back only when a Content-MD5 header was actually sent (quirk 15.7); a copy whose
/// streamed digest contradicts the stored checksum is deleted from the destination again.
/// </summary>
public sealed class Replicator
{
    private static readonly int[] Backoff = [15, 60, 300, 1800, 3600, 7200, 14400, 28800];
    private readonly JobHost _host;
    private readonly ILogger _log;
    private readonly DirectoryVivifier _vivifier;

    public Replicator(JobHost host)
    {
        _host = host;
        _log = host.Runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Jobs.Replicate");
        _vivifier = new DirectoryVivifier(host.Runtime.StorageNodes);
    }

    /// <summary>Raised before each copy (fid, destination devid) and after it (tests: no fid copied twice at once).</summary>
    public event Action<long, int>? CopyStarting;
    public event Action<long, int, bool>? CopyFinished;

    /// <summary>2.73's retry delay for a row that failed <paramref name="failCount"/> times before (×[0.8,1.2)).</summary>
    public static long BackoffSeconds(int failCount, Random rng)
    {
        int b = failCount < Backoff.Length ? Backoff[Math.Max(0, failCount)] : 86400;
        return (long)(b * (0.8 + 0.4 * rng.NextDouble()));
    }

    /// <summary>One claimed replicate row.</summary>
    public async Task HandleAsync(Claim claim, CancellationToken ct)
    {
        var item = claim.Item;
        var rt = _host.Runtime;
        try
        {
            await using var fidLock = await rt.Store.TryLockAsync($"mgfs:fid:{item.Fid}:replicate", TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            if (fidLock is null)
            {
                _host.Stats.Increment("replicate_lock_busy");
                return; // failed_getting_lock: the row keeps its claim and comes back after the lease
            }
            var (outcome, detail, pending) = await ReplicateCoreAsync(item.Fid, item.DevId, ct, null, null, deferLast: true).ConfigureAwait(false);
            int fc = item.FailCount;
            rt.Metrics.Count(rt.Metrics.Replications, outcome == ReplicateOutcome.Copied ? "copied" : OutcomeName(outcome));
            switch (outcome)
            {
                case ReplicateOutcome.Copied when pending != null:
                    await rt.Store.RecordReplicaAndFinishAsync(item.Fid, pending.DevId, pending.UpdateDevcount, pending.ChecksumType, pending.Checksum, CancellationToken.None).ConfigureAwait(false);
                    _host.Stats.Increment("replicate_done");
                    break;
                case ReplicateOutcome.Copied or ReplicateOutcome.LostRace or ReplicateOutcome.NoFid or ReplicateOutcome.WouldWorsen:
                    await rt.Store.DeleteReplicationRowAsync(item.Fid, ct).ConfigureAwait(false);
                    _host.Stats.Increment("replicate_done");
                    break;
                case ReplicateOutcome.NoSource:
                    JobLog.ReplicationFailed(_log, item.Fid, "no_source", detail);
                    await rt.Store.RescheduleReplicationAsync(item.Fid, null, fc + 1, ct).ConfigureAwait(false);
                    break;
                case ReplicateOutcome.TooHappy:
                    bool removed = await RemoveSurplusCopyAsync(item.Fid, ct).ConfigureAwait(false);
                    if (removed) fc = 0;
                    await rt.Store.RescheduleReplicationAsync(item.Fid, BackoffSeconds(fc, Random.Shared), fc + 1, ct).ConfigureAwait(false);
                    break;
                default:
                    JobLog.ReplicationFailed(_log, item.Fid, OutcomeName(outcome), detail);
                    await rt.Store.RescheduleReplicationAsync(item.Fid, BackoffSeconds(fc, Random.Shared), fc + 1, ct).ConfigureAwait(false);
                    break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception e)
        {
            JobLog.ReplicateItemFailed(_log, item.Fid, e.Message, e);
            rt.Metrics.Count(rt.Metrics.Replications, "error");
            throw;
        }
    }

    public static string OutcomeName(ReplicateOutcome o) => o switch
    {
        ReplicateOutcome.FailedGettingLock => "failed_getting_lock",
        ReplicateOutcome.NoSource => "no_source",
        ReplicateOutcome.SourceDown => "source_down",
        ReplicateOutcome.TooHappy => "too_happy",
        ReplicateOutcome.PolicyNoSuggestions => "policy_no_suggestions",
        ReplicateOutcome.PolicyErrorDoingFailed => "policy_error_doing_failed",
        ReplicateOutcome.PolicyErrorAlreadyThere => "policy_error_already_there",
        ReplicateOutcome.PolicyError => "policy_error",
        ReplicateOutcome.LostRace => "lost_race",
        ReplicateOutcome.NoFid => "nofid",
        ReplicateOutcome.WouldWorsen => "would_worsen",
        _ => "1",
    };

    // ---- views of the cluster ------------------------------------------------------------------

    internal sealed class ClusterView
    {
        public required MetadataSnapshot Snapshot { get; init; }
        public required Dictionary<int, PolicyDevice> Devices { get; init; }
        public required List<PolicyDevice> All { get; init; }
    }

    internal ClusterView View()
    {
        var rt = _host.Runtime;
        var snap = rt.Metadata.Current;
        var zones = snap.Setting("network_zones") is null ? NetworkZones.Empty : NetworkZones.From(snap.Setting);
        var devices = new Dictionary<int, PolicyDevice>();
        var all = new List<PolicyDevice>(snap.Devices.Count);
        foreach (var d in snap.Devices)
        {
            snap.TryGetHost(d.HostId, out var h);
            var pd = ToPolicyDevice(d, h, rt.Observations, rt.Options.MinFreeSpaceMb, zones);
            devices[d.Id] = pd;
            all.Add(pd);
        }
        return new ClusterView { Snapshot = snap, Devices = devices, All = all };
    }

    public static PolicyDevice ToPolicyDevice(DeviceInfo d, HostInfo? h, DeviceObservations obs, long minFreeMb, NetworkZones zones)
    {
        double? pf = d.MbTotal is > 0 && d.MbUsed is long u ? 1.0 - (double)u / d.MbTotal.Value : null;
        bool accepts = d.Status == DeviceState.Alive && h?.Status == HostState.Alive && obs.IsWriteable(d)
                       && !(d.MbTotal is > 0 && (d.MbFree ?? 0) < minFreeMb);
        return new PolicyDevice(d.Id, d.HostId, d.Status, accepts, pf, zones.ZoneOf(h?.Ip), zones.NetworkOf(h?.Ip));
    }

    /// <summary>2.73 should_read_from: host alive/readonly, device readable, monitor sees it readable.</summary>
    internal static bool ShouldReadFrom(MetadataSnapshot snap, DeviceObservations obs, int devid)
    {
        if (!snap.TryGetDevice(devid, out var d) || !snap.TryGetHost(d.HostId, out var h)) return false;
        return h.Status is HostState.Alive or HostState.Readonly && d.Status.CanRead() && obs.IsReadable(d);
    }

    internal static bool CanDeleteFrom(MetadataSnapshot snap, int devid) =>
        snap.TryGetDevice(devid, out var d) && snap.TryGetHost(d.HostId, out var h) && h.Status == HostState.Alive && d.Status.CanDeleteFrom();

    internal static ClassInfo ClassOf(MetadataSnapshot snap, FileRow f) =>
        snap.TryGetClass(f.DomainId, f.ClassId, out var c) ? c
        : snap.TryGetClass(f.DomainId, 0, out var dflt) ? dflt
        : new ClassInfo(f.DomainId, 0, ClassInfo.DefaultName, snap.DefaultMinDevCount, null, HashType.None, true);

    // ---- replicate(fid) ------------------------------------------------------------------------

    /// <summary>
    /// jobs.md §5.2 for one fid; the caller holds the fid lock. <paramref name="mask"/> (rebalance
    /// source) is treated as not holding the fid and never copied to; <paramref name="targets"/>
    /// restricts the destinations.
    /// </summary>
    public async Task<(ReplicateOutcome Outcome, string Detail)> ReplicateAsync(long fid, int? preferredSource, CancellationToken ct,
        int? mask = null, IReadOnlyCollection<int>? targets = null)
    {
        var (outcome, detail, _) = await ReplicateCoreAsync(fid, preferredSource, ct, mask, targets, deferLast: false).ConfigureAwait(false);
        return (outcome, detail);
    }

    /// <summary>A copy made but not recorded yet: the caller records it together with the row outcome.</summary>
    internal sealed record PendingCopy(int DevId, bool UpdateDevcount, HashType ChecksumType, byte[]? Checksum);

    /// <summary>
    /// <see cref="ReplicateAsync"/>; with <paramref name="deferLast"/> the last copy of a successful
    /// attempt is returned unrecorded, so the worker records it and deletes the queue row in one
    /// transaction (one write fewer per file; every other copy is recorded as soon as it is made).
    /// </summary>
    internal async Task<(ReplicateOutcome Outcome, string Detail, PendingCopy? Pending)> ReplicateCoreAsync(long fid, int? preferredSource, CancellationToken ct,
        int? mask, IReadOnlyCollection<int>? targets, bool deferLast)
    {
        PendingCopy? pending = null;
        try
        {
            var r = await ReplicateLoopAsync(fid, preferredSource, ct, mask, targets, deferLast, p => pending = p).ConfigureAwait(false);
            if (r.Outcome == ReplicateOutcome.Copied && deferLast && pending != null)
            {
                var done = pending;
                pending = null;
                return (r.Outcome, r.Detail, done);
            }
            return (r.Outcome, r.Detail, null);
        }
        finally
        {
            // Anything else (another outcome, an exception, cancellation): the copy exists, record it.
            if (pending != null)
                await _host.Runtime.Store.RecordReplicaAsync(fid, pending.DevId, pending.UpdateDevcount, pending.ChecksumType, pending.Checksum, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<(ReplicateOutcome Outcome, string Detail)> ReplicateLoopAsync(long fid, int? preferredSource, CancellationToken ct,
        int? mask, IReadOnlyCollection<int>? targets, bool deferLast, Action<PendingCopy?> setPending)
    {
        PendingCopy? pending = null;
        var rt = _host.Runtime;
        var facts = await rt.Store.GetReplicationFactsAsync(fid, ct).ConfigureAwait(false);
        if (facts is null) return (ReplicateOutcome.NoFid, "");
        var view = View();
        var snap = view.Snapshot;
        var cls = ClassOf(snap, facts.File);
        var policy = ReplicationPolicy.ForClass(cls.ReplPolicy);

        var on = facts.DevIds.Where(view.Devices.ContainsKey).ToList();
        if (on.Count == 0) return (ReplicateOutcome.NoSource, "no file_on row on a known device");
        var onForPolicy = on.Where(d => view.Devices[d].State != DeviceState.Dead && d != mask).ToList();
        var sources = on.Where(d => ShouldReadFrom(snap, rt.Observations, d)).ToList();
        if (sources.Count == 0) return (ReplicateOutcome.SourceDown, "no readable copy");
        IReadOnlyList<PolicyDevice> universe = targets is null ? view.All : view.All.Where(d => targets.Contains(d.DevId)).ToList();

        var failedDest = new HashSet<int>();
        var failedSrc = new HashSet<int>();
        int copies = 0;
        PolicyDecision decision = PolicyDecision.TempFail;
        HashType digestType = facts.ChecksumType != HashType.None ? facts.ChecksumType : cls.HashType;
        bool skipDevcount = snap.SettingIsOn("skip_devcount");
        bool checksumStored = facts.Checksum != null;
        string lastError = "";

        for (int round = 0; round < 64; round++)
        {
            try
            {
                decision = policy.ReplicateTo(new PolicyRequest
                {
                    On = onForPolicy.Select(d => view.Devices[d]).ToList(),
                    Universe = universe,
                    AllDevices = view.All,
                    Failed = failedDest,
                    ClassMin = cls.MinDevCount,
                });
            }
            catch (PolicyNotUsableException e)
            {
                return (ReplicateOutcome.PolicyError, e.Message);
            }
            if (decision.IsHappy || decision.Verdict == PolicyVerdict.TempFail) break;
            int dest;
            var idealUsable = decision.Ideal.Where(d => d != mask).ToList();
            if (idealUsable.Count > 0) dest = idealUsable[0];
            else if (decision.Ideal.Count > 0) return (ReplicateOutcome.WouldWorsen, "");
            else if (decision.Desperate.Count > 0) dest = decision.Desperate[0];
            else break;
            if (failedDest.Contains(dest)) return (ReplicateOutcome.PolicyErrorDoingFailed, $"dev{dest}");
            if (on.Contains(dest)) return (ReplicateOutcome.PolicyErrorAlreadyThere, $"dev{dest}");

            var usable = sources.Where(s => !failedSrc.Contains(s)).ToList();
            if (usable.Count == 0) return (ReplicateOutcome.SourceDown, lastError);
            int src = preferredSource is int p && usable.Contains(p) ? p : usable[Random.Shared.Next(usable.Count)];

            CopyStarting?.Invoke(fid, dest);
            bool ok = false, srcFault;
            byte[]? digest;
            string err;
            try
            {
                (ok, srcFault, digest, err) = await CopyAsync(fid, facts, src, dest, digestType, snap, ct).ConfigureAwait(false);
            }
            finally
            {
                CopyFinished?.Invoke(fid, dest, ok);
            }
            if (!ok)
            {
                lastError = err;
                JobLog.CopyFailed(_log, fid, src, dest, err);
                rt.Metrics.Count(rt.Metrics.Copies, "error");
                if (srcFault) failedSrc.Add(src); else failedDest.Add(dest);
                // Whatever failed, the destination may hold (part of) the file: it must not stay there unrecorded.
                await RemoveStrayAsync(fid, dest, snap, ct).ConfigureAwait(false);
                continue;
            }
            bool storeSum = !checksumStored && digest != null && cls.HashType != HashType.None && digestType == cls.HashType;
            var copy = new PendingCopy(dest, !skipDevcount, storeSum ? cls.HashType : HashType.None, storeSum ? digest : null);
            if (pending != null)
            {
                await rt.Store.RecordReplicaAsync(fid, pending.DevId, pending.UpdateDevcount, pending.ChecksumType, pending.Checksum, ct).ConfigureAwait(false);
                pending = null;
                setPending(null);
            }
            if (deferLast)
            {
                pending = copy;
                setPending(copy);
            }
            else await rt.Store.RecordReplicaAsync(fid, copy.DevId, copy.UpdateDevcount, copy.ChecksumType, copy.Checksum, ct).ConfigureAwait(false);
            if (storeSum) checksumStored = true;
            _host.Stats.Increment("replicate_copies");
            rt.Metrics.Count(rt.Metrics.Copies, "ok");
            copies++;
            on.Add(dest);
            onForPolicy.Add(dest);
            sources.Add(dest);
        }
        if (decision.Verdict == PolicyVerdict.TooGood) return (ReplicateOutcome.TooHappy, "");
        if (decision.Verdict == PolicyVerdict.AllGood) return (copies > 0 ? ReplicateOutcome.Copied : ReplicateOutcome.LostRace, "");
        return (ReplicateOutcome.PolicyNoSuggestions, lastError);
    }

    private async Task<(bool Ok, bool SourceFault, byte[]? Digest, string Error)> CopyAsync(long fid, ReplicationFacts facts, int srcDev, int dstDev,
        HashType digestType, MetadataSnapshot snap, CancellationToken ct)
    {
        var rt = _host.Runtime;
        if (!snap.TryGetDevice(srcDev, out var sd) || !snap.TryGetHost(sd.HostId, out var sh) || sh.Ip is null)
            return (false, true, null, $"source dev{srcDev} has no host");
        if (!snap.TryGetDevice(dstDev, out var dd) || !snap.TryGetHost(dd.HostId, out var dh) || dh.Ip is null)
            return (false, false, null, $"destination dev{dstDev} has no host");
        string srcPath = StoragePaths.FidPath(srcDev, fid);
        string dstPath = StoragePaths.FidPath(dstDev, fid);
        string srcUrl = StorageNodeClient.Url(sh.Ip, rt.Options.ReplUseGetPort ? sh.ReadPort : sh.WritePort, srcPath);
        string dstUrl = StorageNodeClient.Url(dh.Ip, dh.WritePort, dstPath);
        await _vivifier.EnsureAsync(dstDev, dh.Ip, dh.WritePort, fid, snap.SettingIsOn("skip_mkcol"), ct).ConfigureAwait(false);
        byte[]? contentMd5 = facts.ChecksumType == HashType.MD5 ? facts.Checksum : null;
        var r = await _host.Storage.CopyAsync(srcUrl, dstUrl, facts.File.Length, contentMd5,
            CopyOptions.ForReplication(_host.Options.CopyReadTimeout, digestType), ct).ConfigureAwait(false);
        // As 2.73, the streamed digest is judged before the destination's answer: a source that does not
        // match the stored checksum is the source's fault even when the destination refused it.
        if (r.Digest != null && facts.Checksum != null && !r.Digest.AsSpan().SequenceEqual(facts.Checksum))
        {
            if (r.Ok) await _host.Storage.DeleteAsync(dstUrl, rt.StorageNodes.NodeTimeout, ct).ConfigureAwait(false);
            return (false, true, null, "checksum mismatch on GET");
        }
        if (!r.Ok) return (false, r.Status == CopyStatus.SourceError, null, r.Error);
        if (r.Digest is null) return (true, false, null, "");
        bool trust = digestType == HashType.MD5 && contentMd5 != null && rt.Observations.Get(dstDev)?.RejectBadMd5 == true;
        if (!trust)
        {
            var check = await rt.StorageNodes.DigestAsync(dh.Ip, dh.WritePort, dstPath, digestType, facts.File.Length, ct).ConfigureAwait(false);
            if (check.Status != DigestStatus.Ok || check.Digest is null || !check.Digest.AsSpan().SequenceEqual(r.Digest))
                return (false, false, null, $"checksum verification of {dstUrl} failed: {(check.Status == DigestStatus.Ok ? "mismatch" : check.Error)}");
        }
        return (true, false, r.Digest, "");
    }

    // ---- stray copies ---------------------------------------------------------------------------

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(long Fid, int DevId), string> _strays = new();

    /// <summary>Copies that may exist on a device without a file_on row (a failed or cut-off PUT whose
    /// clean-up DELETE could not be done yet).</summary>
    public int PendingStrays => _strays.Count;

    /// <summary>
    /// After a failed copy (caller holds the fid lock, the fid has no location on <paramref name="devid"/>):
    /// DELETE whatever the destination may have kept. A node that went down mid-PUT may have stored the
    /// whole file; if the DELETE cannot be done now it is retried by <see cref="RunStrayCleanupAsync"/>.
    /// Ours: 2.73 left such copies behind, invisible to everything.
    /// </summary>
    private async Task RemoveStrayAsync(long fid, int devid, MogileFS.Tracker.Metadata.MetadataSnapshot snap, CancellationToken ct)
    {
        if (!snap.TryGetDevice(devid, out var d) || !snap.TryGetHost(d.HostId, out var h) || h.Ip is null) return;
        string url = StorageNodeClient.Url(h.Ip, h.WritePort, StoragePaths.FidPath(devid, fid));
        var (status, _) = await _host.Storage.DeleteAsync(url, _host.Storage.NodeTimeout, ct).ConfigureAwait(false);
        if (status is >= 200 and <= 299 or 404) _strays.TryRemove((fid, devid), out _);
        else if (_strays.Count < 100_000) _strays[(fid, devid)] = url;
    }

    /// <summary>Retries the clean-up of possible stray copies every few seconds, each under its fid lock
    /// and only while the fid still has no location on that device.</summary>
    public async Task RunStrayCleanupAsync(CancellationToken ct)
    {
        var rt = _host.Runtime;
        while (!ct.IsCancellationRequested)
        {
            try { await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            foreach (var ((fid, devid), url) in _strays)
            {
                var snap = rt.Metadata.Current;
                if (!snap.TryGetDevice(devid, out var d))
                {
                    _strays.TryRemove((fid, devid), out _);
                    continue;
                }
                if (!rt.Observations.IsWriteable(d)) continue;
                await using var l = await rt.Store.TryLockAsync($"mgfs:fid:{fid}:replicate", TimeSpan.Zero, ct).ConfigureAwait(false);
                if (l is null) continue;
                var devids = await rt.Store.GetFidDevidsAsync(fid, ct).ConfigureAwait(false);
                if (devids.Contains(devid))
                {
                    _strays.TryRemove((fid, devid), out _); // it became a real copy meanwhile
                    continue;
                }
                var (status, _) = await _host.Storage.DeleteAsync(url, rt.StorageNodes.NodeTimeout, ct).ConfigureAwait(false);
                if (status is >= 200 and <= 299 or 404) _strays.TryRemove((fid, devid), out _);
            }
        }
    }

    /// <summary>
    /// too_happy (jobs.md §5.1): removes one surplus copy when the policy stays satisfied without it and
    /// another copy's HEAD size matches the file length. Caller holds the fid lock.
    /// </summary>
    public async Task<bool> RemoveSurplusCopyAsync(long fid, CancellationToken ct)
    {
        var rt = _host.Runtime;
        var facts = await rt.Store.GetReplicationFactsAsync(fid, ct).ConfigureAwait(false);
        if (facts is null) return false;
        var view = View();
        var snap = view.Snapshot;
        var cls = ClassOf(snap, facts.File);
        var policy = ReplicationPolicy.ForClass(cls.ReplPolicy);
        var known = facts.DevIds.Where(view.Devices.ContainsKey).ToList();
        var candidates = known.OrderBy(_ => Random.Shared.Next())
            .Where(d => CanDeleteFrom(snap, d) && ShouldReadFrom(snap, rt.Observations, d)).ToList();
        // 2.73 tried only the first candidate and waited for the next attempt otherwise; we try each
        // in turn, so a surplus copy goes in one pass.
        foreach (var victim in candidates)
        {
            var rest = known.Where(d => d != victim && view.Devices[d].State != DeviceState.Dead).ToList();
            PolicyDecision decision;
            try
            {
                decision = policy.ReplicateTo(new PolicyRequest
                {
                    On = rest.Select(d => view.Devices[d]).ToList(),
                    Universe = view.All.Where(d => d.DevId != victim).ToList(),
                    AllDevices = view.All,
                    ClassMin = cls.MinDevCount,
                });
            }
            catch (PolicyNotUsableException) { return false; }
            if (!decision.IsHappy) continue;
            bool verified = false;
            foreach (var other in rest)
            {
                if (!ShouldReadFrom(snap, rt.Observations, other)) continue;
                snap.TryGetDevice(other, out var od);
                snap.TryGetHost(od!.HostId, out var oh);
                var head = await rt.StorageNodes.HeadAsync(oh!.Ip!, oh.ReadPort, StoragePaths.FidPath(other, fid), ct).ConfigureAwait(false);
                if (head.Status == HeadStatus.Ok && head.Size == facts.File.Length) { verified = true; break; }
            }
            if (!verified) continue;
            snap.TryGetDevice(victim, out var vd);
            snap.TryGetHost(vd!.HostId, out var vh);
            var (status, _) = await _host.Storage.DeleteAsync(StorageNodeClient.Url(vh!.Ip!, vh.WritePort, StoragePaths.FidPath(victim, fid)),
                rt.StorageNodes.NodeTimeout, ct).ConfigureAwait(false);
            if (status is < 200 or > 299) continue;
            await rt.Store.RemoveReplicaAsync(fid, victim, !snap.SettingIsOn("skip_devcount"), ct).ConfigureAwait(false);
            JobLog.SurplusRemoved(_log, fid, victim);
            return true;
        }
        return false;
    }
}
