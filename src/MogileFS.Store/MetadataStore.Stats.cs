namespace MogileFS.Store;

/// <summary>Files of one (domain, class) with the same devcount: how many and their total length.</summary>
public readonly record struct FileCountRow(int DomainId, int ClassId, int DevCount, long Files, long Bytes);

/// <summary>Rows of the work queues (file_to_replicate, file_to_delete2, file_to_queue by type).</summary>
public sealed record QueueDepths(long Replicate, long ReplicateDue, long Delete, long DeleteDue, IReadOnlyDictionary<int, long> FileQueueByType);

// Aggregates for metrics and dashboards (docs/metrics.md): read by a periodic sampler, never per
// request. The file count is a full scan of table file grouped by (dmid, classid, devcount), so
// the caller decides how often it may run.
public abstract partial class MetadataStore
{
    /// <summary>Files and bytes per (domain, class, devcount).</summary>
    public ValueTask<List<FileCountRow>> GetFileCountsAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) =>
        {
            var rows = new List<FileCountRow>();
            await using var r = await s.Sql("SELECT dmid, classid, devcount, COUNT(*), SUM(length) FROM file GROUP BY dmid, classid, devcount")
                .ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                rows.Add(new FileCountRow(StoreSession.GetInt32(r, 0) ?? 0, StoreSession.GetInt32(r, 1) ?? 0, StoreSession.GetInt32(r, 2) ?? 0,
                    StoreSession.GetInt64(r, 3) ?? 0, StoreSession.GetInt64(r, 4) ?? 0));
            return rows;
        }, ct);

    /// <summary>Queue depths: all rows and rows already due (nexttry &lt;= now); file_to_queue by type.</summary>
    public ValueTask<QueueDepths> GetQueueDepthsAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) =>
        {
            async Task<(long All, long Due)> CountAsync(string table)
            {
                await using var r = await s.Sql($"SELECT COUNT(*), COALESCE(SUM(CASE WHEN nexttry <= {{NOW}} THEN 1 ELSE 0 END), 0) FROM {table}")
                    .ReaderAsync(ct).ConfigureAwait(false);
                return await r.ReadAsync(ct).ConfigureAwait(false) ? (StoreSession.GetInt64(r, 0) ?? 0, StoreSession.GetInt64(r, 1) ?? 0) : (0, 0);
            }
            var repl = await CountAsync("file_to_replicate").ConfigureAwait(false);
            var del = await CountAsync("file_to_delete2").ConfigureAwait(false);
            var byType = new Dictionary<int, long>();
            await using (var r = await s.Sql("SELECT type, COUNT(*) FROM file_to_queue GROUP BY type").ReaderAsync(ct).ConfigureAwait(false))
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                    byType[StoreSession.GetInt32(r, 0) ?? 0] = StoreSession.GetInt64(r, 1) ?? 0;
            return new QueueDepths(repl.All, repl.Due, del.All, del.Due, byType);
        }, ct);
}
