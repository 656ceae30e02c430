using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MogileFS.Core.Protocol;
using MogileFS.Store;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Jobs.Fsck;

/// <summary>
/// fsck injection, run at the start of every job-master pass (jobs.md §4) but acting only on the
/// tracker whose host name is in <c>fsck_host</c>: summarise the fsck log (§9.6), then queue the next
/// <c>queue_rate_for_fsck</c> (1000) fids unless <c>queue_size_for_fsck</c> (20000) are already queued;
/// when no fid is left up to <c>fsck_fid_at_end</c>, clear <c>fsck_host</c> and stamp <c>fsck_stop_time</c>.
///
/// Timing kept from 2.73 (jobs.md §11.3, §15.15): nothing is injected synchronously by fsck_start; the
/// first batch goes in at least one second after this tracker first saw the run (2.73: the next
/// job-master pass, ≈1 s), because clients read the (still empty) log right after fsck_start.
/// </summary>
public sealed class FsckInjector
{
    /// <summary>Minimum time between seeing a new run and injecting its first fids.</summary>
    public static TimeSpan StartDelay { get; set; } = TimeSpan.FromSeconds(1);

    private readonly ILogger _log;
    private string? _seenRun;
    private long _seenAt;

    public FsckInjector(TrackerRuntime runtime)
    {
        _log = runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Fsck");
    }

    public async Task RunPassAsync(TrackerRuntime rt, CancellationToken ct)
    {
        var snap = rt.Metadata.Current;
        // The snapshot (≤1 s old) decides cheaply whether to look; the transaction re-checks fsck_host.
        var host = snap.Setting("fsck_host");
        if (!string.Equals(host, rt.HostName, StringComparison.Ordinal))
        {
            _seenRun = null;
            return;
        }
        string run = snap.Setting("fsck_start_time") ?? "";
        if (_seenRun != run)
        {
            _seenRun = run;
            _seenAt = Stopwatch.GetTimestamp();
        }
        if (Stopwatch.GetElapsedTime(_seenAt) < StartDelay) return;
        try
        {
            await rt.Store.FsckSummarizeAsync(ct).ConfigureAwait(false);
            long size = SettingOr(snap.Setting("queue_size_for_fsck"), 20000);
            int rate = (int)Math.Clamp(SettingOr(snap.Setting("queue_rate_for_fsck"), 1000), 1, 100_000);
            var (outcome, queued) = await rt.Store.InjectFsckBatchAsync(rt.HostName, size, rate, ct).ConfigureAwait(false);
            if (outcome == FsckInjectOutcome.Finished)
            {
                FsckLogMessages.InjectionFinished(_log, Perl.IntAsLong(await rt.Store.GetServerSettingAsync("fsck_highest_fid_checked", ct).ConfigureAwait(false)));
                await rt.Metadata.ReloadAsync(ct).ConfigureAwait(false);
            }
            if (queued > 0) JobHost.Of(rt)?.JobMaster.Wake();
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            FsckLogMessages.PassFailed(_log, e.Message, e);
        }
    }

    /// <summary>A queue_* setting: its number when set and positive, else the default.</summary>
    internal static long SettingOr(string? value, long fallback)
    {
        if (!Perl.IsTrue(value)) return fallback;
        long n = Perl.IntAsLong(value);
        return n > 0 ? n : fallback;
    }
}
