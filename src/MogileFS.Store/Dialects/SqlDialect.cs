using System.Data.Common;

namespace MogileFS.Store.Dialects;

/// <summary>
/// Everything that differs between the databases, in one small class per database (model: SeaweedFS
/// <c>weed/filer/abstract_sql</c>, one SQL generator per database). The store's partial files write
/// their SQL once and ask the dialect only for the pieces below; no other code tests which database
/// it runs on.
/// <list type="bullet">
/// <item>tokens: <c>{NOW}</c> (unix time as an integer), <c>CAST(@p AS TEXT)</c> around byte strings;</item>
/// <item>statement shapes: insert-if-absent, upsert, a JSON list of ids as a row source, list_keys;</item>
/// <item>multi-statement operations a database does differently: claiming queue rows, renewing claims,
/// taking a temp file row, the fid generator, named locks.</item>
/// </list>
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>The database's unix time as an integer, replacing <c>{NOW}</c>.</summary>
    public abstract string Now { get; }

    /// <summary>Replaces dialect tokens in SQL written once for all databases.</summary>
    public virtual string Rewrite(string sql) => sql.Replace("{NOW}", Now, StringComparison.Ordinal);

    /// <summary><paramref name="insert"/> (an INSERT ... VALUES/SELECT) that does nothing when a row with the
    /// same <paramref name="conflictColumns"/> exists.</summary>
    public virtual string InsertIgnore(string insert, string conflictColumns) => $"{insert} ON CONFLICT ({conflictColumns}) DO NOTHING";

    /// <summary><paramref name="insert"/> that, when a row with the same <paramref name="conflictColumns"/> exists,
    /// sets <paramref name="newColumns"/> to the values it would have inserted, plus <paramref name="extraAssignments"/>.</summary>
    public virtual string Upsert(string insert, string conflictColumns, string[] newColumns, string? extraAssignments = null)
    {
        var sets = newColumns.Select(c => $"{c} = excluded.{c}");
        if (extraAssignments != null) sets = sets.Append(extraAssignments);
        return $"{insert} ON CONFLICT ({conflictColumns}) DO UPDATE SET {string.Join(", ", sets)}";
    }

    /// <summary>A row source (<c>SELECT ... AS id</c>) of the integers in the JSON array parameter <paramref name="param"/>.</summary>
    public abstract string IdsFromJson(string param);

    /// <summary>list_keys' statement: binds <c>@d</c> (dmid), <c>@a</c> (after), <c>@n</c> (limit) and the
    /// pattern (<see cref="ListKeysPattern"/>).</summary>
    public abstract string ListKeysSql(bool caseSensitive);

    /// <summary>The pattern parameter (name, value) for a LIKE pattern with backslash escapes.</summary>
    public virtual (string Name, string Value) ListKeysPattern(string likePattern, bool caseSensitive) => ("@p", likePattern);

    /// <summary>An explicit fid in tempfile does not move the generator on its own (PostgreSQL sequences).</summary>
    public virtual bool ExplicitFidNeedsGeneratorRaise => false;

    /// <summary>Moves the tempfile fid generator so that the next automatic fid is above <paramref name="atLeast"/>.</summary>
    public abstract ValueTask RaiseFidGeneratorAsync(StoreSession s, long atLeast, CancellationToken ct);

    /// <summary>Inserts a tempfile row (the statement without RETURNING) and returns the generated fid.</summary>
    public virtual async ValueTask<long?> InsertTempfileAsync(StoreSession s, string insert, Func<StoreCommand, StoreCommand> bind, CancellationToken ct) =>
        await bind(s.Sql(insert + " RETURNING fid")).ScalarInt64Async(ct).ConfigureAwait(false);

    /// <summary>Deletes the tempfile row of <paramref name="fid"/> and returns it (fid, dmid, dkey, classid, devids), or null.</summary>
    public virtual async ValueTask<TempfileRow?> TakeTempfileAsync(StoreSession s, long fid, CancellationToken ct)
    {
        await using var r = await s.Sql("DELETE FROM tempfile WHERE fid = @f RETURNING fid, dmid, dkey, classid, devids").Int("@f", fid).ReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? ReadTempfileRow(s, r) : null;
    }

    internal static TempfileRow ReadTempfileRow(StoreSession s, DbDataReader r) =>
        new(StoreSession.GetInt64(r, 0) ?? 0, StoreSession.GetInt32(r, 1) ?? 0, s.GetText(r, 2), StoreSession.GetInt32(r, 3) ?? 0, s.GetText(r, 4));

    /// <summary>
    /// Claims up to <c>limit</c> due rows of a queue (nexttry &lt;= now, oldest first) by setting nexttry =
    /// now + lease, in the caller's write transaction, and reads each claimed row with <paramref name="read"/>
    /// (columns: <see cref="QueueClaim.Columns"/>, then the new nexttry). Default: one UPDATE ... RETURNING
    /// over a sub-select, with <see cref="ClaimLockClause"/> on the sub-select.
    /// </summary>
    public virtual async ValueTask<List<T>> ClaimQueueAsync<T>(StoreSession s, QueueClaim q, Func<DbDataReader, T> read, CancellationToken ct)
    {
        string typeWhere = q.Type is null ? "" : " AND type = @t";
        string key = q.Type is null ? "fid" : "fid, type";
        string sql = $"UPDATE {q.Table} SET nexttry = {{NOW}} + @l WHERE {(q.Type is null ? "fid" : "(fid, type)")} IN " +
                     $"(SELECT {key} FROM {q.Table} WHERE nexttry <= {{NOW}}{typeWhere} ORDER BY nexttry LIMIT @n{ClaimLockClause}) " +
                     $"RETURNING {q.Columns}, nexttry";
        var cmd = s.Sql(sql).Int("@l", q.LeaseSeconds).Int("@n", q.Limit);
        if (q.Type is int t) cmd.Int("@t", t);
        var list = new List<T>();
        await using var r = await cmd.ReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(read(r));
        return list;
    }

    /// <summary>Row locking of the claim's sub-select (none where writers are serialised anyway).</summary>
    protected virtual string ClaimLockClause => "";

    /// <summary>
    /// Sets nexttry = now + lease on the rows of <paramref name="idsJson"/> that still carry nexttry =
    /// <paramref name="claimedUntil"/>; returns the new nexttry and the fids renewed.
    /// </summary>
    public virtual async ValueTask<(long NewNextTry, List<long> Fids)> RenewClaimsAsync(StoreSession s, string table, int? type, string idsJson, long claimedUntil, int leaseSeconds, CancellationToken ct)
    {
        var renewed = new List<long>();
        long newValue = 0;
        string sql = $"UPDATE {table} SET nexttry = {{NOW}} + @l WHERE nexttry = @o{(type is null ? "" : " AND type = @t")} AND fid IN ({IdsFromJson("@ids")}) RETURNING fid, nexttry";
        var cmd = s.Sql(sql).Int("@l", leaseSeconds).Int("@o", claimedUntil).Text("@ids", idsJson);
        if (type is int t) cmd.Int("@t", t);
        await using var r = await cmd.ReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            renewed.Add(StoreSession.GetInt64(r, 0) ?? 0);
            newValue = StoreSession.GetInt64(r, 1) ?? 0;
        }
        return (newValue, renewed);
    }

    /// <summary>Inside the fsck summary's write transaction: keeps two trackers from counting the same
    /// fsck_log rows twice (nothing where writers are serialised anyway). False: skip this round.</summary>
    public virtual ValueTask<bool> SerializeFsckSummaryAsync(StoreSession s, CancellationToken ct) => ValueTask.FromResult(true);

    /// <summary>The named-lock implementation of this database (schema.md §4).</summary>
    public abstract NamedLockBackend CreateLockBackend(MetadataStore store);
}

/// <summary>One queue claim: table, file_to_queue type (null for the other tables), the columns to
/// return (fid, nexttry, failcount, devid, flags, arg in that order), batch size and lease.</summary>
internal sealed record QueueClaim(string Table, int? Type, string Columns, int Limit, int LeaseSeconds);

/// <summary>How one database takes and releases named locks (see <see cref="MetadataStore.NamedLockManager"/>).</summary>
internal abstract class NamedLockBackend : IAsyncDisposable
{
    /// <summary>One attempt, no waiting: true when <paramref name="handle"/> now holds its lock.</summary>
    public abstract ValueTask<bool> TryLockAsync(MetadataStore.NamedLock handle, CancellationToken ct);

    public abstract ValueTask ReleaseAsync(MetadataStore.NamedLock handle);

    public abstract ValueTask DisposeAsync();
}
