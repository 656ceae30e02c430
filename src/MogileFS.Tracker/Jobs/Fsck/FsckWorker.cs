using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MogileFS.Core.Protocol;
using MogileFS.Store;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Jobs.Fsck;

/// <summary>
/// The fsck workers (2.73 <c>fsck_jobs</c>, jobs.md §9.2): each claimed <c>file_to_queue</c> row of
/// type 1 is checked by <see cref="FsckChecker"/>; a fid that no longer exists or was checked loses
/// its row, a stalled one keeps it and comes back when its claim runs out. The pass settings
/// (<c>fsck_opt_policy_only</c> from the database, <c>fsck_checksum</c> and <c>skip_devcount</c> from
/// the metadata snapshot) are re-read at most once a second.
/// </summary>
public sealed class FsckWorker
{
    private readonly TrackerRuntime _rt;
    private readonly FsckChecker _checker;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _settingsGate = new(1, 1);
    private FsckPassSettings? _settings;
    private long _settingsAt;

    public FsckWorker(TrackerRuntime runtime, FsckChecker checker)
    {
        _rt = runtime;
        _checker = checker;
        _log = runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Fsck");
    }

    public FsckChecker Checker => _checker;

    public async Task HandleAsync(Claim claim, CancellationToken ct)
    {
        long fid = claim.Item.Fid;
        try
        {
            var f = await _rt.Store.LoadFsckFidAsync(fid, ct).ConfigureAwait(false);
            if (f is null)
            {
                await _rt.Store.DeleteFileQueueRowAsync(fid, MetadataStore.FsckQueue, ct).ConfigureAwait(false);
                return;
            }
            var settings = await SettingsAsync(ct).ConfigureAwait(false);
            var r = await _checker.CheckAsync(f, settings, ct).ConfigureAwait(false);
            if (r.Outcome == FsckOutcome.Handled)
                await _rt.Store.DeleteFileQueueRowAsync(fid, MetadataStore.FsckQueue, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The row stays claimed and is checked again when the claim runs out.
            FsckLogMessages.FsckError(_log, $"check of fid {fid} failed: {e.Message}");
            _rt.Metrics.Count(_rt.Metrics.FsckChecks, "error");
            _rt.Errors.Publish($"[fsck({Environment.ProcessId})] check of fid {fid} failed: {e.Message}");
        }
    }

    public async ValueTask<FsckPassSettings> SettingsAsync(CancellationToken ct)
    {
        var s = _settings;
        if (s != null && Stopwatch.GetElapsedTime(Volatile.Read(ref _settingsAt)) < TimeSpan.FromSeconds(1)) return s;
        await _settingsGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            s = _settings;
            if (s != null && Stopwatch.GetElapsedTime(Volatile.Read(ref _settingsAt)) < TimeSpan.FromSeconds(1)) return s;
            var snap = _rt.Metadata.Current;
            bool policyOnly = Perl.IsTrue(await _rt.Store.GetServerSettingAsync("fsck_opt_policy_only", ct).ConfigureAwait(false));
            s = new FsckPassSettings(policyOnly, FsckChecksumMode.Parse(snap.Setting("fsck_checksum")), snap.SettingIsOn("skip_devcount"));
            _settings = s;
            Volatile.Write(ref _settingsAt, Stopwatch.GetTimestamp());
            return s;
        }
        finally
        {
            _settingsGate.Release();
        }
    }
}
