using System.Globalization;
using Microsoft.Extensions.Logging;
using MogileFS.Core.Model;
using MogileFS.Store;
using MogileFS.Tracker.Metadata;
using MogileFS.Tracker.Runtime;
using MogileFS.Tracker.Storage;

namespace MogileFS.Tracker.Jobs.Fsck;

/// <summary>How one fsck pass runs (read once per batch, jobs.md §9.2).</summary>
/// <param name="PolicyOnly"><c>fsck_opt_policy_only</c>: only the policy and devcount checks.</param>
/// <param name="Mode"><c>fsck_checksum</c>.</param>
/// <param name="SkipDevcount"><c>skip_devcount</c>: no BCNT checks or devcount updates.</param>
/// <param name="LogEachBadCopy">Log a <c>BSUM</c> with the devid of every copy that disagrees with the
/// stored checksum (the scrubber, ours); fsck logs only the <c>REPL</c> that follows, as 2.73.</param>
public sealed record FsckPassSettings(bool PolicyOnly, FsckChecksumMode Mode, bool SkipDevcount, bool LogEachBadCopy = false);

public enum FsckOutcome
{
    /// <summary>Checked (problems, if any, were logged and repaired or queued): the queue row goes.</summary>
    Handled,
    /// <summary>A device could not be reached or the fid lock was busy: the queue row stays and comes back after its claim expires.</summary>
    Stalled,
}

/// <summary>Outcome of one fid plus the bytes whose digests were computed (the scrubber's rate limit counts them).</summary>
public readonly record struct FsckCheckResult(FsckOutcome Outcome, long BytesDigested);

/// <summary>
/// The per-fid check of 2.73's fsck worker (jobs.md §9.3) and its repair (§9.5, §11.4).
///
/// Fast path, without a lock, over the batch-loaded locations: no locations (NOPA) or a policy
/// violation (POVI) go to the repair path with a recheck under the lock; a wrong devcount is logged
/// (BCNT) and corrected; a class that wants a checksum but has none, an algorithm in
/// <c>fsck_checksum</c>, or a class with a hashtype (unless <c>fsck_checksum=off</c>) also go to the
/// repair path; otherwise one parallel HEAD per copy decides (wrong size → repair, unreachable → stalled).
///
/// Repair path, under <c>mgfs:fid:&lt;fid&gt;:replicate</c>: every listed copy is examined once (HEAD,
/// then the digest through the storage node's side channel when checksums are compared); with no good
/// copy every other device is searched (SRCH, FOND or GONE); bad copies are forgotten; digests are
/// resolved against the stored checksum; a policy still unsatisfied is queued for replication (REPL).
/// Events are buffered per fid and written in order in one transaction at the end (also when stalled).
/// </summary>
public sealed class FsckChecker
{
    /// <summary>The fid lock fsck takes for a repair: the replicator's lock (jobs.md §9.3).</summary>
    public static string FidLockName(long fid) => "mgfs:fid:" + fid.ToString(CultureInfo.InvariantCulture) + ":replicate";

    private static readonly TimeSpan FidLockTimeout = TimeSpan.FromSeconds(1);

    private readonly TrackerRuntime _rt;
    private readonly IReplicationPolicyCheck _policy;
    private readonly ILogger _log;

    public FsckChecker(TrackerRuntime runtime, IReplicationPolicyCheck policy)
    {
        _rt = runtime;
        _policy = policy;
        _log = runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Fsck");
    }

    private MetadataStore Store => _rt.Store;

    /// <summary>Checks one fid (batch-loaded file row, locations and checksum) and repairs what it finds.</summary>
    public async Task<FsckCheckResult> CheckAsync(FsckFid fid, FsckPassSettings settings, CancellationToken ct)
    {
        var run = new FidRun(fid.File.Fid, settings);
        FsckOutcome outcome;
        try
        {
            outcome = await CheckFastAsync(run, fid, ct).ConfigureAwait(false);
        }
        catch (StallException e)
        {
            Error($"Fsck stalled for fid {run.Fid}: {e.Message}");
            outcome = FsckOutcome.Stalled;
        }
        finally
        {
            await Store.AddFsckLogsAsync(run.Events, CancellationToken.None).ConfigureAwait(false);
            foreach (var ev in run.Events) _rt.Metrics.Count(_rt.Metrics.FsckEvents, ev.EvCode, "code");
        }
        _rt.Metrics.Count(_rt.Metrics.FsckChecks, outcome == FsckOutcome.Handled ? "handled" : "stalled");
        FsckLogMessages.FidChecked(_log, run.Fid, outcome.ToString());
        return new FsckCheckResult(outcome, run.BytesDigested);
    }

    private async Task<FsckOutcome> CheckFastAsync(FidRun run, FsckFid fid, CancellationToken ct)
    {
        var snap = _rt.Metadata.Current;
        var file = fid.File;
        var cls = ClassFor(snap, file);
        if (fid.DevIds.Count == 0)
            return await FixAsync(run, FsckEventCode.NoPaths, f => f.DevIds.Count > 0, ct).ConfigureAwait(false);
        if (!Meets(snap, cls, fid.DevIds))
            return await FixAsync(run, FsckEventCode.PolicyViolation, f => Meets(_rt.Metadata.Current, ClassFor(_rt.Metadata.Current, f.File), f.DevIds), ct).ConfigureAwait(false);
        if (!run.Settings.SkipDevcount && file.DevCount != fid.DevIds.Count)
        {
            run.Log(FsckEventCode.BadCount);
            await Store.FsckFixDevcountAsync(file.Fid, ct).ConfigureAwait(false);
        }
        if (cls.HashType != HashType.None && fid.Checksum is null)
            return await FixAsync(run, null, null, ct).ConfigureAwait(false);
        if (run.Settings.PolicyOnly) return FsckOutcome.Handled;
        if (run.Settings.Mode.IsAlgorithm)
            return await VerifiedWithoutLockAsync(run, snap, fid, cls.HashType != HashType.None ? cls.HashType : run.Settings.Mode.Algorithm, ct).ConfigureAwait(false)
                ? FsckOutcome.Handled
                : await FixAsync(run, null, null, ct).ConfigureAwait(false);

        var sizes = await Task.WhenAll(fid.DevIds.Select(d => SizeOnDiskAsync(snap, d, file.Fid, ct))).ConfigureAwait(false);
        bool stalled = false, needFix = false;
        for (int i = 0; i < sizes.Length; i++)
        {
            if (sizes[i] is not long size)
            {
                if (snap.TryGetDevice(fid.DevIds[i], out var dev) && dev.Status == DeviceState.Dead)
                {
                    needFix = true;
                    continue;
                }
                string ip = snap.TryGetDevice(fid.DevIds[i], out dev) && snap.TryGetHost(dev.HostId, out var h) ? h.Ip ?? "" : "";
                Error($"Connectivity problem reaching device {fid.DevIds[i]} on host {ip}");
                stalled = true;
            }
            else if (size != file.Length)
            {
                needFix = true;
            }
        }
        if (stalled) return FsckOutcome.Stalled;
        if (needFix) return await FixAsync(run, null, null, ct).ConfigureAwait(false);
        if (cls.HashType != HashType.None && run.Settings.Mode.Mode != FsckChecksumMode.Kind.Off)
            return await VerifiedWithoutLockAsync(run, snap, fid, cls.HashType, ct).ConfigureAwait(false)
                ? FsckOutcome.Handled
                : await FixAsync(run, null, null, ct).ConfigureAwait(false);
        return FsckOutcome.Handled;
    }

    /// <summary>
    /// The checksum comparison of the repair path, done optimistically without the fid lock: true when
    /// every copy is on a live device, has the right size and the same digest, and that digest equals
    /// the stored checksum (of this algorithm) — then the repair path would find nothing and log
    /// nothing. Anything else (including an unreachable device) goes through the repair path under the
    /// lock, which examines everything again. Saves two lock round trips and two reloads per healthy fid.
    /// </summary>
    private async Task<bool> VerifiedWithoutLockAsync(FidRun run, MetadataSnapshot snap, FsckFid fid, HashType alg, CancellationToken ct)
    {
        if (fid.Checksum is { } sum && (fid.ChecksumType != alg || sum.Length != HashTypes.DigestLength(alg))) return false;
        var file = fid.File;
        var results = await Task.WhenAll(fid.DevIds.Select(async devid =>
        {
            if (!snap.TryGetDevice(devid, out var dev) || dev.Status == DeviceState.Dead) return null;
            var size = await SizeOnDiskAsync(snap, devid, file.Fid, ct).ConfigureAwait(false);
            if (size != file.Length || !snap.TryGetHost(dev.HostId, out var host)) return null;
            var d = await _rt.StorageNodes.FsckDigestAsync(host.Ip ?? "", host.ReadPort, StoragePaths.FidPath(devid, file.Fid), alg, file.Length, ct).ConfigureAwait(false);
            lock (run) run.BytesDigested += file.Length;
            return d.Status == DigestStatus.Ok ? d.Digest : null;
        })).ConfigureAwait(false);
        if (results.Length == 0 || results.Any(r => r is null)) return false;
        var first = results[0]!;
        if (results.Any(r => !r!.AsSpan().SequenceEqual(first))) return false;
        return fid.Checksum is null ? ClassFor(snap, file).HashType == HashType.None : fid.Checksum.AsSpan().SequenceEqual(first);
    }

    /// <summary>
    /// The slow path: under the fid lock, reload the fid; with a recheck, a problem that went away is
    /// left alone and one that persists is logged as <paramref name="reason"/> before the repair.
    /// </summary>
    private async Task<FsckOutcome> FixAsync(FidRun run, string? reason, Func<FsckFid, bool>? recheck, CancellationToken ct)
    {
        await using var lk = await Store.TryLockAsync(FidLockName(run.Fid), FidLockTimeout, ct).ConfigureAwait(false);
        if (lk is null)
        {
            Error($"Fsck stalled for fid {run.Fid}: failed to acquire lock");
            return FsckOutcome.Stalled;
        }
        var fresh = await Store.LoadFsckFidAsync(run.Fid, ct).ConfigureAwait(false);
        if (fresh is null) return FsckOutcome.Handled;
        if (recheck != null)
        {
            if (recheck(fresh)) return FsckOutcome.Handled;
            run.Log(reason!);
        }
        if (!await RepairAsync(run, fresh, ct).ConfigureAwait(false))
            run.Log(FsckEventCode.CantFix);
        return FsckOutcome.Handled;
    }

    /// <summary>2.73 <c>fix_fid</c>. False = no good copy anywhere (GONE). Throws <see cref="StallException"/> when a device cannot be asked.</summary>
    private async Task<bool> RepairAsync(FidRun run, FsckFid f, CancellationToken ct)
    {
        var snap = _rt.Metadata.Current;
        var file = f.File;
        var cls = ClassFor(snap, file);
        var alg = cls.HashType != HashType.None ? cls.HashType
            : run.Settings.Mode.IsAlgorithm ? run.Settings.Mode.Algorithm : HashType.None;
        var exam = new Examination(alg);

        foreach (int devid in f.DevIds)
            await ExamineAsync(run, exam, snap, file, devid, search: false, ct).ConfigureAwait(false);

        int? found = null;
        if (exam.Good.Count == 0)
        {
            run.Log(FsckEventCode.StartSearch);
            var candidates = snap.Devices.Where(d => d.Status != DeviceState.Dead).Select(d => d.Id).ToArray();
            Random.Shared.Shuffle(candidates);
            foreach (int devid in candidates)
            {
                if (exam.Checked.Contains(devid)) continue;
                await ExamineAsync(run, exam, snap, file, devid, search: true, ct).ConfigureAwait(false);
                if (exam.Good.Count > 0) break;
            }
            if (exam.Good.Count == 0)
            {
                var listedBad = exam.Bad.Where(f.DevIds.Contains).ToList();
                foreach (int d in listedBad) Error($"removing file_on mapping for fid={file.Fid}, dev={d}");
                await Store.FsckUpdateLocationsAsync(file.Fid, null, listedBad, !run.Settings.SkipDevcount, ct).ConfigureAwait(false);
                return false;
            }
            run.Log(FsckEventCode.FoundFid);
            found = exam.Good[0];
        }

        var remove = exam.Bad.Where(f.DevIds.Contains).ToList();
        foreach (int d in remove) Error($"removing file_on mapping for fid={file.Fid}, dev={d}");

        if (alg != HashType.None)
        {
            var copies = exam.Digests.Where(c => exam.Good.Contains(c.DevId)).ToList();
            var decision = ChecksumResolver.Resolve(copies, f.Checksum is { } sum ? (f.ChecksumType, sum) : null, alg, cls.HashType, run.Settings.Mode, run.Settings.LogEachBadCopy);
            foreach (var (code, devid) in decision.Events) run.Log(code, devid);
            if (decision.CreateRow is { } row)
                await Store.FsckSaveChecksumAsync(file.Fid, row.Type, row.Digest, replace: false, ct).ConfigureAwait(false);
            foreach (int d in decision.Remove)
            {
                if (remove.Contains(d)) continue;
                Error($"removing file_on mapping for fid={file.Fid}, dev={d} (checksum mismatch)");
                remove.Add(d);
            }
        }
        if (found is not null || remove.Count > 0)
            await Store.FsckUpdateLocationsAsync(file.Fid, found, remove, updateDevcount: false, ct).ConfigureAwait(false);

        var now = await Store.LoadFsckFidAsync(file.Fid, ct).ConfigureAwait(false);
        if (now is null) return true;
        if (!Meets(snap, cls, now.DevIds))
        {
            await Store.EnqueueReplicationAsync(file.Fid, 1, ct).ConfigureAwait(false);
            run.Log(FsckEventCode.ReReplicate);
            return true;
        }
        // 2.73 recounts devcount when it notes a found copy, before it forgets the missing ones, so a file
        // found elsewhere always ends with a BCNT event; the same events are logged here.
        bool recounted = found is not null && !run.Settings.SkipDevcount;
        long devcount = recounted ? f.DevIds.Append(found!.Value).Distinct().Count() : now.File.DevCount;
        if (!run.Settings.SkipDevcount && devcount != now.DevIds.Count)
        {
            await Store.FsckFixDevcountAsync(file.Fid, ct).ConfigureAwait(false);
            run.Log(FsckEventCode.BadCount);
        }
        else if (recounted && now.File.DevCount != now.DevIds.Count)
            await Store.FsckFixDevcountAsync(file.Fid, ct).ConfigureAwait(false); // 2.73's recount, no event
        return true;
    }

    /// <summary>Examines one copy: dead device → bad; size right → good (digest when comparing); wrong → MISS/BLEN, bad.</summary>
    private async Task ExamineAsync(FidRun run, Examination exam, MetadataSnapshot snap, FileRow file, int devid, bool search, CancellationToken ct)
    {
        if (!exam.Checked.Add(devid)) return;
        if (!snap.TryGetDevice(devid, out var dev))
            throw new StallException($"dev {devid} unknown to this tracker");
        if (dev.Status == DeviceState.Dead)
        {
            exam.Bad.Add(devid);
            return;
        }
        var size = await SizeOnDiskAsync(snap, devid, file.Fid, ct).ConfigureAwait(false)
            ?? throw new StallException($"dev {devid} unreachable");
        if (size == file.Length)
        {
            if (exam.Algorithm != HashType.None)
            {
                snap.TryGetHost(dev.HostId, out var host);
                var d = await _rt.StorageNodes.FsckDigestAsync(host.Ip ?? "", host.ReadPort, StoragePaths.FidPath(devid, file.Fid), exam.Algorithm, file.Length, ct).ConfigureAwait(false);
                run.BytesDigested += file.Length;
                switch (d.Status)
                {
                    case DigestStatus.Failed:
                        throw new StallException($"dev {devid}: digest failed: {d.Error}");
                    case DigestStatus.Missing:
                        if (!search) run.Log(FsckEventCode.FileMissing, devid);
                        exam.Bad.Add(devid);
                        return;
                }
                exam.Digests.Add((devid, d.Digest!));
            }
            exam.Good.Add(devid);
            return;
        }
        if (!search) run.Log(size == -1 ? FsckEventCode.FileMissing : FsckEventCode.BadLength, devid);
        exam.Bad.Add(devid);
    }

    /// <summary>2.73 <c>size_on_disk</c>: HEAD on the GET port. -1 = missing (404); null = unknown (dead, not readable, unreachable).</summary>
    private async Task<long?> SizeOnDiskAsync(MetadataSnapshot snap, int devid, long fid, CancellationToken ct)
    {
        if (!snap.TryGetDevice(devid, out var dev) || dev.Status == DeviceState.Dead) return null;
        if (!FsckDevices.ShouldReadFrom(snap, _rt.Observations, dev) || !snap.TryGetHost(dev.HostId, out var host)) return null;
        var r = await _rt.StorageNodes.HeadAsync(host.Ip ?? "", host.ReadPort, StoragePaths.FidPath(devid, fid), ct).ConfigureAwait(false);
        return r.Status switch
        {
            HeadStatus.Ok => r.Size,
            HeadStatus.Missing => -1,
            _ => null,
        };
    }

    /// <summary>The class of a file; an unknown class behaves as the domain's default class.</summary>
    internal static ClassInfo ClassFor(MetadataSnapshot snap, FileRow file)
    {
        if (snap.TryGetClass(file.DomainId, file.ClassId, out var cls)) return cls;
        if (snap.TryGetClass(file.DomainId, 0, out cls)) return cls;
        return new ClassInfo(file.DomainId, 0, ClassInfo.DefaultName, snap.DefaultMinDevCount, null, HashType.None, IsImplicit: true);
    }

    private bool Meets(MetadataSnapshot snap, ClassInfo cls, IReadOnlyList<int> devids)
    {
        try
        {
            return _policy.MeetsPolicy(snap, cls, devids);
        }
        catch (NotSupportedException e)
        {
            throw new StallException($"replication policy '{cls.EffectiveReplPolicy}' cannot be evaluated: {e.Message}");
        }
    }

    private void Error(string message)
    {
        FsckLogMessages.FsckError(_log, message);
        _rt.Errors.Publish($"[fsck({Environment.ProcessId})] {message}");
    }

    private sealed class StallException(string message) : Exception(message);

    private sealed class Examination(HashType algorithm)
    {
        public HashType Algorithm { get; } = algorithm;
        public HashSet<int> Checked { get; } = new();
        public List<int> Good { get; } = new();
        public List<int> Bad { get; } = new();
        public List<(int DevId, byte[] Digest)> Digests { get; } = new();
    }

    private sealed class FidRun(long fid, FsckPassSettings settings)
    {
        public long Fid { get; } = fid;
        public FsckPassSettings Settings { get; } = settings;
        public List<(long Fid, string EvCode, int? DevId)> Events { get; } = new();
        public long BytesDigested { get; set; }
        public void Log(string code, int? devid = null) => Events.Add((Fid, code, devid));
    }
}
