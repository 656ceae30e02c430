namespace MogileFS.Store;

/// <summary>A queue row as file_debug shows it: column name → value (null for SQL NULL), in column order.</summary>
public sealed record QueueRow(IReadOnlyList<KeyValuePair<string, string?>> Columns);

// Work queues (schema.md §3.9-§3.11, §6). Timestamps use the database clock ({NOW}).
public abstract partial class MetadataStore
{
    /// <summary>"End of time": replication rows parked for manual action.</summary>
    public const long EndOfTime = 2147483647;

    /// <summary>Queue type of file_to_queue rows (stored numbers, never change).</summary>
    public const int FsckQueue = 1, RebalanceQueue = 2;

    /// <summary>Insert-if-absent into file_to_replicate with nexttry = 0 (urgent) or now + <paramref name="inSeconds"/>.</summary>
    internal static ValueTask<int> EnqueueReplicationAsync(StoreSession s, long fid, int inSeconds, CancellationToken ct) =>
        inSeconds <= 0
            ? new(s.Sql(s.Dialect.InsertIgnore("INSERT INTO file_to_replicate (fid, fromdevid, nexttry) VALUES (@f, NULL, 0)", "fid")).Int("@f", fid).ExecuteAsync(ct))
            : new(s.Sql(s.Dialect.InsertIgnore("INSERT INTO file_to_replicate (fid, fromdevid, nexttry) VALUES (@f, NULL, {NOW} + @s)", "fid")).Int("@f", fid).Int("@s", inSeconds).ExecuteAsync(ct));

    /// <summary>Insert-if-absent into file_to_delete2 with nexttry = now.</summary>
    internal static ValueTask<int> EnqueueDeleteAsync(StoreSession s, long fid, CancellationToken ct) =>
        new(s.Sql(s.Dialect.InsertIgnore("INSERT INTO file_to_delete2 (fid, nexttry) VALUES (@f, {NOW})", "fid")).Int("@f", fid).ExecuteAsync(ct));

    /// <summary>replicate_now: every replication row whose next try lies in the future becomes due now. Returns the count.</summary>
    public ValueTask<int> ReplicateNowAsync(CancellationToken ct) =>
        WriteAsync(static async (s, ct) =>
            await s.Sql("UPDATE file_to_replicate SET nexttry = {NOW} WHERE nexttry > {NOW}").ExecuteAsync(ct).ConfigureAwait(false), ct);

    private static async ValueTask<QueueRow?> ReadQueueRowAsync(StoreCommand cmd, StoreSession s, CancellationToken ct)
    {
        await using var r = await cmd.ReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
        var cols = new List<KeyValuePair<string, string?>>(r.FieldCount);
        for (int i = 0; i < r.FieldCount; i++)
        {
            string? v = r.IsDBNull(i) ? null
                : r.GetFieldType(i) == typeof(string) ? s.GetText(r, i)
                : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
            cols.Add(new(r.GetName(i), v));
        }
        return new QueueRow(cols);
    }

    /// <summary>
    /// Everything file_debug shows besides the file row, read on one connection: temp file row
    /// (without createtime), replication, deletion, rebalance and fsck queue rows, replica devids and checksum.
    /// </summary>
    public ValueTask<FidDebugInfo> GetFidDebugAsync(long fid, CancellationToken ct) =>
        ReadAsync(fid, static async (s, fid, ct) =>
        {
            var temp = await ReadQueueRowAsync(s.Sql("SELECT classid, dmid, dkey, devids FROM tempfile WHERE fid = @f").Int("@f", fid), s, ct).ConfigureAwait(false);
            var repl = await ReadQueueRowAsync(s.Sql("SELECT fid, nexttry, fromdevid, failcount, flags FROM file_to_replicate WHERE fid = @f").Int("@f", fid), s, ct).ConfigureAwait(false);
            var del = await ReadQueueRowAsync(s.Sql("SELECT fid, nexttry, failcount FROM file_to_delete2 WHERE fid = @f").Int("@f", fid), s, ct).ConfigureAwait(false);
            var reb = await ReadQueueRowAsync(s.Sql("SELECT fid, devid, type, nexttry, failcount, flags, arg FROM file_to_queue WHERE fid = @f AND type = @t").Int("@f", fid).Int("@t", RebalanceQueue), s, ct).ConfigureAwait(false);
            var fsck = await ReadQueueRowAsync(s.Sql("SELECT fid, devid, type, nexttry, failcount, flags, arg FROM file_to_queue WHERE fid = @f AND type = @t").Int("@f", fid).Int("@t", FsckQueue), s, ct).ConfigureAwait(false);
            var devids = await LoadDevidsAsync(s, fid, ct).ConfigureAwait(false);
            (MogileFS.Core.Model.HashType, byte[])? sum = null;
            await using (var r = await s.Sql("SELECT hashtype, checksum FROM checksum WHERE fid = @f").Int("@f", fid).ReaderAsync(ct).ConfigureAwait(false))
            {
                if (await r.ReadAsync(ct).ConfigureAwait(false))
                    sum = ((MogileFS.Core.Model.HashType)(StoreSession.GetInt32(r, 0) ?? 0), (byte[])r.GetValue(1));
            }
            return new FidDebugInfo(temp, repl, del, reb, fsck, devids, sum);
        }, ct);
}

/// <summary>What <see cref="MetadataStore.GetFidDebugAsync"/> returns.</summary>
public sealed record FidDebugInfo(QueueRow? Tempfile, QueueRow? Replicate, QueueRow? Delete, QueueRow? Rebalance, QueueRow? Fsck,
    List<int> DevIds, (MogileFS.Core.Model.HashType Type, byte[] Digest)? Checksum);
