using System.Globalization;
using System.Text;
using MogileFS.Core.Model;

namespace MogileFS.Store;

/// <summary>What fsck reads about one fid: the file row, its replica devids (database order) and its checksum row.</summary>
public sealed record FsckFid(FileRow File, List<int> DevIds, HashType ChecksumType, byte[]? Checksum);

/// <summary>Restricts an fsck run to one domain, optionally one class of it (our extension, docs/fsck-rebalance.md).</summary>
public readonly record struct FsckScope(int? DomainId, int? ClassId)
{
    public bool IsAll => DomainId is null;
    public bool Includes(FileRow f) => DomainId is not int d || (f.DomainId == d && (ClassId is not int c || f.ClassId == c));
}

/// <summary>Result of one fsck injection pass (jobs.md §4).</summary>
public enum FsckInjectOutcome { NotOurs, QueueFull, Injected, Finished }

/// <summary>A replica on a rebalance source device: the fid and its length.</summary>
public readonly record struct DeviceFid(long Fid, long Length);

// Queries of the fsck worker, fsck/rebalance injection and the scrubber (jobs.md §4, §9, §10.4).
// Timestamps use the database clock ({NOW}); none of these does network I/O inside a transaction.
public abstract partial class MetadataStore
{
    /// <summary>Settings holding the fsck scope (hidden from server_settings like every fsck_* key).</summary>
    public const string FsckScopeDomainSetting = "fsck_opt_dmid", FsckScopeClassSetting = "fsck_opt_classid";

    private static string JsonIds<T>(IEnumerable<T> ids) where T : IFormattable
    {
        var sb = new StringBuilder("[");
        foreach (var id in ids)
        {
            if (sb.Length > 1) sb.Append(',');
            sb.Append(id.ToString(null, CultureInfo.InvariantCulture));
        }
        return sb.Append(']').ToString();
    }

    /// <summary>
    /// One fsck injection pass of the job master on the <c>fsck_host</c> tracker (jobs.md §4), in one
    /// transaction so a concurrent fsck_stop or a second injector cannot move the cursor backwards:
    /// stop when <c>fsck_host</c> is not <paramref name="hostName"/> or the fsck queue holds
    /// <paramref name="queueSize"/> rows; else take up to <paramref name="rate"/> fids after
    /// <c>fsck_highest_fid_checked</c> up to <c>fsck_fid_at_end</c>, queue those inside the scope
    /// (type 1, nexttry = now) and advance the cursor to the last fid looked at. No fid left: the cursor
    /// is written unchanged, <c>fsck_host</c> deleted and <c>fsck_stop_time</c> = now (finished).
    /// </summary>
    public ValueTask<(FsckInjectOutcome Outcome, int Queued)> InjectFsckBatchAsync(string hostName, long queueSize, int rate, CancellationToken ct) =>
        WriteAsync((hostName, queueSize, rate), static async (s, a, ct) =>
        {
            var host = await GetSettingAsync(s, "fsck_host", ct).ConfigureAwait(false);
            if (!string.Equals(host, a.hostName, StringComparison.Ordinal)) return (FsckInjectOutcome.NotOurs, 0);
            long queued = await s.Sql("SELECT COUNT(*) FROM file_to_queue WHERE type = @t").Int("@t", FsckQueue).ScalarInt64Async(ct).ConfigureAwait(false) ?? 0;
            if (queued >= a.queueSize) return (FsckInjectOutcome.QueueFull, 0);
            long highest = await IntSettingAsync(s, "fsck_highest_fid_checked", ct).ConfigureAwait(false);
            long end = await IntSettingAsync(s, "fsck_fid_at_end", ct).ConfigureAwait(false);
            var scope = await ReadFsckScopeAsync(s, ct).ConfigureAwait(false);
            var fids = new List<long>(Math.Min(a.rate, 1000));
            var wanted = new List<long>(Math.Min(a.rate, 1000));
            await using (var r = await s.Sql("SELECT fid, dmid, classid FROM file WHERE fid > @h AND fid <= @e ORDER BY fid LIMIT @n")
                .Int("@h", highest).Int("@e", end).Int("@n", Math.Max(1, a.rate)).ReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    long fid = StoreSession.GetInt64(r, 0) ?? 0;
                    fids.Add(fid);
                    var row = new FileRow(fid, StoreSession.GetInt32(r, 1) ?? 0, "", 0, StoreSession.GetInt32(r, 2) ?? 0, 0);
                    if (scope.Includes(row)) wanted.Add(fid);
                }
            }
            if (fids.Count == 0)
            {
                await SetServerSettingAsync(s, "fsck_highest_fid_checked", highest.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
                await SetServerSettingAsync(s, "fsck_host", null, ct).ConfigureAwait(false);
                var now = await s.Sql("SELECT {NOW}").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0;
                await SetServerSettingAsync(s, "fsck_stop_time", now.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
                return (FsckInjectOutcome.Finished, 0);
            }
            if (wanted.Count > 0)
                await s.Sql(s.Dialect.InsertIgnore($"INSERT INTO file_to_queue (fid, devid, type, nexttry, failcount, flags, arg) SELECT v.id, NULL, @t, {{NOW}}, 0, 0, NULL FROM ({s.Dialect.IdsFromJson("@ids")}) v WHERE true", "fid, type"))
                    .Int("@t", FsckQueue).Text("@ids", JsonIds(wanted)).ExecuteAsync(ct).ConfigureAwait(false);
            await SetServerSettingAsync(s, "fsck_highest_fid_checked", fids[^1].ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
            return (FsckInjectOutcome.Injected, wanted.Count);
        }, ct);

    private static async ValueTask<FsckScope> ReadFsckScopeAsync(StoreSession s, CancellationToken ct)
    {
        var d = await GetSettingAsync(s, FsckScopeDomainSetting, ct).ConfigureAwait(false);
        var c = await GetSettingAsync(s, FsckScopeClassSetting, ct).ConfigureAwait(false);
        if (d is null || !int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out int dmid)) return default;
        return new FsckScope(dmid, c is not null && int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out int cid) ? cid : null);
    }

    /// <summary>The stored fsck scope (all files when none).</summary>
    public ValueTask<FsckScope> GetFsckScopeAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) => await ReadFsckScopeAsync(s, ct).ConfigureAwait(false), ct);

    /// <summary>Sets (or with a null domain clears) the fsck scope.</summary>
    public ValueTask SetFsckScopeAsync(FsckScope scope, CancellationToken ct) =>
        WriteAsync(scope, static async (s, sc, ct) =>
        {
            await SetServerSettingAsync(s, FsckScopeDomainSetting, sc.DomainId?.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
            await SetServerSettingAsync(s, FsckScopeClassSetting, sc.DomainId is null ? null : sc.ClassId?.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>Rows of one file_to_queue type (fsck 1, rebalance 2).</summary>
    public ValueTask<long> CountFileQueueAsync(int type, CancellationToken ct) =>
        ReadAsync(type, static async (s, t, ct) =>
            await s.Sql("SELECT COUNT(*) FROM file_to_queue WHERE type = @t").Int("@t", t).ScalarInt64Async(ct).ConfigureAwait(false) ?? 0, ct);

    /// <summary>Removes a fid's row of one file_to_queue type (fsck worker after a check; rebalance after an attempt).</summary>
    public ValueTask DeleteFileQueueRowAsync(long fid, int type, CancellationToken ct) =>
        WriteAsync((fid, type), static async (s, a, ct) =>
            await s.Sql("DELETE FROM file_to_queue WHERE fid = @f AND type = @t").Int("@f", a.fid).Int("@t", a.type).ExecuteAsync(ct).ConfigureAwait(false), ct).AsValueTaskVoid();

    /// <summary>
    /// The batch load of the fsck worker (2.73 mass_load_devids): file rows, replica devids and checksum
    /// rows of many fids in one query. Fids missing from the result are no longer in table file.
    /// </summary>
    public ValueTask<Dictionary<long, FsckFid>> LoadFsckFidsAsync(IReadOnlyCollection<long> fids, CancellationToken ct) =>
        ReadAsync(fids, static async (s, fids, ct) =>
        {
            var map = new Dictionary<long, FsckFid>(fids.Count);
            if (fids.Count == 0) return map;
            await using var r = await s.Sql("SELECT " + FileColumns + ", c.hashtype, c.checksum, o.devid FROM file f LEFT JOIN checksum c ON c.fid = f.fid LEFT JOIN file_on o ON o.fid = f.fid " +
                                            $"WHERE f.fid IN ({s.Dialect.IdsFromJson("@ids")})")
                .Text("@ids", JsonIds(fids)).ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                long fid = StoreSession.GetInt64(r, 0) ?? 0;
                if (!map.TryGetValue(fid, out var entry))
                {
                    var ht = StoreSession.GetInt32(r, 6) ?? 0;
                    byte[]? sum = ht is 1 or 2 && !r.IsDBNull(7) ? (byte[])r.GetValue(7) : null;
                    entry = new FsckFid(ReadFileRow(s, r), new List<int>(4), sum is null ? HashType.None : (HashType)ht, sum);
                    map[fid] = entry;
                }
                if (StoreSession.GetInt32(r, 8) is int d && !entry.DevIds.Contains(d)) entry.DevIds.Add(d);
            }
            return map;
        }, ct);

    /// <summary>One fid as fsck sees it, read fresh (under the fid lock); null when the fid is gone.</summary>
    public async ValueTask<FsckFid?> LoadFsckFidAsync(long fid, CancellationToken ct)
    {
        var map = await LoadFsckFidsAsync(new[] { fid }, ct).ConfigureAwait(false);
        return map.TryGetValue(fid, out var f) ? f : null;
    }

    /// <summary>
    /// Applies the location changes of an fsck repair in one transaction: adds <paramref name="add"/>
    /// (a copy found by the search), removes <paramref name="remove"/> (bad copies), and refreshes
    /// devcount unless <paramref name="updateDevcount"/> is false (skip_devcount). Returns the devids now listed.
    /// </summary>
    public ValueTask<List<int>> FsckUpdateLocationsAsync(long fid, int? add, IReadOnlyCollection<int> remove, bool updateDevcount, CancellationToken ct) =>
        WriteAsync((fid, add, remove, updateDevcount), static async (s, a, ct) =>
        {
            if (a.add is int d)
                await s.Sql(s.Dialect.InsertIgnore("INSERT INTO file_on (fid, devid) VALUES (@f, @d)", "fid, devid")).Int("@f", a.fid).Int("@d", d).ExecuteAsync(ct).ConfigureAwait(false);
            foreach (int dev in a.remove)
                await s.Sql("DELETE FROM file_on WHERE fid = @f AND devid = @d").Int("@f", a.fid).Int("@d", dev).ExecuteAsync(ct).ConfigureAwait(false);
            if (a.updateDevcount)
                await s.Sql("UPDATE file SET devcount = (SELECT COUNT(*) FROM file_on WHERE fid = @f) WHERE fid = @f").Int("@f", a.fid).ExecuteAsync(ct).ConfigureAwait(false);
            return await LoadDevidsAsync(s, a.fid, ct).ConfigureAwait(false);
        }, ct);

    /// <summary>file.devcount = number of file_on rows (BCNT repair).</summary>
    public ValueTask FsckFixDevcountAsync(long fid, CancellationToken ct) =>
        WriteAsync(fid, static async (s, fid, ct) =>
            await s.Sql("UPDATE file SET devcount = (SELECT COUNT(*) FROM file_on WHERE fid = @f) WHERE fid = @f").Int("@f", fid).ExecuteAsync(ct).ConfigureAwait(false), ct).AsValueTaskVoid();

    /// <summary>Creates the checksum row of a fid (NSUM): insert, or replace when <paramref name="replace"/>.</summary>
    public ValueTask FsckSaveChecksumAsync(long fid, HashType type, byte[] digest, bool replace, CancellationToken ct) =>
        WriteAsync((fid, type, digest, replace), static async (s, a, ct) =>
        {
            string sql = a.replace
                ? s.Dialect.Upsert("INSERT INTO checksum (fid, hashtype, checksum) VALUES (@f, @h, @c)", "fid", ["hashtype", "checksum"])
                : s.Dialect.InsertIgnore("INSERT INTO checksum (fid, hashtype, checksum) VALUES (@f, @h, @c)", "fid");
            // Only while the fid still exists: a delete that raced us must not leave a checksum behind.
            if (await s.Sql("SELECT 1 FROM file WHERE fid = @f").Int("@f", a.fid).ScalarInt64Async(ct).ConfigureAwait(false) is null) return false;
            await s.Sql(sql).Int("@f", a.fid).Int("@h", (long)a.type).Blob("@c", a.digest).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>Inserts several fsck log rows in one transaction, in the order given (utime = DB now).</summary>
    public ValueTask AddFsckLogsAsync(IReadOnlyList<(long Fid, string EvCode, int? DevId)> events, CancellationToken ct) =>
        events.Count == 0 ? ValueTask.CompletedTask : WriteAsync(events, static async (s, ev, ct) =>
        {
            foreach (var (fid, code, devid) in ev)
                await s.Sql("INSERT INTO fsck_log (utime, fid, evcode, devid) VALUES ({NOW}, @f, CAST(@e AS TEXT), @d)")
                    .Int("@f", fid).Text("@e", code).Int("@d", (long?)devid).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    // ---- rebalance ---------------------------------------------------------------------------------

    /// <summary>
    /// Up to <paramref name="limit"/> replicas on <paramref name="devid"/> after (ascending, fid_age=old)
    /// or before (descending, fid_age=new; 0 = from the top) <paramref name="fromFid"/>, with their length.
    /// </summary>
    public ValueTask<List<DeviceFid>> GetDeviceFidsAsync(int devid, long fromFid, bool ascending, int limit, CancellationToken ct) =>
        ReadAsync((devid, fromFid, ascending, limit), static async (s, a, ct) =>
        {
            var list = new List<DeviceFid>(Math.Min(a.limit, 1000));
            string sql = a.ascending
                ? "SELECT o.fid, f.length FROM file_on o JOIN file f ON f.fid = o.fid WHERE o.devid = @d AND o.fid > @f ORDER BY o.fid LIMIT @n"
                : a.fromFid > 0
                    ? "SELECT o.fid, f.length FROM file_on o JOIN file f ON f.fid = o.fid WHERE o.devid = @d AND o.fid < @f ORDER BY o.fid DESC LIMIT @n"
                    : "SELECT o.fid, f.length FROM file_on o JOIN file f ON f.fid = o.fid WHERE o.devid = @d AND o.fid > @f ORDER BY o.fid DESC LIMIT @n";
            await using var r = await s.Sql(sql).Int("@d", a.devid).Int("@f", a.fromFid).Int("@n", a.limit).ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                list.Add(new DeviceFid(StoreSession.GetInt64(r, 0) ?? 0, StoreSession.GetInt64(r, 1) ?? 0));
            return list;
        }, ct);

    /// <summary>Number of replicas listed on a device.</summary>
    public ValueTask<long> CountDeviceFidsAsync(int devid, CancellationToken ct) =>
        ReadAsync(devid, static async (s, d, ct) =>
            await s.Sql("SELECT COUNT(*) FROM file_on WHERE devid = @d").Int("@d", d).ScalarInt64Async(ct).ConfigureAwait(false) ?? 0, ct);

    /// <summary>Queues rebalance moves (type 2, devid = source, arg = destination list, nexttry = now), insert-if-absent.</summary>
    public ValueTask<int> QueueRebalanceMovesAsync(int sourceDevid, IReadOnlyList<(long Fid, string Destinations)> moves, CancellationToken ct) =>
        moves.Count == 0 ? ValueTask.FromResult(0) : WriteAsync((sourceDevid, moves), static async (s, a, ct) =>
        {
            int n = 0;
            foreach (var (fid, dests) in a.moves)
                n += await s.Sql(s.Dialect.InsertIgnore("INSERT INTO file_to_queue (fid, devid, type, nexttry, failcount, flags, arg) VALUES (@f, @d, @t, {NOW}, 0, 0, CAST(@a AS TEXT))", "fid, type"))
                    .Int("@f", fid).Int("@d", a.sourceDevid).Int("@t", RebalanceQueue).Text("@a", dests).ExecuteAsync(ct).ConfigureAwait(false);
            return n;
        }, ct);

    /// <summary>Reschedules a file_to_queue row: nexttry = now + <paramref name="delaySeconds"/>, failcount + 1 (capped at 255).</summary>
    public ValueTask RescheduleFileQueueRowAsync(long fid, int type, long delaySeconds, CancellationToken ct) =>
        WriteAsync((fid, type, delaySeconds), static async (s, a, ct) =>
            await s.Sql("UPDATE file_to_queue SET nexttry = {NOW} + @d, failcount = CASE WHEN failcount < 255 THEN failcount + 1 ELSE 255 END WHERE fid = @f AND type = @t")
                .Int("@d", a.delaySeconds).Int("@f", a.fid).Int("@t", a.type).ExecuteAsync(ct).ConfigureAwait(false), ct).AsValueTaskVoid();

    /// <summary>Up to <paramref name="limit"/> replicas on <paramref name="devid"/> that have no rebalance queue row yet (drain).</summary>
    public ValueTask<List<long>> GetUnqueuedDeviceFidsAsync(int devid, int limit, CancellationToken ct) =>
        ReadAsync((devid, limit), static async (s, a, ct) =>
        {
            var list = new List<long>(Math.Min(a.limit, 1000));
            await using var r = await s.Sql("SELECT o.fid FROM file_on o JOIN file f ON f.fid = o.fid WHERE o.devid = @d AND NOT EXISTS " +
                                            "(SELECT 1 FROM file_to_queue q WHERE q.fid = o.fid AND q.type = @t) ORDER BY o.fid LIMIT @n")
                .Int("@d", a.devid).Int("@t", RebalanceQueue).Int("@n", a.limit).ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(StoreSession.GetInt64(r, 0) ?? 0);
            return list;
        }, ct);

    /// <summary>Queues drain moves (type 2, devid = source, no destination restriction, flags = 1 marks a drain item).</summary>
    public ValueTask<int> QueueDrainMovesAsync(int sourceDevid, IReadOnlyList<long> fids, CancellationToken ct) =>
        fids.Count == 0 ? ValueTask.FromResult(0) : WriteAsync((sourceDevid, fids), static async (s, a, ct) =>
        {
            int n = 0;
            foreach (var fid in a.fids)
                n += await s.Sql(s.Dialect.InsertIgnore("INSERT INTO file_to_queue (fid, devid, type, nexttry, failcount, flags, arg) VALUES (@f, @d, @t, {NOW}, 0, 1, NULL)", "fid, type"))
                    .Int("@f", fid).Int("@d", a.sourceDevid).Int("@t", RebalanceQueue).ExecuteAsync(ct).ConfigureAwait(false);
            return n;
        }, ct);

    /// <summary>Server settings whose name starts with <paramref name="prefix"/> (read from the database).</summary>
    public ValueTask<Dictionary<string, string>> GetServerSettingsWithPrefixAsync(string prefix, CancellationToken ct) =>
        ReadAsync(prefix, static async (s, p, ct) =>
        {
            var all = await LoadSettingsAsync(s, ct).ConfigureAwait(false);
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in all)
                if (kv.Key.StartsWith(p, StringComparison.Ordinal)) d[kv.Key] = kv.Value;
            return d;
        }, ct);
}
