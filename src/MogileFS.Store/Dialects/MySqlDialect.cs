using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using MySqlConnector;

namespace MogileFS.Store.Dialects;

/// <summary>
/// MySQL/MariaDB's SQL, with 2.73's MySQL behaviour where callers can see it: INSERT IGNORE, ON
/// DUPLICATE KEY UPDATE, GET_LOCK named locks, queue claims under the <c>mfsd:&lt;table&gt;</c> lock with
/// SELECT ... FOR UPDATE, list_keys with LIKE in the column's collation (case-insensitive unless
/// case_sensitive_list_keys, then LIKE BINARY), ordered in that collation. Byte strings are bound as
/// plain parameters (no <c>CAST(@p AS TEXT)</c>).
/// </summary>
internal sealed partial class MySqlDialect : SqlDialect
{
    public static readonly MySqlDialect Instance = new();

    /// <summary>How long a queue claim waits for 2.73's <c>mfsd:&lt;table&gt;</c> lock (2.73: 30 s; we stay
    /// inside the write bound and simply claim nothing this round).</summary>
    private const int QueueLockSeconds = 2;

    public override string Now => "UNIX_TIMESTAMP()";

    [GeneratedRegex(@"CAST\((@\w+) AS TEXT\)")]
    private static partial Regex CastText();

    public override string Rewrite(string sql) => CastText().Replace(base.Rewrite(sql), "$1");

    public override string InsertIgnore(string insert, string conflictColumns) =>
        insert.StartsWith("INSERT INTO ", StringComparison.Ordinal)
            ? "INSERT IGNORE INTO " + insert["INSERT INTO ".Length..]
            : throw new ArgumentException("expected an INSERT INTO statement", nameof(insert));

    public override string Upsert(string insert, string conflictColumns, string[] newColumns, string? extraAssignments = null)
    {
        var sets = newColumns.Select(c => $"{c} = VALUES({c})");
        if (extraAssignments != null) sets = sets.Append(extraAssignments);
        return $"{insert} ON DUPLICATE KEY UPDATE {string.Join(", ", sets)}";
    }

    public override string IdsFromJson(string param) => $"SELECT jt.id FROM JSON_TABLE({param}, '$[*]' COLUMNS (id BIGINT PATH '$')) AS jt";

    /// <summary>As 2.73: <c>LIKE</c> (the column's collation, case-insensitive on a default latin1 or utf8
    /// database), <c>LIKE BINARY</c> with case_sensitive_list_keys; <c>after</c> and the order in the
    /// column's collation too.</summary>
    public override string ListKeysSql(bool caseSensitive) =>
        $"SELECT dkey FROM file WHERE dmid = @d AND dkey {(caseSensitive ? "LIKE BINARY" : "LIKE")} @p ESCAPE '\\\\' AND dkey > @a ORDER BY dkey LIMIT @n";

    /// <summary>InnoDB moves the auto-increment counter past any fid inserted explicitly: insert a
    /// placeholder row at <paramref name="atLeast"/> (unless a row is there) and delete it again.</summary>
    public override async ValueTask RaiseFidGeneratorAsync(StoreSession s, long atLeast, CancellationToken ct)
    {
        int n = await s.Sql("INSERT IGNORE INTO tempfile (fid, createtime, classid, dmid, dkey, devids) VALUES (@m, 0, 0, 0, NULL, NULL)")
            .Int("@m", atLeast).ExecuteAsync(ct).ConfigureAwait(false);
        if (n > 0)
            await s.Sql("DELETE FROM tempfile WHERE fid = @m AND createtime = 0 AND dkey IS NULL").Int("@m", atLeast).ExecuteAsync(ct).ConfigureAwait(false);
    }

    public override async ValueTask<long?> InsertTempfileAsync(StoreSession s, string insert, Func<StoreCommand, StoreCommand> bind, CancellationToken ct)
    {
        var cmd = bind(s.Sql(insert));
        await cmd.ExecuteAsync(ct).ConfigureAwait(false);
        return ((MySqlCommand)cmd.Command).LastInsertedId;
    }

    public override async ValueTask<TempfileRow?> TakeTempfileAsync(StoreSession s, long fid, CancellationToken ct)
    {
        TempfileRow? row = null;
        await using (var r = await s.Sql("SELECT fid, dmid, dkey, classid, devids FROM tempfile WHERE fid = @f FOR UPDATE").Int("@f", fid).ReaderAsync(ct).ConfigureAwait(false))
        {
            if (await r.ReadAsync(ct).ConfigureAwait(false)) row = ReadTempfileRow(s, r);
        }
        if (row != null) await s.Sql("DELETE FROM tempfile WHERE fid = @f").Int("@f", fid).ExecuteAsync(ct).ConfigureAwait(false);
        return row;
    }

    /// <summary>
    /// 2.73's MySQL claim: take the named lock <c>mfsd:&lt;table&gt;</c> (so Perl trackers on the same
    /// database and we never claim at the same time), SELECT the due rows FOR UPDATE, set their nexttry,
    /// commit, release the lock. The lock is released after the commit (<see cref="StoreSession.AfterWrite"/>).
    /// </summary>
    public override async ValueTask<List<T>> ClaimQueueAsync<T>(StoreSession s, QueueClaim q, Func<DbDataReader, T> read, CancellationToken ct)
    {
        var list = new List<T>();
        string lockName = "mfsd:" + q.Table;
        if (await s.Sql("SELECT GET_LOCK(@name, @wait)").Text("@name", lockName).Int("@wait", QueueLockSeconds).ScalarInt64Async(ct).ConfigureAwait(false) != 1)
            return list; // another tracker is claiming: nothing this round (as 2.73)
        s.AfterWrite(static async (s, name) =>
            await s.Sql("SELECT RELEASE_LOCK(@name)").Text("@name", name).ScalarInt64Async(CancellationToken.None).ConfigureAwait(false), lockName);
        long now = await s.Sql("SELECT {NOW}").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0;
        long until = now + q.LeaseSeconds;
        string typeWhere = q.Type is null ? "" : " AND type = @t";
        var fids = new List<long>();
        var cmd = s.Sql($"SELECT {q.Columns}, @u FROM {q.Table} WHERE nexttry <= @now{typeWhere} ORDER BY nexttry LIMIT @n FOR UPDATE")
            .Int("@u", until).Int("@now", now).Int("@n", q.Limit);
        if (q.Type is int t) cmd.Int("@t", t);
        await using (var r = await cmd.ReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                fids.Add(StoreSession.GetInt64(r, 0) ?? 0);
                list.Add(read(r));
            }
        }
        if (fids.Count == 0) return list;
        var upd = s.Sql($"UPDATE {q.Table} SET nexttry = @u WHERE fid IN ({IdsFromJson("@ids")}){typeWhere}")
            .Int("@u", until).Text("@ids", Json(fids));
        if (q.Type is int t2) upd.Int("@t", t2);
        await upd.ExecuteAsync(ct).ConfigureAwait(false);
        return list;
    }

    public override async ValueTask<(long NewNextTry, List<long> Fids)> RenewClaimsAsync(StoreSession s, string table, int? type, string idsJson, long claimedUntil, int leaseSeconds, CancellationToken ct)
    {
        var renewed = new List<long>();
        long until = (await s.Sql("SELECT {NOW}").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0) + leaseSeconds;
        string where = $"nexttry = @o{(type is null ? "" : " AND type = @t")} AND fid IN ({IdsFromJson("@ids")})";
        var sel = s.Sql($"SELECT fid FROM {table} WHERE {where} FOR UPDATE").Int("@o", claimedUntil).Text("@ids", idsJson);
        if (type is int t) sel.Int("@t", t);
        await using (var r = await sel.ReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false)) renewed.Add(StoreSession.GetInt64(r, 0) ?? 0);
        }
        if (renewed.Count == 0) return (0, renewed);
        var upd = s.Sql($"UPDATE {table} SET nexttry = @u WHERE {where}").Int("@u", until).Int("@o", claimedUntil).Text("@ids", idsJson);
        if (type is int t2) upd.Int("@t", t2);
        await upd.ExecuteAsync(ct).ConfigureAwait(false);
        return (until, renewed);
    }

    /// <summary>2.73's <c>mgfs:fscksum</c> named lock around the summary; not obtained: skip this round.</summary>
    public override async ValueTask<bool> SerializeFsckSummaryAsync(StoreSession s, CancellationToken ct)
    {
        if (await s.Sql("SELECT GET_LOCK(@name, @wait)").Text("@name", "mgfs:fscksum").Int("@wait", QueueLockSeconds).ScalarInt64Async(ct).ConfigureAwait(false) != 1)
            return false;
        s.AfterWrite(static async (s, name) =>
            await s.Sql("SELECT RELEASE_LOCK(@name)").Text("@name", name).ScalarInt64Async(CancellationToken.None).ConfigureAwait(false), "mgfs:fscksum");
        return true;
    }

    private static string Json(List<long> ids) => "[" + string.Join(",", ids.Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]";

    public override NamedLockBackend CreateLockBackend(MetadataStore store) => new GetLocks(store);

    /// <summary>
    /// GET_LOCK/RELEASE_LOCK on one dedicated connection, under the lock's name as 2.73 uses it
    /// (<c>mgfs:fid:12:replicate</c>, ...): server-wide, so trackers on every host, ours and 2.73's,
    /// exclude each other. A tracker that dies loses its connection and with it its locks.
    /// </summary>
    private sealed class GetLocks : ConnectionLocks
    {
        public GetLocks(MetadataStore store) : base(store) { }

        protected override string ReleaseAllSql => "SELECT RELEASE_ALL_LOCKS()";

        protected override async ValueTask<bool> TakeAsync(DbConnection c, MetadataStore.NamedLock h, CancellationToken ct) =>
            await ScalarAsync(c, "SELECT GET_LOCK(@p0, 0)", ct, h.Name).ConfigureAwait(false) is { } v and not DBNull
            && Convert.ToInt64(v, CultureInfo.InvariantCulture) == 1;

        protected override async ValueTask GiveBackAsync(DbConnection c, MetadataStore.NamedLock h) =>
            await ScalarAsync(c, "SELECT RELEASE_LOCK(@p0)", CancellationToken.None, h.Name).ConfigureAwait(false);
    }
}
