using System.Globalization;

namespace MogileFS.Store;

/// <summary>A row of fsck_log.</summary>
public sealed record FsckLogRow(long LogId, long? UTime, long? Fid, string? EvCode, int? DevId);

// fsck control state and log (schema.md §3.12, §5; jobs.md §9.1). The state lives in server_settings.
public abstract partial class MetadataStore
{
    public ValueTask<long> GetMaxFsckLogIdAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) => await s.Sql("SELECT MAX(logid) FROM fsck_log").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0, ct);

    /// <summary>fsck_getlog: up to <paramref name="limit"/> rows with logid &gt; <paramref name="afterLogId"/>, ascending.</summary>
    public ValueTask<List<FsckLogRow>> GetFsckLogAsync(long afterLogId, int limit, CancellationToken ct) =>
        ReadAsync((afterLogId, limit), static async (s, a, ct) =>
        {
            var list = new List<FsckLogRow>();
            await using var r = await s.Sql("SELECT logid, utime, fid, evcode, devid FROM fsck_log WHERE logid > @a ORDER BY logid LIMIT @n")
                .Int("@a", a.afterLogId).Int("@n", a.limit).ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                list.Add(new FsckLogRow(StoreSession.GetInt64(r, 0) ?? 0, StoreSession.GetInt64(r, 1), StoreSession.GetInt64(r, 2),
                    s.GetText(r, 3), StoreSession.GetInt32(r, 4)));
            return list;
        }, ct);

    public ValueTask ClearFsckLogAsync(CancellationToken ct) =>
        WriteAsync(static async (s, ct) => { await s.Sql("DELETE FROM fsck_log").ExecuteAsync(ct).ConfigureAwait(false); }, ct);

    /// <summary>Appends an fsck event (used by the fsck worker and tests).</summary>
    public ValueTask AddFsckLogAsync(long? fid, string evcode, int? devid, CancellationToken ct) =>
        WriteAsync((fid, evcode, devid), static async (s, a, ct) =>
        {
            await s.Sql("INSERT INTO fsck_log (utime, fid, evcode, devid) VALUES ({NOW}, @f, CAST(@e AS TEXT), @d)")
                .Int("@f", a.fid).Text("@e", a.evcode).Int("@d", (long?)a.devid).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    private static async ValueTask<long> IntSettingAsync(StoreSession s, string field, CancellationToken ct)
    {
        var v = await s.Sql("SELECT value FROM server_settings WHERE field = CAST(@f AS TEXT)").Text("@f", field).ScalarTextAsync(ct).ConfigureAwait(false);
        return v is null ? 0 : (long)MogileFS.Core.Protocol.Perl.Int(v);
    }

    /// <summary>
    /// The reset proper of fsck_reset / fsck_start (jobs.md §9.1), one transaction: start/stop times
    /// deleted, fids_checked 0, fid_at_end = MAX(file.fid) (deleted when no files), event-count sums
    /// deleted, start_maxlogid = logid_processed = MAX(logid) (0 when empty). With
    /// <paramref name="setOptions"/> also writes fsck_opt_policy_only and fsck_highest_fid_checked.
    /// </summary>
    public ValueTask FsckResetAsync((bool PolicyOnly, string StartPos)? setOptions, CancellationToken ct) =>
        WriteAsync(setOptions, static async (s, opt, ct) =>
        {
            await FsckResetAsync(s, opt, ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    private static async ValueTask FsckResetAsync(StoreSession s, (bool PolicyOnly, string StartPos)? opt, CancellationToken ct)
    {
        if (opt is { } o)
        {
            await SetServerSettingAsync(s, "fsck_opt_policy_only", o.PolicyOnly ? "1" : null, ct).ConfigureAwait(false);
            await SetServerSettingAsync(s, "fsck_highest_fid_checked", o.StartPos, ct).ConfigureAwait(false);
        }
        await SetServerSettingAsync(s, "fsck_start_time", null, ct).ConfigureAwait(false);
        await SetServerSettingAsync(s, "fsck_stop_time", null, ct).ConfigureAwait(false);
        await SetServerSettingAsync(s, "fsck_fids_checked", "0", ct).ConfigureAwait(false);
        var maxFid = await s.Sql("SELECT MAX(fid) FROM file").ScalarInt64Async(ct).ConfigureAwait(false);
        await SetServerSettingAsync(s, "fsck_fid_at_end", maxFid?.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        await s.Sql("DELETE FROM server_settings WHERE field LIKE 'fsck!_sum!_evcount!_%' ESCAPE '!'").ExecuteAsync(ct).ConfigureAwait(false);
        var maxLog = (await s.Sql("SELECT MAX(logid) FROM fsck_log").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0).ToString(CultureInfo.InvariantCulture);
        await SetServerSettingAsync(s, "fsck_start_maxlogid", maxLog, ct).ConfigureAwait(false);
        await SetServerSettingAsync(s, "fsck_logid_processed", maxLog, ct).ConfigureAwait(false);
    }

    public enum FsckStartOutcome { Started, FsckRunning, RebalanceRunning }

    /// <summary>
    /// fsck_start (jobs.md §9.1) in one transaction, so two trackers cannot both start it: running
    /// checks, the reset when the previous run completed or none ever ran, then start time, stop time
    /// deleted, fids_checked 0, start_fid, and fsck_host = <paramref name="hostname"/>.
    /// </summary>
    public ValueTask<FsckStartOutcome> FsckStartAsync(string hostname, CancellationToken ct) =>
        WriteAsync(hostname, static async (s, host, ct) =>
        {
            if (MogileFS.Core.Protocol.Perl.IsTrue(await GetSettingAsync(s, "fsck_host", ct).ConfigureAwait(false))) return FsckStartOutcome.FsckRunning;
            if (MogileFS.Core.Protocol.Perl.IsTrue(await GetSettingAsync(s, "rebal_host", ct).ConfigureAwait(false))) return FsckStartOutcome.RebalanceRunning;
            long checkedFid = await IntSettingAsync(s, "fsck_highest_fid_checked", ct).ConfigureAwait(false);
            long finalFid = await IntSettingAsync(s, "fsck_fid_at_end", ct).ConfigureAwait(false);
            if ((checkedFid != 0 && finalFid != 0 && checkedFid >= finalFid) || (finalFid == 0 && checkedFid == 0))
                await FsckResetAsync(s, null, ct).ConfigureAwait(false);
            var now = await s.Sql("SELECT {NOW}").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0;
            await SetServerSettingAsync(s, "fsck_start_time", now.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
            await SetServerSettingAsync(s, "fsck_stop_time", null, ct).ConfigureAwait(false);
            await SetServerSettingAsync(s, "fsck_fids_checked", "0", ct).ConfigureAwait(false);
            var start = await GetSettingAsync(s, "fsck_highest_fid_checked", ct).ConfigureAwait(false);
            await SetServerSettingAsync(s, "fsck_start_fid", MogileFS.Core.Protocol.Perl.IsTrue(start) ? start : "0", ct).ConfigureAwait(false);
            await SetServerSettingAsync(s, "fsck_host", host, ct).ConfigureAwait(false);
            return FsckStartOutcome.Started;
        }, ct);

    /// <summary>fsck_stop: delete fsck_host, fsck_stop_time = now.</summary>
    public ValueTask FsckStopAsync(CancellationToken ct) =>
        WriteAsync(static async (s, ct) =>
        {
            await SetServerSettingAsync(s, "fsck_host", null, ct).ConfigureAwait(false);
            var now = await s.Sql("SELECT {NOW}").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0;
            await SetServerSettingAsync(s, "fsck_stop_time", now.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        }, ct);

    private static ValueTask<string?> GetSettingAsync(StoreSession s, string field, CancellationToken ct) =>
        new(s.Sql("SELECT value FROM server_settings WHERE field = CAST(@f AS TEXT)").Text("@f", field).ScalarTextAsync(ct));

    /// <summary>
    /// Folds fsck_log rows newer than fsck_logid_processed into the fsck_sum_evcount_&lt;CODE&gt; settings
    /// (2.73 fsck_log_summarize). One transaction: the dialect keeps two trackers from counting the same rows
    /// twice (SQLite: the single writer; PostgreSQL: an advisory lock under the key of 2.73's mgfs:fscksum).
    /// </summary>
    public ValueTask FsckSummarizeAsync(CancellationToken ct) =>
        WriteAsync(static async (s, ct) =>
        {
            if (!await s.Dialect.SerializeFsckSummaryAsync(s, ct).ConfigureAwait(false)) return;
            long maxLog = await s.Sql("SELECT MAX(logid) FROM fsck_log").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0;
            long processed = await IntSettingAsync(s, "fsck_logid_processed", ct).ConfigureAwait(false);
            var counts = new List<(string Code, long Count)>();
            await using (var r = await s.Sql("SELECT evcode, COUNT(*) FROM fsck_log WHERE logid >= @a AND logid <= @b GROUP BY evcode")
                .Int("@a", processed + 1).Int("@b", maxLog).ReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                    counts.Add((s.GetText(r, 0) ?? "", StoreSession.GetInt64(r, 1) ?? 0));
            }
            foreach (var (code, n) in counts)
                await IncrementServerSettingAsync(s, "fsck_sum_evcount_" + code, n, ct).ConfigureAwait(false);
            await SetServerSettingAsync(s, "fsck_logid_processed", maxLog.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        }, ct);
}
