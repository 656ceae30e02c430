using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using MogileFS.Core.Model;

namespace MogileFS.Store;

/// <summary>Queue tables the job master claims from (schema.md §3.9-§3.11).</summary>
public enum QueueTable { Replicate, Delete, Fsck, Rebalance }

/// <summary>
/// A claimed queue row. <see cref="ClaimedUntil"/> is the nexttry the claim wrote: renewals and
/// releases only touch the row while it still carries that value, so they never undo a worker's
/// reschedule. Fields a table does not have are 0/null.
/// </summary>
public sealed record QueueItem(QueueTable Table, long Fid, long NextTry, int FailCount, int? DevId, int Flags, string? Arg, long ClaimedUntil);

/// <summary>What the replicator needs about one fid, read on one connection.</summary>
public sealed record ReplicationFacts(FileRow File, List<int> DevIds, HashType ChecksumType, byte[]? Checksum);

/// <summary>What the delete worker needs about one queued fid.</summary>
public sealed record DeletionFacts(bool FileRowExists, bool TempfileExists, List<int> DevIds);

// Background jobs (jobs.md §4-§8, schema.md §3.4-§3.11, §4, §6): queue claiming with leases,
// row outcomes, replica bookkeeping, reaper and tempfile batches, named locks.
public abstract partial class MetadataStore
{
    private static string TableName(QueueTable t) => t switch
    {
        QueueTable.Replicate => "file_to_replicate",
        QueueTable.Delete => "file_to_delete2",
        _ => "file_to_queue",
    };

    private static int? QueueType(QueueTable t) => t switch
    {
        QueueTable.Fsck => FsckQueue,
        QueueTable.Rebalance => RebalanceQueue,
        _ => null,
    };

    /// <summary>A list of fids as one parameter: a JSON array every database can unnest (<c>Dialect.IdsFromJson</c>).</summary>
    private static string FidJson(IEnumerable<long> fids)
    {
        var sb = new StringBuilder("[");
        foreach (var f in fids)
        {
            if (sb.Length > 1) sb.Append(',');
            sb.Append(f.ToString(CultureInfo.InvariantCulture));
        }
        return sb.Append(']').ToString();
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> due rows (nexttry &lt;= now, oldest first) by setting
    /// nexttry = now + <paramref name="leaseSeconds"/> in one transaction (schema.md §6; the dialect's
    /// <c>ClaimQueueAsync</c>). PostgreSQL locks the selected rows FOR UPDATE SKIP LOCKED, so two trackers
    /// never claim the same row and never wait for each other; SQLite serialises writers (BEGIN IMMEDIATE). Only the rows of that queue type
    /// are bumped on file_to_queue (2.73 bumped every type of the fid).
    /// </summary>
    public ValueTask<List<QueueItem>> ClaimQueueAsync(QueueTable table, int limit, int leaseSeconds, CancellationToken ct) =>
        WriteAsync((table, limit, leaseSeconds), static async (s, a, ct) =>
        {
            if (a.limit <= 0) return new List<QueueItem>();
            string cols = a.table switch
            {
                QueueTable.Replicate => "fid, nexttry, failcount, fromdevid, flags, NULL",
                QueueTable.Delete => "fid, nexttry, failcount, NULL, 0, NULL",
                _ => "fid, nexttry, failcount, devid, flags, arg",
            };
            var claim = new Dialects.QueueClaim(TableName(a.table), QueueType(a.table), cols, a.limit, a.leaseSeconds);
            // The new nexttry is returned; the due time before the claim is not needed by workers.
            var list = await s.Dialect.ClaimQueueAsync(s, claim, r =>
            {
                long claimed = StoreSession.GetInt64(r, 6) ?? 0;
                return new QueueItem(a.table, StoreSession.GetInt64(r, 0) ?? 0, claimed, StoreSession.GetInt32(r, 2) ?? 0,
                    StoreSession.GetInt32(r, 3), StoreSession.GetInt32(r, 4) ?? 0, s.GetText(r, 5), claimed);
            }, ct).ConfigureAwait(false);
            list.Sort(static (x, y) => x.Fid.CompareTo(y.Fid));
            return list;
        }, ct);

    /// <summary>
    /// Extends the lease of rows this tracker still holds (claimed at <paramref name="claimedUntil"/>)
    /// to now + <paramref name="leaseSeconds"/>. Returns the new nexttry and the fids renewed.
    /// </summary>
    public ValueTask<(long NewNextTry, List<long> Fids)> RenewClaimsAsync(QueueTable table, IReadOnlyCollection<long> fids, long claimedUntil, int leaseSeconds, CancellationToken ct) =>
        WriteAsync((table, fids, claimedUntil, leaseSeconds), static async (s, a, ct) =>
        {
            if (a.fids.Count == 0) return (0L, new List<long>());
            return await s.Dialect.RenewClaimsAsync(s, TableName(a.table), QueueType(a.table), FidJson(a.fids), a.claimedUntil, a.leaseSeconds, ct).ConfigureAwait(false);
        }, ct);

    /// <summary>Hands claimed rows that were never started back to the queue (nexttry = now).</summary>
    public ValueTask<int> ReleaseClaimsAsync(QueueTable table, IReadOnlyCollection<long> fids, long claimedUntil, CancellationToken ct) =>
        WriteAsync((table, fids, claimedUntil), static async (s, a, ct) =>
        {
            if (a.fids.Count == 0) return 0;
            int? type = QueueType(a.table);
            string sql = $"UPDATE {TableName(a.table)} SET nexttry = {{NOW}} WHERE nexttry = @o{(type is null ? "" : " AND type = @t")} AND fid IN ({s.Dialect.IdsFromJson("@ids")})";
            var cmd = s.Sql(sql).Int("@o", a.claimedUntil).Text("@ids", FidJson(a.fids));
            if (type is int t) cmd.Int("@t", t);
            return await cmd.ExecuteAsync(ct).ConfigureAwait(false);
        }, ct);

    /// <summary>Number of rows in a queue (for !stats-like views and tests); <paramref name="dueOnly"/>: nexttry &lt;= now.</summary>
    public ValueTask<long> CountQueueAsync(QueueTable table, bool dueOnly, CancellationToken ct) =>
        ReadAsync((table, dueOnly), static async (s, a, ct) =>
        {
            int? type = QueueType(a.table);
            string where = (a.dueOnly ? " WHERE nexttry <= {NOW}" : " WHERE 1 = 1") + (type is null ? "" : " AND type = @t");
            var cmd = s.Sql($"SELECT COUNT(*) FROM {TableName(a.table)}{where}");
            if (type is int t) cmd.Int("@t", t);
            return await cmd.ScalarInt64Async(ct).ConfigureAwait(false) ?? 0;
        }, ct);

    // ---- replication ----------------------------------------------------------------------------

    /// <summary>File row, replica devids and checksum of a fid (null when the fid is not in file).</summary>
    public ValueTask<ReplicationFacts?> GetReplicationFactsAsync(long fid, CancellationToken ct) =>
        ReadAsync(fid, static async (s, fid, ct) =>
        {
            await using var r = await s.Sql("SELECT " + FileColumns + ", c.hashtype, c.checksum, o.devid FROM file f LEFT JOIN checksum c ON c.fid = f.fid LEFT JOIN file_on o ON o.fid = f.fid WHERE f.fid = @f")
                .Int("@f", fid).ReaderAsync(ct).ConfigureAwait(false);
            if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
            var row = ReadFileRow(s, r);
            var ht = StoreSession.GetInt32(r, 6) ?? 0;
            byte[]? sum = r.IsDBNull(7) ? null : (byte[])r.GetValue(7);
            var devids = new List<int>(4);
            do
            {
                if (StoreSession.GetInt32(r, 8) is int d && !devids.Contains(d)) devids.Add(d);
            } while (await r.ReadAsync(ct).ConfigureAwait(false));
            return new ReplicationFacts(row, devids, ht is 1 or 2 ? (HashType)ht : HashType.None, ht is 1 or 2 ? sum : null);
        }, ct);

    /// <summary>
    /// Records a new replica (insert-if-absent), refreshes devcount unless <paramref name="updateDevcount"/>
    /// is false, and stores <paramref name="checksum"/> when the fid has no checksum row yet.
    /// </summary>
    public ValueTask RecordReplicaAsync(long fid, int devid, bool updateDevcount, HashType checksumType, byte[]? checksum, CancellationToken ct) =>
        WriteAsync((fid, devid, updateDevcount, checksumType, checksum), static async (s, a, ct) =>
        {
            await AddFileOnAsync(s, a.fid, a.devid, ct).ConfigureAwait(false);
            if (a.updateDevcount) await UpdateDevcountAsync(s, a.fid, ct).ConfigureAwait(false);
            if (a.checksum != null && a.checksumType != HashType.None)
                await s.Sql(s.Dialect.InsertIgnore("INSERT INTO checksum (fid, hashtype, checksum) VALUES (@f, @h, @c)", "fid"))
                    .Int("@f", a.fid).Int("@h", (long)a.checksumType).Blob("@c", a.checksum).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>The last copy of a finished replication and the removal of its queue row, in one transaction.</summary>
    public ValueTask RecordReplicaAndFinishAsync(long fid, int devid, bool updateDevcount, HashType checksumType, byte[]? checksum, CancellationToken ct) =>
        WriteAsync((fid, devid, updateDevcount, checksumType, checksum), static async (s, a, ct) =>
        {
            await AddFileOnAsync(s, a.fid, a.devid, ct).ConfigureAwait(false);
            if (a.updateDevcount) await UpdateDevcountAsync(s, a.fid, ct).ConfigureAwait(false);
            if (a.checksum != null && a.checksumType != HashType.None)
                await s.Sql(s.Dialect.InsertIgnore("INSERT INTO checksum (fid, hashtype, checksum) VALUES (@f, @h, @c)", "fid"))
                    .Int("@f", a.fid).Int("@h", (long)a.checksumType).Blob("@c", a.checksum).ExecuteAsync(ct).ConfigureAwait(false);
            await s.Sql("DELETE FROM file_to_replicate WHERE fid = @f").Int("@f", a.fid).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>Removes one replica row (and refreshes devcount when asked and the file still exists).</summary>
    public ValueTask<bool> RemoveReplicaAsync(long fid, int devid, bool updateDevcount, CancellationToken ct) =>
        WriteAsync((fid, devid, updateDevcount), static async (s, a, ct) =>
        {
            int n = await s.Sql("DELETE FROM file_on WHERE fid = @f AND devid = @d").Int("@f", a.fid).Int("@d", a.devid).ExecuteAsync(ct).ConfigureAwait(false);
            if (a.updateDevcount) await UpdateDevcountAsync(s, a.fid, ct).ConfigureAwait(false);
            return n > 0;
        }, ct);

    private static async ValueTask UpdateDevcountAsync(StoreSession s, long fid, CancellationToken ct) =>
        await s.Sql("UPDATE file SET devcount = (SELECT COUNT(*) FROM file_on WHERE fid = @f) WHERE fid = @f").Int("@f", fid).ExecuteAsync(ct).ConfigureAwait(false);

    /// <summary>Deletes a replication row (success, lost race, fid gone).</summary>
    public ValueTask DeleteReplicationRowAsync(long fid, CancellationToken ct) =>
        WriteAsync(fid, static async (s, fid, ct) =>
            await s.Sql("DELETE FROM file_to_replicate WHERE fid = @f").Int("@f", fid).ExecuteAsync(ct).ConfigureAwait(false), ct).AsValueTaskVoid();

    /// <summary>Reschedules a replication row: nexttry = now + <paramref name="delaySeconds"/>, failcount = <paramref name="failCount"/>.
    /// <paramref name="delaySeconds"/> = null parks the row at END OF TIME (no_source).</summary>
    public ValueTask RescheduleReplicationAsync(long fid, long? delaySeconds, int failCount, CancellationToken ct) =>
        WriteAsync((fid, delaySeconds, failCount), static async (s, a, ct) =>
        {
            if (a.delaySeconds is long d)
                await s.Sql("UPDATE file_to_replicate SET nexttry = {NOW} + @d, failcount = @c WHERE fid = @f")
                    .Int("@d", d).Int("@c", Math.Min(a.failCount, 255)).Int("@f", a.fid).ExecuteAsync(ct).ConfigureAwait(false);
            else
                await s.Sql("UPDATE file_to_replicate SET nexttry = @e, failcount = @c WHERE fid = @f")
                    .Int("@e", EndOfTime).Int("@c", Math.Min(a.failCount, 255)).Int("@f", a.fid).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>Insert-if-absent into file_to_replicate (nexttry = now + seconds; 0 = urgent).</summary>
    public ValueTask EnqueueReplicationAsync(long fid, int inSeconds, CancellationToken ct) =>
        WriteAsync((fid, inSeconds), static async (s, a, ct) =>
            await EnqueueReplicationAsync(s, a.fid, a.inSeconds, ct).ConfigureAwait(false), ct).AsValueTaskVoid();

    /// <summary>Rows with nexttry != 0 and &lt; END OF TIME (the reaper's throttle, jobs.md §8 step 3).</summary>
    public ValueTask<long> DeferredReplicationCountAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) =>
            await s.Sql("SELECT COUNT(*) FROM file_to_replicate WHERE nexttry != 0 AND nexttry < @e").Int("@e", EndOfTime).ScalarInt64Async(ct).ConfigureAwait(false) ?? 0, ct);

    // ---- deletion -------------------------------------------------------------------------------

    public ValueTask<DeletionFacts> GetDeletionFactsAsync(long fid, CancellationToken ct) =>
        ReadAsync(fid, static async (s, fid, ct) =>
        {
            bool file = await s.Sql("SELECT 1 FROM file WHERE fid = @f").Int("@f", fid).ScalarInt64Async(ct).ConfigureAwait(false) != null;
            bool temp = await s.Sql("SELECT 1 FROM tempfile WHERE fid = @f").Int("@f", fid).ScalarInt64Async(ct).ConfigureAwait(false) != null;
            return new DeletionFacts(file, temp, await LoadDevidsAsync(s, fid, ct).ConfigureAwait(false));
        }, ct);

    /// <summary>Delete worker step 2: the fid's checksum row goes (never while a file row owns the fid).</summary>
    public ValueTask ForgetDeletedFidAsync(long fid, CancellationToken ct) =>
        WriteAsync(fid, static async (s, fid, ct) =>
        {
            if (await s.Sql("SELECT 1 FROM file WHERE fid = @f").Int("@f", fid).ScalarInt64Async(ct).ConfigureAwait(false) != null) return false;
            await s.Sql("DELETE FROM checksum WHERE fid = @f").Int("@f", fid).ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>
    /// Finishes a delete pass: removes the file_on rows in <paramref name="removedDevids"/>, then either
    /// deletes the queue row (no replica left) or reschedules it (nexttry = now + delay, failcount).
    /// Returns true when the row is gone.
    /// </summary>
    public ValueTask<bool> CompleteDeletePassAsync(long fid, IReadOnlyList<int> removedDevids, long? rescheduleSeconds, int failCount, CancellationToken ct) =>
        WriteAsync((fid, removedDevids, rescheduleSeconds, failCount), static async (s, a, ct) =>
        {
            foreach (var d in a.removedDevids)
                await s.Sql("DELETE FROM file_on WHERE fid = @f AND devid = @d").Int("@f", a.fid).Int("@d", d).ExecuteAsync(ct).ConfigureAwait(false);
            bool any = await s.Sql("SELECT 1 FROM file_on WHERE fid = @f LIMIT 1").Int("@f", a.fid).ScalarInt64Async(ct).ConfigureAwait(false) != null;
            if (!any && a.rescheduleSeconds is null)
            {
                await s.Sql("DELETE FROM file_to_delete2 WHERE fid = @f").Int("@f", a.fid).ExecuteAsync(ct).ConfigureAwait(false);
                return true;
            }
            await s.Sql("UPDATE file_to_delete2 SET nexttry = {NOW} + @d, failcount = @c WHERE fid = @f")
                .Int("@d", a.rescheduleSeconds ?? 60).Int("@c", Math.Min(a.failCount, 255)).Int("@f", a.fid).ExecuteAsync(ct).ConfigureAwait(false);
            return false;
        }, ct);

    /// <summary>Drops a delete-queue row without touching replicas (a live file owns the fid again).</summary>
    public ValueTask DropDeleteRowAsync(long fid, CancellationToken ct) =>
        WriteAsync(fid, static async (s, fid, ct) =>
            await s.Sql("DELETE FROM file_to_delete2 WHERE fid = @f").Int("@f", fid).ExecuteAsync(ct).ConfigureAwait(false), ct).AsValueTaskVoid();

    /// <summary>
    /// Tempfile reaping (schema.md §3.4), one transaction: up to <paramref name="limit"/> rows older
    /// than <paramref name="ageSeconds"/>. A fid that became a file only loses its tempfile row; an
    /// abandoned upload gets file_on rows for its listed devices and a delete-queue row (nexttry =
    /// now, failcount 0), so the delete worker removes whatever was written. Returns the rows reaped.
    /// </summary>
    public ValueTask<int> ReapTempfilesAsync(int ageSeconds, int limit, CancellationToken ct) =>
        WriteAsync((ageSeconds, limit), static async (s, a, ct) =>
        {
            var rows = new List<(long Fid, string? Devids)>();
            await using (var r = await s.Sql("SELECT fid, devids FROM tempfile WHERE createtime < {NOW} - @a LIMIT @n").Int("@a", a.ageSeconds).Int("@n", a.limit).ReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false)) rows.Add((StoreSession.GetInt64(r, 0) ?? 0, s.GetText(r, 1)));
            }
            foreach (var (fid, devids) in rows)
            {
                bool isFile = await s.Sql("SELECT 1 FROM file WHERE fid = @f").Int("@f", fid).ScalarInt64Async(ct).ConfigureAwait(false) != null;
                if (!isFile)
                {
                    if (devids != null && System.Text.RegularExpressions.Regex.IsMatch(devids, @"^\d+(,\d+)*$"))
                        foreach (var d in devids.Split(','))
                            if (int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out int devid))
                                await AddFileOnAsync(s, fid, devid, ct).ConfigureAwait(false);
                    await s.Sql(s.Dialect.Upsert("INSERT INTO file_to_delete2 (fid, nexttry, failcount) VALUES (@f, {NOW}, 0)", "fid", ["nexttry"], "failcount = 0"))
                        .Int("@f", fid).ExecuteAsync(ct).ConfigureAwait(false);
                }
                await s.Sql("DELETE FROM tempfile WHERE fid = @f").Int("@f", fid).ExecuteAsync(ct).ConfigureAwait(false);
            }
            return rows.Count;
        }, ct);

    // ---- reaper ---------------------------------------------------------------------------------

    /// <summary>
    /// One reaper batch for a dead device (jobs.md §8 step 4): up to <paramref name="limit"/> of its fids
    /// are queued for replication (nexttry = now + 1, insert-if-absent) and their file_on rows on that
    /// device removed, with devcount refreshed (2.73 left devcount stale). Returns the fids handled.
    /// </summary>
    public ValueTask<int> ReapDeviceBatchAsync(int devid, int limit, bool updateDevcount, CancellationToken ct) =>
        WriteAsync((devid, limit, updateDevcount), static async (s, a, ct) =>
        {
            var fids = new List<long>();
            await using (var r = await s.Sql("SELECT fid FROM file_on WHERE devid = @d LIMIT @n").Int("@d", a.devid).Int("@n", a.limit).ReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false)) fids.Add(StoreSession.GetInt64(r, 0) ?? 0);
            }
            if (fids.Count == 0) return 0;
            string ids = FidJson(fids);
            string enqueue = s.Dialect.InsertIgnore($"INSERT INTO file_to_replicate (fid, nexttry) SELECT DISTINCT v.id, {{NOW}} + 1 FROM ({s.Dialect.IdsFromJson("@ids")}) v WHERE true", "fid");
            await s.Sql(enqueue).Text("@ids", ids).ExecuteAsync(ct).ConfigureAwait(false);
            await s.Sql($"DELETE FROM file_on WHERE devid = @d AND fid IN ({s.Dialect.IdsFromJson("@ids")})").Int("@d", a.devid).Text("@ids", ids).ExecuteAsync(ct).ConfigureAwait(false);
            if (a.updateDevcount)
                await s.Sql($"UPDATE file SET devcount = (SELECT COUNT(*) FROM file_on o WHERE o.fid = file.fid) WHERE fid IN ({s.Dialect.IdsFromJson("@ids")})").Text("@ids", ids).ExecuteAsync(ct).ConfigureAwait(false);
            return fids.Count;
        }, ct);

    /// <summary>Devices currently in state dead (read straight from the database).</summary>
    public ValueTask<List<int>> GetDeadDevicesAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) =>
        {
            var list = new List<int>();
            await using var r = await s.Sql("SELECT devid FROM device WHERE status = 'dead'").ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(StoreSession.GetInt32(r, 0) ?? 0);
            return list;
        }, ct);

    // ---- named locks (schema.md §4) -------------------------------------------------------------

    private NamedLockManager? _locks;
    private readonly object _locksGate = new();

    private NamedLockManager Locks
    {
        get
        {
            lock (_locksGate) return _locks ??= new NamedLockManager(this);
        }
    }

    /// <summary>
    /// Takes the named lock <paramref name="name"/> (e.g. <c>mgfs:fid:12:replicate</c>), waiting up to
    /// <paramref name="timeout"/> (zero: one attempt). Null when not obtained. Dispose the handle to
    /// release. See <see cref="NamedLockManager"/> for how each database implements it.
    /// </summary>
    public ValueTask<NamedLock?> TryLockAsync(string name, TimeSpan timeout, CancellationToken ct) => Locks.TryAcquireAsync(name, timeout, ct);

    /// <summary>Releases every lock this store holds and closes the lock connection (tracker stop).</summary>
    public async ValueTask CloseLocksAsync()
    {
        NamedLockManager? m;
        lock (_locksGate)
        {
            m = _locks;
            _locks = null;
        }
        if (m != null) await m.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>2.73's lock id: first four bytes of MD5(name), big-endian, masked to 31 bits.</summary>
    public static int LockId(string name)
    {
        Span<byte> hash = stackalloc byte[16];
        System.Security.Cryptography.MD5.HashData(Encoding.Latin1.GetBytes(name), hash);
        return (int)(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(hash) & 0x7fffffff);
    }

    /// <summary>A held named lock; dispose to release.</summary>
    public sealed class NamedLock : IAsyncDisposable
    {
        private readonly NamedLockManager _owner;
        private int _released;

        internal NamedLock(NamedLockManager owner, string name, int lockId)
        {
            _owner = owner;
            Name = name;
            LockId = lockId;
        }

        public string Name { get; }
        public int LockId { get; }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            await _owner.ReleaseAsync(this).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Named locks for one store: the waiting and the handles here, the taking and releasing in the
    /// dialect's <see cref="Dialects.NamedLockBackend"/> (SQLite: 2.73's <c>lock</c> table; PostgreSQL:
    /// session advisory locks; MySQL: GET_LOCK, as 2.73).
    /// </summary>
    public sealed class NamedLockManager : IAsyncDisposable
    {
        private readonly Dialects.NamedLockBackend _backend;
        private volatile bool _disposed;

        internal NamedLockManager(MetadataStore store)
        {
            _backend = store.Dialect.CreateLockBackend(store);
        }

        public async ValueTask<NamedLock?> TryAcquireAsync(string name, TimeSpan timeout, CancellationToken ct)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int id = LockId(name);
            long deadline = Environment.TickCount64 + (long)Math.Max(0, timeout.TotalMilliseconds);
            int pause = 20;
            while (true)
            {
                var handle = new NamedLock(this, name, id);
                if (await _backend.TryLockAsync(handle, ct).ConfigureAwait(false)) return handle;
                long left = deadline - Environment.TickCount64;
                if (left <= 0) return null;
                await Task.Delay((int)Math.Min(left, pause), ct).ConfigureAwait(false);
                pause = Math.Min(pause * 2, 250);
            }
        }

        internal ValueTask ReleaseAsync(NamedLock l) => _backend.ReleaseAsync(l);

        public async ValueTask DisposeAsync()
        {
            _disposed = true;
            await _backend.DisposeAsync().ConfigureAwait(false);
        }
    }
}
