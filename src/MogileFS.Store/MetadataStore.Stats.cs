namespace MogileFS.Store;

/// <summary>Files of one (domain, class, devcount) group: how many and their total length.</summary>
public readonly record struct FileCountRow(int DomainId, int ClassId, int DevCount, long Files, long Bytes);

public abstract partial class MetadataStore
{
    /// <summary>
    /// Files and bytes per domain, class and devcount in one pass over <c>file</c> (what mogstats'
    /// "files" and "replication" sections count). It reads every file row, so callers cache it
    /// (the dashboard refreshes it at most every few seconds and only while someone looks).
    /// </summary>
    public ValueTask<List<FileCountRow>> GetFileCountsAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) =>
        {
            var list = new List<FileCountRow>();
            await using var r = await s.Sql("SELECT dmid, classid, devcount, COUNT(*), SUM(length) FROM file GROUP BY dmid, classid, devcount")
                .ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                list.Add(new FileCountRow(StoreSession.GetInt32(r, 0) ?? 0, StoreSession.GetInt32(r, 1) ?? 0, StoreSession.GetInt32(r, 2) ?? 0,
                    StoreSession.GetInt64(r, 3) ?? 0, StoreSession.GetInt64(r, 4) ?? 0));
            return list;
        }, ct);
}
