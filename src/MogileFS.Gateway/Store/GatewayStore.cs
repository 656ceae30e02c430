using System.Collections.Concurrent;
using System.Data.Common;
using MogileFS.Core.Protocol;
using MogileFS.Store;

namespace MogileFS.Gateway.Store;

/// <summary>S3 facts about one MogileFS file (a row of <c>s3_object</c>).</summary>
/// <param name="Flags">Bit 1: the file is a multipart manifest, not the object's bytes (<see cref="ObjectFlags"/>).</param>
public sealed record ObjectMeta(long Fid, long Size, string ETag, string? ContentType, string? Meta, long MtimeMs, int Flags);

/// <summary>The values of <see cref="ObjectMeta.Flags"/>.</summary>
public static class ObjectFlags
{
    /// <summary>The MogileFS file holds a manifest of parts (multipart upload); the object is their concatenation.</summary>
    public const int Manifest = 1;
}

/// <summary>A key's current MogileFS file and, when it has one, its S3 row.</summary>
public sealed record ObjectEntry(string Key, long Fid, long Length, ObjectMeta? Meta)
{
    /// <summary>The object's size as S3 sees it (a manifest's row holds the assembled size).</summary>
    public long Size => Meta?.Size ?? Length;
}

/// <summary>
/// The gateway's access to the cluster's database: reads of the 2.73 <c>domain</c> and <c>file</c>
/// tables (never written here: all changes to files go through the trackers) and reads and writes
/// of its own <c>s3_*</c> tables (GatewayStore.Schema.cs). Keys and names are S3 text in the API;
/// they become byte strings (UTF-8 bytes) at the database, as the trackers store them.
/// </summary>
public sealed partial class GatewayStore : IAsyncDisposable
{
    private readonly MetadataStore _db;
    private readonly ConcurrentDictionary<string, (int? Dmid, long Until)> _dmids = new(StringComparer.Ordinal);

    public GatewayStore(MetadataStore db) => _db = db;

    public static GatewayStore Open(GatewayOptions options) =>
        new(MetadataStore.Open(DatabaseDsn.Parse(options.Dsn!), options.DbUser, options.DbPassword));

    public MetadataStore Database => _db;
    public DatabaseKind Kind => _db.Kind;

    /// <summary>Creates the gateway's tables where they are missing (idempotent; safe with several gateways starting).</summary>
    public async Task EnsureSchemaAsync(CancellationToken ct)
    {
        foreach (var sql in SchemaStatements(Kind))
        {
            await _db.WriteAsync(sql, static async (s, q, ct) =>
            {
                using var cmd = s.Connection.CreateCommand();
                cmd.Transaction = s.Transaction;
                cmd.CommandText = q;
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
        }
    }

    internal static string B(string text) => ByteString.FromText(text);
    internal static string T(string bytes) => ByteString.TryToText(bytes) ?? ByteString.ToDisplayText(bytes);

    /// <summary>Postgres sorts text by locale unless told otherwise; S3 lists in byte order.</summary>
    private string C => Kind == DatabaseKind.Postgres ? " COLLATE \"C\"" : "";

    /// <summary><c>file.dkey</c> in byte order: PostgreSQL's "C" collation; on MySQL the 2.73 column is a
    /// VARCHAR in the database's (usually case-insensitive) collation, so it is compared as BINARY, which
    /// the (dmid, dkey) index cannot serve beyond the domain: listing a huge domain costs more there.</summary>
    private string OrderedKey => Kind switch
    {
        DatabaseKind.Postgres => "f.dkey COLLATE \"C\"",
        DatabaseKind.MySql => "BINARY f.dkey",
        _ => "f.dkey",
    };

    // ---- domains (buckets) ----------------------------------------------------------------

    /// <summary>The dmid of a domain, or null. Cached for a second: buckets are created and dropped rarely, and a
    /// stale answer only delays seeing a new bucket (the trackers check again on every write).</summary>
    public async ValueTask<int?> DomainIdAsync(string bucket, CancellationToken ct)
    {
        long now = Environment.TickCount64;
        if (_dmids.TryGetValue(bucket, out var hit) && hit.Until > now) return hit.Dmid;
        var dmid = await _db.ReadAsync(B(bucket), static async (s, n, ct) =>
            (int?)await s.Sql("SELECT dmid FROM domain WHERE namespace = CAST(@n AS TEXT)").Text("@n", n).ScalarInt64Async(ct).ConfigureAwait(false),
            ct).ConfigureAwait(false);
        _dmids[bucket] = (dmid, now + 1000);
        return dmid;
    }

    public void ForgetDomain(string bucket) => _dmids.TryRemove(bucket, out _);

    /// <summary>The domain id <see cref="DomainIdAsync"/> would answer from its cache without asking the database
    /// (null: no such domain); false when the cache has no current answer.</summary>
    public bool TryCachedDomainId(string bucket, out int? dmid)
    {
        if (_dmids.TryGetValue(bucket, out var hit) && hit.Until > Environment.TickCount64)
        {
            dmid = hit.Dmid;
            return true;
        }
        dmid = null;
        return false;
    }

    /// <summary>Every domain with its S3 creation time (null when it was made outside S3).</summary>
    public ValueTask<List<(string Name, long? CreatedMs)>> ListDomainsAsync(CancellationToken ct) =>
        _db.ReadAsync(this, static async (s, self, ct) =>
        {
            var list = new List<(string, long?)>();
            await using var r = await s.Sql($"SELECT d.namespace, b.created FROM domain d LEFT JOIN s3_bucket b ON b.namespace = d.namespace ORDER BY d.namespace{self.C}")
                .ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                list.Add((T(s.GetText(r, 0) ?? ""), StoreSession.GetInt64(r, 1)));
            return list;
        }, ct);

    public ValueTask SetBucketCreatedAsync(string bucket, long createdMs, CancellationToken ct) =>
        _db.WriteAsync((B(bucket), createdMs, Kind), static async (s, a, ct) =>
        {
            string sql = a.Kind == DatabaseKind.MySql
                ? "INSERT INTO s3_bucket (namespace, created) VALUES (@n, @c) ON DUPLICATE KEY UPDATE created = VALUES(created)"
                : "INSERT INTO s3_bucket (namespace, created) VALUES (CAST(@n AS TEXT), @c) ON CONFLICT (namespace) DO UPDATE SET created = excluded.created";
            await s.Sql(sql).Text("@n", a.Item1).Int("@c", a.createdMs).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    public ValueTask ForgetBucketAsync(string bucket, CancellationToken ct) =>
        _db.WriteAsync(B(bucket), static async (s, n, ct) =>
        {
            await s.Sql("DELETE FROM s3_bucket WHERE namespace = CAST(@n AS TEXT)").Text("@n", n).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>True when the domain has any file (a bucket must be empty to be deleted).</summary>
    public ValueTask<bool> DomainHasFilesAsync(int dmid, CancellationToken ct) =>
        _db.ReadAsync(dmid, static async (s, d, ct) =>
            await s.Sql("SELECT fid FROM file WHERE dmid = @d LIMIT 1").Int("@d", d).ScalarInt64Async(ct).ConfigureAwait(false) is not null, ct);

    // ---- objects --------------------------------------------------------------------------

    private const string EntryColumns = "f.dkey, f.fid, f.length, o.size, o.etag, o.content_type, o.meta, o.mtime, o.flags";

    private static ObjectEntry ReadEntry(StoreSession s, DbDataReader r)
    {
        string key = T(s.GetText(r, 0) ?? "");
        long fid = StoreSession.GetInt64(r, 1) ?? 0;
        long length = StoreSession.GetInt64(r, 2) ?? 0;
        ObjectMeta? meta = null;
        if (!r.IsDBNull(4))
        {
            meta = new ObjectMeta(fid, StoreSession.GetInt64(r, 3) ?? length, T(s.GetText(r, 4)!),
                s.GetText(r, 5) is { } ctype ? T(ctype) : null, s.GetText(r, 6) is { } m ? T(m) : null,
                StoreSession.GetInt64(r, 7) ?? 0, StoreSession.GetInt32(r, 8) ?? 0);
        }
        return new ObjectEntry(key, fid, length, meta);
    }

    /// <summary>The key's current file and its S3 row (if the row is for that file), or null when the key does not exist.</summary>
    public ValueTask<ObjectEntry?> FindObjectAsync(int dmid, string key, CancellationToken ct) =>
        _db.ReadAsync((dmid, B(key)), static async (s, a, ct) =>
        {
            await using var r = await s.Sql($"SELECT {EntryColumns} FROM file f LEFT JOIN s3_object o ON o.fid = f.fid WHERE f.dmid = @d AND f.dkey = CAST(@k AS TEXT)")
                .Int("@d", a.dmid).Text("@k", a.Item2).ReaderAsync(ct).ConfigureAwait(false);
            return await r.ReadAsync(ct).ConfigureAwait(false) ? ReadEntry(s, r) : null;
        }, ct);

    /// <summary>
    /// Up to <paramref name="limit"/> keys of the domain in byte order, from <paramref name="startBytes"/> (a byte
    /// string; itself included unless <paramref name="exclusive"/>), with their rows.
    /// </summary>
    public ValueTask<List<(string KeyBytes, ObjectEntry Entry)>> ListFromAsync(int dmid, string startBytes, bool exclusive, int limit, CancellationToken ct) =>
        _db.ReadAsync((dmid, startBytes, limit, self: this, op: exclusive ? ">" : ">="), static async (s, a, ct) =>
        {
            var list = new List<(string, ObjectEntry)>(Math.Min(a.limit, 1024));
            string k = a.self.OrderedKey;
            await using var r = await s.Sql($"SELECT {EntryColumns} FROM file f LEFT JOIN s3_object o ON o.fid = f.fid " +
                    $"WHERE f.dmid = @d AND {k} {a.op} CAST(@s AS TEXT){a.self.C} ORDER BY {k} LIMIT @n")
                .Int("@d", a.dmid).Text("@s", a.startBytes).Int("@n", a.limit).ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                string raw = s.GetText(r, 0) ?? "";
                list.Add((raw, ReadEntry(s, r)));
            }
            return list;
        }, ct);

    /// <summary>
    /// Records the S3 facts of a file (before <c>create_close</c> makes the key point at it). In the same
    /// transaction it drops the key's rows that belong neither to the new file nor to the key's current one
    /// (files replaced earlier), so a key keeps at most two rows without a write of its own per upload;
    /// the current file's row goes at the next overwrite, a delete, or the sweep.
    ///
    /// Group commit: rows that arrive while a write is running are written together in the next
    /// transaction, and each caller returns once its row is committed. Concurrent small PUTs thus
    /// share one transaction (one commit, one fsync on PostgreSQL/MySQL, one turn of SQLite's
    /// single writer) instead of queueing for one each.
    /// </summary>
    public ValueTask PutObjectMetaAsync(int dmid, string key, ObjectMeta m, CancellationToken ct)
    {
        var row = new PendingRow(dmid, B(key), m);
        bool start;
        lock (_pendingLock)
        {
            (_pending ??= []).Add(row);
            start = !_writing;
            _writing = true;
        }
        if (start) _ = Task.Run(WritePendingAsync, CancellationToken.None);
        return new ValueTask(row.Done.Task.WaitAsync(ct));
    }

    private sealed record PendingRow(int Dmid, string KeyBytes, ObjectMeta Meta)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly object _pendingLock = new();
    private List<PendingRow>? _pending;
    private bool _writing;
    private const int MaxBatch = 256;

    private async Task WritePendingAsync()
    {
        while (true)
        {
            List<PendingRow> batch;
            lock (_pendingLock)
            {
                if (_pending is null || _pending.Count == 0)
                {
                    _writing = false;
                    return;
                }
                if (_pending.Count <= MaxBatch)
                {
                    batch = _pending;
                    _pending = null;
                }
                else
                {
                    batch = _pending.GetRange(0, MaxBatch);
                    _pending.RemoveRange(0, MaxBatch);
                }
            }
            try
            {
                await WriteRowsAsync(batch).ConfigureAwait(false);
                foreach (var row in batch) row.Done.TrySetResult();
            }
            catch (Exception) when (batch.Count > 1)
            {
                // One bad row must not fail the others: write them one by one.
                foreach (var row in batch)
                {
                    try
                    {
                        await WriteRowsAsync([row]).ConfigureAwait(false);
                        row.Done.TrySetResult();
                    }
                    catch (Exception e) { row.Done.TrySetException(e); }
                }
            }
            catch (Exception e)
            {
                batch[0].Done.TrySetException(e);
            }
        }
    }

    private ValueTask<bool> WriteRowsAsync(List<PendingRow> rows) =>
        _db.WriteAsync((rows, Kind), static async (s, a, ct) =>
        {
            string sql = a.Kind == DatabaseKind.MySql
                ? "REPLACE INTO s3_object (fid, dmid, dkey, size, etag, content_type, meta, mtime, flags) VALUES (@f, @d, @k, @s, @e, @c, @m, @t, @g)"
                : "INSERT INTO s3_object (fid, dmid, dkey, size, etag, content_type, meta, mtime, flags) " +
                  "VALUES (@f, @d, CAST(@k AS TEXT), @s, CAST(@e AS TEXT), CAST(@c AS TEXT), CAST(@m AS TEXT), @t, @g) " +
                  "ON CONFLICT (fid) DO UPDATE SET dmid = excluded.dmid, dkey = excluded.dkey, size = excluded.size, etag = excluded.etag, " +
                  "content_type = excluded.content_type, meta = excluded.meta, mtime = excluded.mtime, flags = excluded.flags";
            foreach (var row in a.rows)
            {
                var m = row.Meta;
                await s.Sql(sql).Int("@f", m.Fid).Int("@d", row.Dmid).Text("@k", row.KeyBytes).Int("@s", m.Size).Text("@e", B(m.ETag))
                    .Text("@c", m.ContentType is { } c ? B(c) : null).Text("@m", m.Meta is { } mm ? B(mm) : null)
                    .Int("@t", m.MtimeMs).Int("@g", m.Flags).ExecuteAsync(ct).ConfigureAwait(false);
                await s.Sql("DELETE FROM s3_object WHERE dmid = @d AND dkey = CAST(@k AS TEXT) AND fid <> @f " +
                            "AND NOT EXISTS (SELECT 1 FROM file f WHERE f.fid = s3_object.fid) " +
                            "AND NOT EXISTS (SELECT 1 FROM tempfile t WHERE t.fid = s3_object.fid)") // another upload of the key, still open
                    .Int("@d", row.Dmid).Text("@k", row.KeyBytes).Int("@f", m.Fid).ExecuteAsync(ct).ConfigureAwait(false);
            }
            return true;
        }, CancellationToken.None);

    /// <summary>Records facts for a file made outside S3, unless a row exists (first sight fixes its Last-Modified).</summary>
    public ValueTask AdoptAsync(int dmid, string key, ObjectMeta m, CancellationToken ct) =>
        _db.WriteAsync((dmid, k: B(key), m, Kind), static async (s, a, ct) =>
        {
            string sql = a.Kind == DatabaseKind.MySql
                ? "INSERT IGNORE INTO s3_object (fid, dmid, dkey, size, etag, mtime, flags) VALUES (@f, @d, @k, @s, @e, @t, 0)"
                : "INSERT INTO s3_object (fid, dmid, dkey, size, etag, mtime, flags) VALUES (@f, @d, CAST(@k AS TEXT), @s, CAST(@e AS TEXT), @t, 0) ON CONFLICT (fid) DO NOTHING";
            await s.Sql(sql).Int("@f", a.m.Fid).Int("@d", a.dmid).Text("@k", a.k).Int("@s", a.m.Size).Text("@e", B(a.m.ETag))
                .Int("@t", a.m.MtimeMs).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>As <see cref="AdoptAsync"/> for many files of one domain, in one transaction.</summary>
    public ValueTask AdoptManyAsync(int dmid, IReadOnlyList<(string Key, ObjectMeta Meta)> rows, CancellationToken ct) =>
        _db.WriteAsync((dmid, rows, Kind), static async (s, a, ct) =>
        {
            string sql = a.Kind == DatabaseKind.MySql
                ? "INSERT IGNORE INTO s3_object (fid, dmid, dkey, size, etag, mtime, flags) VALUES (@f, @d, @k, @s, @e, @t, 0)"
                : "INSERT INTO s3_object (fid, dmid, dkey, size, etag, mtime, flags) VALUES (@f, @d, CAST(@k AS TEXT), @s, CAST(@e AS TEXT), @t, 0) ON CONFLICT (fid) DO NOTHING";
            foreach (var (key, m) in a.rows)
                await s.Sql(sql).Int("@f", m.Fid).Int("@d", a.dmid).Text("@k", B(key)).Int("@s", m.Size).Text("@e", B(m.ETag))
                    .Int("@t", m.MtimeMs).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>Drops the row of one file (an upload that did not complete).</summary>
    public ValueTask DeleteObjectMetaAsync(long fid, CancellationToken ct) =>
        _db.WriteAsync(fid, static async (s, f, ct) =>
        {
            await s.Sql("DELETE FROM s3_object WHERE fid = @f").Int("@f", f).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>Drops the rows of a key whose files are gone (after a delete or overwrite).</summary>
    public ValueTask<int> DropStaleRowsAsync(int dmid, string key, CancellationToken ct) =>
        _db.WriteAsync((dmid, k: B(key)), static async (s, a, ct) =>
            await s.Sql("DELETE FROM s3_object WHERE dmid = @d AND dkey = CAST(@k AS TEXT) AND NOT EXISTS (SELECT 1 FROM file f WHERE f.fid = s3_object.fid) " +
                        "AND NOT EXISTS (SELECT 1 FROM tempfile t WHERE t.fid = s3_object.fid)")
                .Int("@d", a.dmid).Text("@k", a.k).ExecuteAsync(ct).ConfigureAwait(false), ct);

    /// <summary>
    /// Drops rows whose file no longer exists and that are older than <paramref name="olderThanMs"/>
    /// (young rows may belong to uploads between their row and their <c>create_close</c>).
    /// </summary>
    public ValueTask<int> SweepAsync(long olderThanMs, CancellationToken ct) =>
        _db.WriteAsync(olderThanMs, static async (s, t, ct) =>
        {
            int n = await s.Sql("DELETE FROM s3_object WHERE mtime < @t AND NOT EXISTS (SELECT 1 FROM file f WHERE f.fid = s3_object.fid)")
                .Int("@t", t).ExecuteAsync(ct).ConfigureAwait(false);
            // Part layouts of objects whose row is gone (their files no longer exist; layouts are written before the row).
            await s.Sql("DELETE FROM s3_object_part WHERE NOT EXISTS (SELECT 1 FROM s3_object o WHERE o.fid = s3_object_part.fid) " +
                        "AND NOT EXISTS (SELECT 1 FROM file f WHERE f.fid = s3_object_part.fid) " +
                        "AND NOT EXISTS (SELECT 1 FROM tempfile t WHERE t.fid = s3_object_part.fid)")
                .ExecuteAsync(ct).ConfigureAwait(false);
            return n;
        }, ct);

    public ValueTask DisposeAsync() => _db.DisposeAsync();
}

internal static class ValueTaskExtensions
{
    public static async ValueTask AsValueTaskVoid<T>(this ValueTask<T> t) => await t.ConfigureAwait(false);
}
