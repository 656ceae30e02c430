using MogileFS.Core.Model;
using MogileFS.Core.Protocol;

namespace MogileFS.Store;

/// <summary>A row of table file.</summary>
public sealed record FileRow(long Fid, int DomainId, string Key, long Length, int ClassId, int DevCount);

/// <summary>A file row with its stored checksum (if any) and, when asked for, its replica devids.</summary>
public sealed record FileLookup(FileRow File, HashType ChecksumType, byte[]? Checksum, List<int>? DevIds);

/// <summary>A row of table tempfile (createtime not included).</summary>
public sealed record TempfileRow(long Fid, int DomainId, string? Key, int ClassId, string? DevIds);

/// <summary>What create_close writes once the upload checked out.</summary>
public sealed record CloseFile(long Fid, int DomainId, string Key, long Length, int ClassId, int DevId, HashType ChecksumType, byte[]? Checksum);

/// <summary>Result of <see cref="MetadataStore.CommitClosedFileAsync"/> and <see cref="MetadataStore.TakeAndCommitClosedFileAsync"/>.</summary>
public enum CloseOutcome { Stored, FidExists, NoTempfile }

// Files, temp files and replica locations (schema.md §3.3-§3.5, §3.13, §8).
// The write paths are single short transactions; none does network I/O.
public abstract partial class MetadataStore
{
    private const string FileColumns = "f.fid, f.dmid, f.dkey, f.length, f.classid, f.devcount";

    private static FileRow ReadFileRow(StoreSession s, System.Data.Common.DbDataReader r, int o = 0) =>
        new(StoreSession.GetInt64(r, o) ?? 0, StoreSession.GetInt32(r, o + 1) ?? 0, s.GetText(r, o + 2) ?? "",
            StoreSession.GetInt64(r, o + 3) ?? 0, StoreSession.GetInt32(r, o + 4) ?? 0, StoreSession.GetInt32(r, o + 5) ?? 0);

    /// <summary>The file row of a key (null when none).</summary>
    public ValueTask<FileRow?> GetFileAsync(int dmid, string key, CancellationToken ct) =>
        ReadAsync((dmid, key), static async (s, a, ct) =>
        {
            await using var r = await s.Sql("SELECT " + FileColumns + " FROM file f WHERE f.dmid = @d AND f.dkey = CAST(@k AS TEXT)")
                .Int("@d", a.dmid).Text("@k", a.key).ReaderAsync(ct).ConfigureAwait(false);
            return await r.ReadAsync(ct).ConfigureAwait(false) ? ReadFileRow(s, r) : null;
        }, ct);

    /// <summary>
    /// get_paths / file_info in one indexed query: the file row of a key joined with its replicas
    /// (and its checksum). Null when the key does not exist. Devids come in database order.
    /// </summary>
    public ValueTask<FileLookup?> LookupFileAsync(int dmid, string key, bool withDevids, bool withChecksum, CancellationToken ct) =>
        ReadAsync((dmid, key, withDevids, withChecksum), static async (s, a, ct) =>
        {
            string sql = (a.withDevids, a.withChecksum) switch
            {
                (true, true) => "SELECT " + FileColumns + ", c.hashtype, c.checksum, o.devid FROM file f LEFT JOIN checksum c ON c.fid = f.fid LEFT JOIN file_on o ON o.fid = f.fid WHERE f.dmid = @d AND f.dkey = CAST(@k AS TEXT)",
                (true, false) => "SELECT " + FileColumns + ", NULL, NULL, o.devid FROM file f LEFT JOIN file_on o ON o.fid = f.fid WHERE f.dmid = @d AND f.dkey = CAST(@k AS TEXT)",
                (false, true) => "SELECT " + FileColumns + ", c.hashtype, c.checksum, NULL FROM file f LEFT JOIN checksum c ON c.fid = f.fid WHERE f.dmid = @d AND f.dkey = CAST(@k AS TEXT)",
                _ => "SELECT " + FileColumns + ", NULL, NULL, NULL FROM file f WHERE f.dmid = @d AND f.dkey = CAST(@k AS TEXT)",
            };
            await using var r = await s.Sql(sql).Int("@d", a.dmid).Text("@k", a.key).ReaderAsync(ct).ConfigureAwait(false);
            if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
            var row = ReadFileRow(s, r);
            var ht = StoreSession.GetInt32(r, 6) ?? 0;
            byte[]? sum = r.IsDBNull(7) ? null : (byte[])r.GetValue(7);
            List<int>? devids = a.withDevids ? new List<int>(4) : null;
            do
            {
                if (devids != null && StoreSession.GetInt32(r, 8) is int d) devids.Add(d);
            } while (await r.ReadAsync(ct).ConfigureAwait(false));
            return new FileLookup(row, ht is 1 or 2 ? (HashType)ht : HashType.None, sum, devids);
        }, ct);

    public ValueTask<FileRow?> GetFileByFidAsync(long fid, CancellationToken ct) =>
        ReadAsync(fid, static async (s, fid, ct) =>
        {
            await using var r = await s.Sql("SELECT " + FileColumns + " FROM file f WHERE f.fid = @f").Int("@f", fid).ReaderAsync(ct).ConfigureAwait(false);
            return await r.ReadAsync(ct).ConfigureAwait(false) ? ReadFileRow(s, r) : null;
        }, ct);

    /// <summary>Devids of the replicas of a fid, in database order.</summary>
    public ValueTask<List<int>> GetFidDevidsAsync(long fid, CancellationToken ct) =>
        ReadAsync(fid, static async (s, fid, ct) => await LoadDevidsAsync(s, fid, ct).ConfigureAwait(false), ct);

    private static async ValueTask<List<int>> LoadDevidsAsync(StoreSession s, long fid, CancellationToken ct)
    {
        var list = new List<int>(4);
        await using var r = await s.Sql("SELECT devid FROM file_on WHERE fid = @f").Int("@f", fid).ReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(StoreSession.GetInt32(r, 0) ?? 0);
        return list;
    }

    /// <summary>Stored checksum of a fid: (type, raw digest), or null.</summary>
    public ValueTask<(HashType Type, byte[] Digest)?> GetChecksumAsync(long fid, CancellationToken ct) =>
        ReadAsync(fid, static async (s, fid, ct) =>
        {
            await using var r = await s.Sql("SELECT hashtype, checksum FROM checksum WHERE fid = @f").Int("@f", fid).ReaderAsync(ct).ConfigureAwait(false);
            if (!await r.ReadAsync(ct).ConfigureAwait(false)) return ((HashType, byte[])?)null;
            var ht = StoreSession.GetInt32(r, 0) ?? 0;
            return ((HashType)ht, (byte[])r.GetValue(1));
        }, ct);

    /// <summary>MAX(file.fid), 0 when the table is empty.</summary>
    public ValueTask<long> GetMaxFileFidAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) => await s.Sql("SELECT MAX(fid) FROM file").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0, ct);

    // ---- fid allocation --------------------------------------------------------------------

    /// <summary>
    /// Moves the fid generator (tempfile's auto-increment) to at least <paramref name="atLeast"/>, so the
    /// next automatic fid is above it. Never moves it backwards. Called at start-up with the highest fid
    /// in the file table (tracker-protocol.md §6.3).
    /// </summary>
    public ValueTask RaiseFidSequenceAsync(long atLeast, CancellationToken ct) =>
        WriteAsync(atLeast, static async (s, m, ct) =>
        {
            await RaiseFidSequenceAsync(s, m, ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    private static async ValueTask RaiseFidSequenceAsync(StoreSession s, long atLeast, CancellationToken ct)
    {
        if (atLeast <= 0) return;
        await s.Dialect.RaiseFidGeneratorAsync(s, atLeast, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// create_open's temp-file registration, one short write transaction (tracker-protocol.md §6.3, §7.7
    /// step 5). With <paramref name="explicitFid"/> the fid must be unused by temp files and files and
    /// above <paramref name="minFid"/> (the highest fid at start-up), else <c>fid_in_use</c>; the
    /// generator is moved above it, so later automatic fids never go backwards (also on PostgreSQL,
    /// where 2.73 left the sequence behind). Without it the generator allocates; a fid that a file
    /// already uses (a database whose sequence was reset) is skipped by raising the generator.
    /// </summary>
    public ValueTask<long> RegisterTempfileAsync(long? explicitFid, int dmid, string key, int classid, string devids, long minFid, CancellationToken ct) =>
        WriteAsync((explicitFid, dmid, key, classid, devids, minFid), static async (s, a, ct) =>
        {
            if (a.explicitFid is long want)
            {
                if (want <= a.minFid) throw new CommandException("fid_in_use");
                if (await s.Sql("SELECT 1 FROM file WHERE fid = @f").Int("@f", want).ScalarInt64Async(ct).ConfigureAwait(false) != null
                    || await s.Sql("SELECT 1 FROM tempfile WHERE fid = @f").Int("@f", want).ScalarInt64Async(ct).ConfigureAwait(false) != null)
                    throw new CommandException("fid_in_use");
                await s.Sql("INSERT INTO tempfile (fid, dmid, dkey, classid, devids, createtime) VALUES (@f, @d, CAST(@k AS TEXT), @c, CAST(@v AS TEXT), {NOW})")
                    .Int("@f", want).Int("@d", a.dmid).Text("@k", a.key).Int("@c", a.classid).Text("@v", a.devids).ExecuteAsync(ct).ConfigureAwait(false);
                if (s.Dialect.ExplicitFidNeedsGeneratorRaise) await RaiseFidSequenceAsync(s, want, ct).ConfigureAwait(false);
                return want;
            }
            for (int attempt = 0; ; attempt++)
            {
                long fid = await s.Dialect.InsertTempfileAsync(s, "INSERT INTO tempfile (dmid, dkey, classid, devids, createtime) VALUES (@d, CAST(@k AS TEXT), @c, CAST(@v AS TEXT), {NOW})",
                    c => c.Int("@d", a.dmid).Text("@k", a.key).Int("@c", a.classid).Text("@v", a.devids), ct).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("tempfile insert returned no fid");
                bool taken = fid <= a.minFid
                    || await s.Sql("SELECT 1 FROM file WHERE fid = @f").Int("@f", fid).ScalarInt64Async(ct).ConfigureAwait(false) != null;
                if (!taken) return fid;
                if (attempt > 5) throw new CommandException("db");
                // The generator is behind the file table: drop our row and move it past every file.
                await s.Sql("DELETE FROM tempfile WHERE fid = @f").Int("@f", fid).ExecuteAsync(ct).ConfigureAwait(false);
                long max = await s.Sql("SELECT MAX(fid) FROM file").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0;
                await RaiseFidSequenceAsync(s, Math.Max(max, a.minFid), ct).ConfigureAwait(false);
            }
        }, ct);

    public ValueTask<TempfileRow?> GetTempfileAsync(long fid, CancellationToken ct) =>
        ReadAsync(fid, static async (s, fid, ct) =>
        {
            await using var r = await s.Sql("SELECT fid, dmid, dkey, classid, devids FROM tempfile WHERE fid = @f").Int("@f", fid).ReaderAsync(ct).ConfigureAwait(false);
            return await r.ReadAsync(ct).ConfigureAwait(false)
                ? new TempfileRow(StoreSession.GetInt64(r, 0) ?? 0, StoreSession.GetInt32(r, 1) ?? 0, s.GetText(r, 2), StoreSession.GetInt32(r, 3) ?? 0, s.GetText(r, 4))
                : null;
        }, ct);

    /// <summary>create_close step 5: atomically deletes and returns the temp file row (null = already closed/reaped).</summary>
    public ValueTask<TempfileRow?> TakeTempfileAsync(long fid, CancellationToken ct) =>
        WriteAsync(fid, static async (s, fid, ct) =>
            await s.Dialect.TakeTempfileAsync(s, fid, ct).ConfigureAwait(false), ct);

    // ---- writes used by create_close, delete, rename, updateclass ------------------------------

    private static ValueTask<int> AddFileOnAsync(StoreSession s, long fid, int devid, CancellationToken ct) =>
        new(s.Sql(s.Dialect.InsertIgnore("INSERT INTO file_on (fid, devid) VALUES (@f, @v)", "fid, devid")).Int("@f", fid).Int("@v", devid).ExecuteAsync(ct));

    /// <summary>Deletes the file row and queues the fid for deletion from storage (2.73 FID::delete).</summary>
    private static async ValueTask DeleteFidAsync(StoreSession s, long fid, CancellationToken ct)
    {
        await s.Sql("DELETE FROM file WHERE fid = @f").Int("@f", fid).ExecuteAsync(ct).ConfigureAwait(false);
        await EnqueueDeleteAsync(s, fid, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// "Discard" of create_close (tracker-protocol.md §7.8): records the upload on its device and
    /// queues the fid for deletion, so the delete worker removes the uploaded data.
    /// </summary>
    public ValueTask DiscardUploadAsync(long fid, int devid, CancellationToken ct) =>
        WriteAsync((fid, devid), static async (s, a, ct) =>
        {
            await AddFileOnAsync(s, a.fid, a.devid, ct).ConfigureAwait(false);
            await DeleteFidAsync(s, a.fid, ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>
    /// create_close steps 11-12 in one transaction: an existing file of the key is deleted (its fid
    /// queued for deletion; the same fid → <see cref="CloseOutcome.FidExists"/>), the replica recorded,
    /// the checksum saved when given, the file row written with devcount 1 and the fid queued for
    /// replication (nexttry 0).
    /// </summary>
    public ValueTask<CloseOutcome> CommitClosedFileAsync(CloseFile f, CancellationToken ct) =>
        WriteAsync(f, static (s, f, ct) => CommitClosedAsync(s, f, ct), ct);

    /// <summary>
    /// create_close in one write transaction: takes the temp file row (gone: <see cref="CloseOutcome.NoTempfile"/>,
    /// nothing written) and commits the file as <see cref="CommitClosedFileAsync"/> does. The caller read the
    /// row before its HEAD (<see cref="GetTempfileAsync"/>); taking it here makes a second close of the
    /// same fid, or one racing the reaper, fail as in 2.73.
    /// </summary>
    public ValueTask<CloseOutcome> TakeAndCommitClosedFileAsync(CloseFile f, CancellationToken ct) =>
        WriteAsync(f, static async (s, f, ct) =>
            await s.Dialect.TakeTempfileAsync(s, f.Fid, ct).ConfigureAwait(false) is null
                ? CloseOutcome.NoTempfile
                : await CommitClosedAsync(s, f, ct).ConfigureAwait(false), ct);

    /// <summary>create_close's discard in one write transaction with taking the temp file row; false
    /// (nothing written) when the row is gone, e.g. another close of the same fid committed it.</summary>
    public ValueTask<bool> TakeAndDiscardUploadAsync(long fid, int devid, CancellationToken ct) =>
        WriteAsync((fid, devid), static async (s, a, ct) =>
        {
            if (await s.Dialect.TakeTempfileAsync(s, a.fid, ct).ConfigureAwait(false) is null) return false;
            await AddFileOnAsync(s, a.fid, a.devid, ct).ConfigureAwait(false);
            await DeleteFidAsync(s, a.fid, ct).ConfigureAwait(false);
            return true;
        }, ct);

    private static async ValueTask<CloseOutcome> CommitClosedAsync(StoreSession s, CloseFile f, CancellationToken ct)
    {
        var old = await s.Sql("SELECT fid FROM file WHERE dmid = @d AND dkey = CAST(@k AS TEXT)").Int("@d", f.DomainId).Text("@k", f.Key).ScalarInt64Async(ct).ConfigureAwait(false);
        if (old is long oldFid)
        {
            if (oldFid == f.Fid) return CloseOutcome.FidExists;
            await DeleteFidAsync(s, oldFid, ct).ConfigureAwait(false);
        }
        await AddFileOnAsync(s, f.Fid, f.DevId, ct).ConfigureAwait(false);
        if (f.Checksum != null && f.ChecksumType != HashType.None)
            await SetChecksumAsync(s, f.Fid, f.ChecksumType, f.Checksum, ct).ConfigureAwait(false);
        await s.Sql("DELETE FROM file WHERE fid = @f").Int("@f", f.Fid).ExecuteAsync(ct).ConfigureAwait(false); // REPLACE semantics
        await s.Sql("INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (@f, @d, CAST(@k AS TEXT), @l, @c, 1)")
            .Int("@f", f.Fid).Int("@d", f.DomainId).Text("@k", f.Key).Int("@l", f.Length).Int("@c", f.ClassId).ExecuteAsync(ct).ConfigureAwait(false);
        await EnqueueReplicationAsync(s, f.Fid, 0, ct).ConfigureAwait(false);
        return CloseOutcome.Stored;
    }

    private static ValueTask<int> SetChecksumAsync(StoreSession s, long fid, HashType type, byte[] digest, CancellationToken ct) =>
        new(s.Sql(s.Dialect.Upsert("INSERT INTO checksum (fid, hashtype, checksum) VALUES (@f, @h, @c)", "fid", ["hashtype", "checksum"]))
            .Int("@f", fid).Int("@h", (long)type).Blob("@c", digest).ExecuteAsync(ct));

    /// <summary>delete: removes the key's file row and queues its fid for deletion. False when the key is unknown.</summary>
    public ValueTask<bool> DeleteFileAsync(int dmid, string key, CancellationToken ct) =>
        WriteAsync((dmid, key), static async (s, a, ct) =>
        {
            var fid = await s.Sql("SELECT fid FROM file WHERE dmid = @d AND dkey = CAST(@k AS TEXT)").Int("@d", a.dmid).Text("@k", a.key).ScalarInt64Async(ct).ConfigureAwait(false);
            if (fid is not long f) return false;
            await DeleteFidAsync(s, f, ct).ConfigureAwait(false);
            return true;
        }, ct);

    public enum RenameOutcome { Renamed, UnknownKey, KeyExists }

    /// <summary>rename: unknown source → UnknownKey; target used by another file → KeyExists. Renaming to itself succeeds.</summary>
    public ValueTask<RenameOutcome> RenameFileAsync(int dmid, string fromKey, string toKey, CancellationToken ct) =>
        WriteAsync((dmid, fromKey, toKey), static async (s, a, ct) =>
        {
            var fid = await s.Sql("SELECT fid FROM file WHERE dmid = @d AND dkey = CAST(@k AS TEXT)").Int("@d", a.dmid).Text("@k", a.fromKey).ScalarInt64Async(ct).ConfigureAwait(false);
            if (fid is not long f) return RenameOutcome.UnknownKey;
            if (string.Equals(a.fromKey, a.toKey, StringComparison.Ordinal)) return RenameOutcome.Renamed;
            var other = await s.Sql("SELECT fid FROM file WHERE dmid = @d AND dkey = CAST(@k AS TEXT)").Int("@d", a.dmid).Text("@k", a.toKey).ScalarInt64Async(ct).ConfigureAwait(false);
            if (other is not null) return RenameOutcome.KeyExists;
            await s.Sql("UPDATE file SET dkey = CAST(@k AS TEXT) WHERE fid = @f").Text("@k", a.toKey).Int("@f", f).ExecuteAsync(ct).ConfigureAwait(false);
            return RenameOutcome.Renamed;
        }, ct);

    public enum UpdateClassOutcome { Updated, Unchanged, InvalidKey, NoDevices }

    /// <summary>updateclass steps 5-7: unknown key, no replica, or change the class and queue replication.</summary>
    public ValueTask<UpdateClassOutcome> UpdateFileClassAsync(int dmid, string key, int classid, CancellationToken ct) =>
        WriteAsync((dmid, key, classid), static async (s, a, ct) =>
        {
            long fid;
            int current;
            await using (var r = await s.Sql("SELECT fid, classid FROM file WHERE dmid = @d AND dkey = CAST(@k AS TEXT)").Int("@d", a.dmid).Text("@k", a.key).ReaderAsync(ct).ConfigureAwait(false))
            {
                if (!await r.ReadAsync(ct).ConfigureAwait(false)) return UpdateClassOutcome.InvalidKey;
                fid = StoreSession.GetInt64(r, 0) ?? 0;
                current = StoreSession.GetInt32(r, 1) ?? 0;
            }
            if (await s.Sql("SELECT 1 FROM file_on WHERE fid = @f LIMIT 1").Int("@f", fid).ScalarInt64Async(ct).ConfigureAwait(false) is null)
                return UpdateClassOutcome.NoDevices;
            if (current == a.classid) return UpdateClassOutcome.Unchanged;
            await s.Sql("UPDATE file SET classid = @c WHERE fid = @f").Int("@c", a.classid).Int("@f", fid).ExecuteAsync(ct).ConfigureAwait(false);
            await EnqueueReplicationAsync(s, fid, 0, ct).ConfigureAwait(false);
            return UpdateClassOutcome.Updated;
        }, ct);

    /// <summary>
    /// list_keys (schema.md §8): keys of a domain starting with a literal prefix (LIKE with escapes),
    /// greater than <paramref name="after"/>, ascending, at most <paramref name="limit"/>. Ordering and
    /// the comparison with <c>after</c> are bytewise on both databases. Prefix matching is ASCII
    /// case-insensitive on SQLite unless <paramref name="caseSensitive"/>; always case-sensitive on
    /// PostgreSQL, as 2.73 on PostgreSQL (its LIKE is case-sensitive).
    /// </summary>
    public ValueTask<List<string>> ListKeysAsync(int dmid, string likePattern, string after, int limit, bool caseSensitive, CancellationToken ct) =>
        ReadAsync((dmid, likePattern, after, limit, caseSensitive), static async (s, a, ct) =>
        {
            var list = new List<string>(Math.Min(a.limit, 1000));
            if (a.limit <= 0) return list;
            var (pname, pvalue) = s.Dialect.ListKeysPattern(a.likePattern, a.caseSensitive);
            var (lo, hi) = LiteralPrefixBounds(a.likePattern);
            var sql = await s.Store.ListKeysSqlAsync(s, a.caseSensitive, hi != null, ct).ConfigureAwait(false);
            var cmd = s.Sql(sql).Int("@d", a.dmid).Text("@a", a.after).Int("@n", a.limit).Text(pname, pvalue);
            if (sql.Contains("@hi", StringComparison.Ordinal)) cmd.Text("@lo", lo).Text("@hi", hi);
            await using var r = await cmd.ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(s.GetText(r, 0) ?? "");
            return list;
        }, ct);

    /// <summary>
    /// <see cref="ListKeysAsync(int, string, string, int, bool, CancellationToken)"/> into <paramref name="into"/>
    /// (cleared first) as raw bytes. SQLite overrides it with a reader that makes no string per key.
    /// </summary>
    public virtual async ValueTask ListKeysAsync(int dmid, string likePattern, string after, int limit, bool caseSensitive, KeyList into, CancellationToken ct)
    {
        into.Clear();
        var keys = await ListKeysAsync(dmid, likePattern, after, limit, caseSensitive, ct).ConfigureAwait(false);
        foreach (var k in keys) into.Add(k);
    }

    /// <summary>The statement list_keys runs on this database for a prefix (PostgreSQL: chosen by the
    /// database's collation; with bounds when the prefix allows them).</summary>
    public ValueTask<string> ListKeysStatementAsync(string likePattern, bool caseSensitive, CancellationToken ct) =>
        ReadAsync((likePattern, caseSensitive), static (s, a, ct) => s.Store.ListKeysSqlAsync(s, a.caseSensitive, LiteralPrefixBounds(a.likePattern).Hi != null, ct), ct);

    /// <summary>list_keys' statement; <see cref="PostgresMetadataStore"/> overrides it. <paramref name="bounded"/>:
    /// the caller binds <c>@lo</c> / <c>@hi</c> (<see cref="LiteralPrefixBounds"/>) if the statement names them.</summary>
    protected internal virtual ValueTask<string> ListKeysSqlAsync(StoreSession s, bool caseSensitive, bool bounded, CancellationToken ct) =>
        ValueTask.FromResult(s.Dialect.ListKeysSql(caseSensitive));

    /// <summary>
    /// Bytewise bounds of the keys a LIKE pattern (literal prefix, backslash escapes, then <c>%</c>) can
    /// match: [prefix, prefix with its last character plus one). Only when the prefix is not empty and
    /// ends in a printable ASCII character (so the upper bound is valid text in every encoding); else
    /// (null, null). With a bound the database can stop at the end of the prefix even when the pattern
    /// is a parameter (a generic plan cannot turn LIKE into index bounds).
    /// </summary>
    public static (string? Lo, string? Hi) LiteralPrefixBounds(string likePattern)
    {
        var sb = new System.Text.StringBuilder(likePattern.Length);
        for (int i = 0; i < likePattern.Length; i++)
        {
            char c = likePattern[i];
            if (c == '\\' && i + 1 < likePattern.Length) { sb.Append(likePattern[++i]); continue; }
            if (c is '%' or '_') break;
            sb.Append(c);
        }
        if (sb.Length == 0 || sb[^1] < ' ' || sb[^1] >= '~') return (null, null);
        string lo = sb.ToString();
        sb[^1] = (char)(sb[^1] + 1);
        return (lo, sb.ToString());
    }

    /// <summary>list_fids: files with fid &gt; <paramref name="fromFid"/>, ascending, at most <paramref name="count"/>.</summary>
    public ValueTask<List<FileRow>> ListFidsAsync(long fromFid, int count, CancellationToken ct) =>
        ReadAsync((fromFid, count), static async (s, a, ct) =>
        {
            var list = new List<FileRow>(Math.Min(a.count, 500));
            await using var r = await s.Sql("SELECT " + FileColumns + " FROM file f WHERE f.fid > @f ORDER BY f.fid LIMIT @n")
                .Int("@f", a.fromFid).Int("@n", a.count).ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(ReadFileRow(s, r));
            return list;
        }, ct);

    /// <summary>httpcopy: records a new replica and refreshes devcount (unless skip_devcount).</summary>
    public ValueTask AddReplicaAsync(long fid, int devid, bool updateDevcount, CancellationToken ct) =>
        WriteAsync((fid, devid, updateDevcount), static async (s, a, ct) =>
        {
            await AddFileOnAsync(s, a.fid, a.devid, ct).ConfigureAwait(false);
            if (a.updateDevcount)
                await s.Sql("UPDATE file SET devcount = (SELECT COUNT(*) FROM file_on WHERE fid = @f) WHERE fid = @f").Int("@f", a.fid).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();
}
