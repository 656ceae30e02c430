using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using MogileFS.Core.Model;
using MogileFS.Core.Protocol;
using MogileFS.Store;
using MogileFS.Tracker.Jobs.Fsck;
using MogileFS.Tracker.Policies;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Jobs.Scrub;

/// <summary>
/// Continuous background scrubbing (ours, not in 2.73; docs/fsck-rebalance.md). While the server
/// setting <c>scrub_rate</c> (bytes per second) is above 0, one tracker at a time walks every fid in
/// order and runs the full fsck check on it with checksum verification forced (the class algorithm,
/// MD5 for classes without one): every copy is HEADed and its digest computed by the storage node
/// (side channel), so bit rot, missing and truncated copies are found and repaired without anyone
/// starting fsck. Findings go to fsck_log with the usual event codes.
///
/// Rate: the bytes whose digests were computed (at least 4 KiB per copy, so tiny files do not turn
/// into a request storm) are paced to <c>scrub_rate</c>. Progress: <c>scrub_last_fid</c> (cursor),
/// <c>scrub_passes</c> (completed passes), <c>scrub_pass_started</c> / <c>scrub_pass_finished</c>
/// (unix times). Work is done in slices of at most 50 fids / 5 s under the named lock
/// <c>mgfs:scrub</c>, so several trackers on one database share one cursor and one rate.
/// </summary>
public sealed class Scrubber
{
    public const string RateSetting = "scrub_rate", CursorSetting = "scrub_last_fid", PassesSetting = "scrub_passes",
        PassStartedSetting = "scrub_pass_started", PassFinishedSetting = "scrub_pass_finished";

    private const long MinBytesPerCopy = 4096;
    private static readonly TimeSpan SliceTime = TimeSpan.FromSeconds(5);
    private const int SliceFids = 50;

    private readonly TrackerRuntime _rt;
    private readonly FsckChecker _checker;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private Task? _loop;

    // pacing window: bytes charged since _windowStart
    private long _windowStart;
    private double _windowBytes;

    public Scrubber(TrackerRuntime runtime, FsckChecker checker)
    {
        _rt = runtime;
        _checker = checker;
        _log = runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Scrub");
    }

    /// <summary>Bytes per second from the setting; 0 = off. Accepts a k/m/g suffix (powers of 1024).</summary>
    public static long ParseRate(string? value) => ScrubRate.Parse(value);

    /// <summary>Job-master hook: starts the scrub loop when scrubbing is on and it is not running.</summary>
    public Task TickAsync(TrackerRuntime rt, CancellationToken ct)
    {
        if (ParseRate(rt.Metadata.Current.Setting(RateSetting)) <= 0) return Task.CompletedTask;
        lock (_gate)
        {
            if (_loop is null || _loop.IsCompleted)
                _loop = Task.Run(() => RunAsync(ct), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <summary>The running loop (tests wait on it).</summary>
    public Task? Loop { get { lock (_gate) return _loop; } }

    private async Task RunAsync(CancellationToken ct)
    {
        FsckLogMessages.Scrub(_log, "scrubbing started");
        _windowStart = Stopwatch.GetTimestamp();
        _windowBytes = 0;
        while (!ct.IsCancellationRequested)
        {
            long rate = ParseRate(_rt.Metadata.Current.Setting(RateSetting));
            if (rate <= 0) break;
            try
            {
                bool worked = await SliceAsync(rate, ct).ConfigureAwait(false);
                if (!worked) await Task.Delay(1000, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            catch (Exception e)
            {
                FsckLogMessages.ScrubError(_log, e.Message);
                try { await Task.Delay(5000, ct).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
            }
        }
        FsckLogMessages.Scrub(_log, "scrubbing stopped");
    }

    /// <summary>One slice under <c>mgfs:scrub</c>. False when the lock was busy (another tracker scrubs).</summary>
    private async Task<bool> SliceAsync(long rate, CancellationToken ct)
    {
        var store = _rt.Store;
        await using var lk = await store.TryLockAsync("mgfs:scrub", TimeSpan.Zero, ct).ConfigureAwait(false);
        if (lk is null) return false;
        long cursor = Perl.IntAsLong(await store.GetServerSettingAsync(CursorSetting, ct).ConfigureAwait(false));
        if (cursor == 0 && await store.GetServerSettingAsync(PassStartedSetting, ct).ConfigureAwait(false) is null)
            await store.SetServerSettingAsync(PassStartedSetting, (await store.GetDatabaseTimeAsync(ct).ConfigureAwait(false)).ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        var rows = await store.ListFidsAsync(cursor, SliceFids, ct).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            await FinishPassAsync(ct).ConfigureAwait(false);
            return cursor > 0; // an empty database: idle
        }
        var batch = await store.LoadFsckFidsAsync(rows.Select(r => r.Fid).ToList(), ct).ConfigureAwait(false);
        var settings = new FsckPassSettings(false, new FsckChecksumMode(FsckChecksumMode.Kind.Algorithm, HashType.MD5),
            _rt.Metadata.Current.SettingIsOn("skip_devcount"), LogEachBadCopy: true);
        long started = Stopwatch.GetTimestamp();
        long last = cursor;
        foreach (var row in rows)
        {
            if (batch.TryGetValue(row.Fid, out var f))
            {
                var r = await _checker.CheckAsync(f, settings, ct).ConfigureAwait(false);
                await PaceAsync(Math.Max(r.BytesDigested, MinBytesPerCopy * Math.Max(1, f.DevIds.Count)), rate, ct).ConfigureAwait(false);
            }
            last = row.Fid;
            if (Stopwatch.GetElapsedTime(started) > SliceTime) break;
            rate = ParseRate(_rt.Metadata.Current.Setting(RateSetting));
            if (rate <= 0) break;
        }
        await store.SetServerSettingAsync(CursorSetting, last.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        return true;
    }

    private async Task FinishPassAsync(CancellationToken ct)
    {
        var store = _rt.Store;
        var now = (await store.GetDatabaseTimeAsync(ct).ConfigureAwait(false)).ToString(CultureInfo.InvariantCulture);
        await store.WriteAsync(now, static async (s, now, ct) =>
        {
            await MetadataStore.SetServerSettingAsync(s, CursorSetting, "0", ct).ConfigureAwait(false);
            await MetadataStore.IncrementServerSettingAsync(s, PassesSetting, 1, ct).ConfigureAwait(false);
            await MetadataStore.SetServerSettingAsync(s, PassFinishedSetting, now, ct).ConfigureAwait(false);
            await MetadataStore.SetServerSettingAsync(s, PassStartedSetting, null, ct).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
        FsckLogMessages.Scrub(_log, "pass finished");
    }

    /// <summary>Charges <paramref name="bytes"/> and sleeps until the average since the window start is at most <paramref name="rate"/>.</summary>
    private async Task PaceAsync(long bytes, long rate, CancellationToken ct)
    {
        var elapsed = Stopwatch.GetElapsedTime(_windowStart);
        // An idle gap (lock busy, settings off) should not be spent as a burst later: restart the window.
        if (elapsed > TimeSpan.FromSeconds(10) && _windowBytes / rate < elapsed.TotalSeconds - 10)
        {
            _windowStart = Stopwatch.GetTimestamp();
            _windowBytes = 0;
            elapsed = TimeSpan.Zero;
        }
        _windowBytes += bytes;
        var due = TimeSpan.FromSeconds(_windowBytes / rate);
        if (due > elapsed) await Task.Delay(due - elapsed, ct).ConfigureAwait(false);
    }
}
