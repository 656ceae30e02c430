using MogileFS.Store;

namespace MogileFS.Gateway.Store;

/// <summary>A multipart upload in progress (a row of <c>s3_upload</c>).</summary>
public sealed record UploadRow(string UploadId, string Bucket, string Key, string? Class, string? ContentType, string? Meta,
    long InitiatedMs, int State, long StateTimeMs);

/// <summary>The current file of one part (a row of <c>s3_upload_part</c>).</summary>
public sealed record PartRow(int PartNumber, string PartKey, long Size, string ETag, long MtimeMs);

/// <summary>Outcome of recording a part.</summary>
public enum PutPartOutcome
{
    /// <summary>The part is recorded.</summary>
    Stored,
    /// <summary>The upload does not exist or is no longer open (completed, aborted, being completed).</summary>
    NoSuchUpload,
}

// Queries of the multipart tables (schema: GatewayStore.MultipartSchema.cs). Every change that
// must not interleave with a completion first touches the upload's row with
// "UPDATE ... WHERE state = 0": on PostgreSQL and MySQL that takes the row lock a concurrent
// CompleteMultipartUpload's claim also takes, on SQLite writes are serial anyway. So once a
// completion holds its claim, no part it is about to read can be replaced or deleted under it.
public sealed partial class GatewayStore
{
    public ValueTask CreateUploadAsync(UploadRow u, CancellationToken ct) =>
        _db.WriteAsync(u, static async (s, u, ct) =>
        {
            await s.Sql("INSERT INTO s3_upload (upload_id, bucket, dkey, class, content_type, meta, initiated, state, state_time) " +
                        "VALUES (CAST(@u AS TEXT), CAST(@b AS TEXT), CAST(@k AS TEXT), CAST(@c AS TEXT), CAST(@t AS TEXT), CAST(@m AS TEXT), @i, 0, 0)")
                .Text("@u", u.UploadId).Text("@b", B(u.Bucket)).Text("@k", B(u.Key)).Text("@c", u.Class is { } c ? B(c) : null)
                .Text("@t", u.ContentType is { } t ? B(t) : null).Text("@m", u.Meta is { } m ? B(m) : null).Int("@i", u.InitiatedMs)
                .ExecuteAsync(ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    private const string UploadColumns = "upload_id, bucket, dkey, class, content_type, meta, initiated, state, state_time";

    private static UploadRow ReadUpload(StoreSession s, System.Data.Common.DbDataReader r) =>
        new(s.GetText(r, 0) ?? "", T(s.GetText(r, 1) ?? ""), T(s.GetText(r, 2) ?? ""),
            s.GetText(r, 3) is { } c ? T(c) : null, s.GetText(r, 4) is { } t ? T(t) : null, s.GetText(r, 5) is { } m ? T(m) : null,
            StoreSession.GetInt64(r, 6) ?? 0, StoreSession.GetInt32(r, 7) ?? 0, StoreSession.GetInt64(r, 8) ?? 0);

    public ValueTask<UploadRow?> GetUploadAsync(string uploadId, CancellationToken ct) =>
        _db.ReadAsync(uploadId, static async (s, id, ct) =>
        {
            await using var r = await s.Sql($"SELECT {UploadColumns} FROM s3_upload WHERE upload_id = CAST(@u AS TEXT)")
                .Text("@u", id).ReaderAsync(ct).ConfigureAwait(false);
            return await r.ReadAsync(ct).ConfigureAwait(false) ? ReadUpload(s, r) : null;
        }, ct);

    /// <summary>
    /// Makes <paramref name="part"/> the current file of its part number, if the upload is still open.
    /// Returns the part key it replaced (whose file the caller deletes), if any.
    /// </summary>
    public ValueTask<(PutPartOutcome Outcome, string? Replaced)> PutPartAsync(string uploadId, PartRow part, CancellationToken ct) =>
        _db.WriteAsync((uploadId, part), static async (s, a, ct) =>
        {
            int open = await s.Sql("UPDATE s3_upload SET state = state WHERE upload_id = CAST(@u AS TEXT) AND state = 0")
                .Text("@u", a.uploadId).ExecuteAsync(ct).ConfigureAwait(false);
            if (open == 0) return (PutPartOutcome.NoSuchUpload, (string?)null);
            string? old = await s.Sql("SELECT part_key FROM s3_upload_part WHERE upload_id = CAST(@u AS TEXT) AND part_number = @n")
                .Text("@u", a.uploadId).Int("@n", a.part.PartNumber).ScalarTextAsync(ct).ConfigureAwait(false);
            if (old != null)
                await s.Sql("DELETE FROM s3_upload_part WHERE upload_id = CAST(@u AS TEXT) AND part_number = @n")
                    .Text("@u", a.uploadId).Int("@n", a.part.PartNumber).ExecuteAsync(ct).ConfigureAwait(false);
            await s.Sql("INSERT INTO s3_upload_part (upload_id, part_number, part_key, size, etag, mtime) " +
                        "VALUES (CAST(@u AS TEXT), @n, CAST(@k AS TEXT), @s, CAST(@e AS TEXT), @t)")
                .Text("@u", a.uploadId).Int("@n", a.part.PartNumber).Text("@k", B(a.part.PartKey)).Int("@s", a.part.Size)
                .Text("@e", a.part.ETag).Int("@t", a.part.MtimeMs).ExecuteAsync(ct).ConfigureAwait(false);
            return (PutPartOutcome.Stored, old is null ? null : T(old));
        }, ct);

    /// <summary>Parts with numbers above <paramref name="afterPart"/>, in order, at most <paramref name="limit"/>.</summary>
    public ValueTask<List<PartRow>> ListPartsAsync(string uploadId, int afterPart, int limit, CancellationToken ct) =>
        _db.ReadAsync((uploadId, afterPart, limit), static async (s, a, ct) =>
        {
            var list = new List<PartRow>();
            await using var r = await s.Sql("SELECT part_number, part_key, size, etag, mtime FROM s3_upload_part " +
                                            "WHERE upload_id = CAST(@u AS TEXT) AND part_number > @p ORDER BY part_number LIMIT @n")
                .Text("@u", a.uploadId).Int("@p", a.afterPart).Int("@n", a.limit).ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                list.Add(new PartRow(StoreSession.GetInt32(r, 0) ?? 0, T(s.GetText(r, 1) ?? ""), StoreSession.GetInt64(r, 2) ?? 0,
                    s.GetText(r, 3) ?? "", StoreSession.GetInt64(r, 4) ?? 0));
            return list;
        }, ct);

    /// <summary>
    /// Claims the upload for completion: true when it was open (or its previous claim is older than
    /// <paramref name="staleBeforeMs"/>, i.e. the gateway that held it died).
    /// </summary>
    public ValueTask<bool> ClaimUploadAsync(string uploadId, long nowMs, long staleBeforeMs, CancellationToken ct) =>
        _db.WriteAsync((uploadId, nowMs, staleBeforeMs), static async (s, a, ct) =>
            await s.Sql("UPDATE s3_upload SET state = 1, state_time = @now WHERE upload_id = CAST(@u AS TEXT) AND (state = 0 OR state_time < @stale)")
                .Text("@u", a.uploadId).Int("@now", a.nowMs).Int("@stale", a.staleBeforeMs).ExecuteAsync(ct).ConfigureAwait(false) == 1, ct);

    /// <summary>Keeps a claim fresh during a long completion.</summary>
    public ValueTask RenewClaimAsync(string uploadId, long nowMs, CancellationToken ct) =>
        _db.WriteAsync((uploadId, nowMs), static async (s, a, ct) =>
            await s.Sql("UPDATE s3_upload SET state_time = @now WHERE upload_id = CAST(@u AS TEXT) AND state = 1")
                .Text("@u", a.uploadId).Int("@now", a.nowMs).ExecuteAsync(ct).ConfigureAwait(false), ct).AsValueTaskVoid();

    /// <summary>Opens the upload again after a completion that failed (the client may retry it).</summary>
    public ValueTask ReleaseClaimAsync(string uploadId, CancellationToken ct) =>
        _db.WriteAsync(uploadId, static async (s, id, ct) =>
            await s.Sql("UPDATE s3_upload SET state = 0, state_time = 0 WHERE upload_id = CAST(@u AS TEXT)")
                .Text("@u", id).ExecuteAsync(ct).ConfigureAwait(false), ct).AsValueTaskVoid();

    /// <summary>
    /// Removes the upload and its part rows and returns the part keys (whose files the caller deletes).
    /// With <paramref name="onlyIfOpen"/> (abort) nothing happens and null is returned when a
    /// completion holds a fresh claim on it; a missing upload also gives null.
    /// </summary>
    public ValueTask<List<string>?> RemoveUploadAsync(string uploadId, bool onlyIfOpen, long staleBeforeMs, CancellationToken ct) =>
        _db.WriteAsync((uploadId, onlyIfOpen, staleBeforeMs), static async (s, a, ct) =>
        {
            string cond = a.onlyIfOpen ? " AND (state = 0 OR state_time < @stale)" : "";
            int n = await s.Sql("DELETE FROM s3_upload WHERE upload_id = CAST(@u AS TEXT)" + cond)
                .Text("@u", a.uploadId).Int("@stale", a.staleBeforeMs).ExecuteAsync(ct).ConfigureAwait(false);
            if (n == 0) return null;
            var keys = new List<string>();
            await using (var r = await s.Sql("SELECT part_key FROM s3_upload_part WHERE upload_id = CAST(@u AS TEXT)")
                .Text("@u", a.uploadId).ReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false)) keys.Add(T(s.GetText(r, 0) ?? ""));
            }
            await s.Sql("DELETE FROM s3_upload_part WHERE upload_id = CAST(@u AS TEXT)").Text("@u", a.uploadId)
                .ExecuteAsync(ct).ConfigureAwait(false);
            return keys;
        }, ct);

    /// <summary>
    /// Uploads of a bucket in (key, upload id) order after the markers, whose key starts with
    /// <paramref name="prefix"/>; at most <paramref name="limit"/>.
    /// </summary>
    public ValueTask<List<UploadRow>> ListUploadsAsync(string bucket, string prefix, string keyMarker, string uploadIdMarker, int limit,
        CancellationToken ct) =>
        _db.ReadAsync((b: B(bucket), p: B(prefix), km: B(keyMarker), uploadIdMarker, limit, self: this), static async (s, a, ct) =>
        {
            string c = a.self.C;
            // After (key, id) > (marker key, marker id); with no id marker, every upload of the marker key is skipped (as S3).
            string after = a.km.Length == 0 ? "" : a.uploadIdMarker.Length == 0
                ? $" AND dkey{c} > CAST(@km AS TEXT){c}"
                : $" AND (dkey{c} > CAST(@km AS TEXT){c} OR (dkey = CAST(@km AS TEXT) AND upload_id{c} > CAST(@um AS TEXT){c}))";
            string prefixCond = a.p.Length == 0 ? "" : $" AND dkey{c} >= CAST(@p AS TEXT){c}";
            var list = new List<UploadRow>();
            await using var r = await s.Sql($"SELECT {UploadColumns} FROM s3_upload WHERE bucket = CAST(@b AS TEXT){after}{prefixCond} " +
                                            $"ORDER BY dkey{c}, upload_id{c} LIMIT @n")
                .Text("@b", a.b).Text("@km", a.km).Text("@um", a.uploadIdMarker).Text("@p", a.p).Int("@n", a.limit)
                .ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var u = ReadUpload(s, r);
                if (!u.Key.StartsWith(prefix(a.p), StringComparison.Ordinal)) break; // past the prefix range
                list.Add(u);
            }
            return list;

            static string prefix(string bytes) => T(bytes);
        }, ct);

    /// <summary>Uploads initiated before <paramref name="beforeMs"/> (for expiry), at most <paramref name="limit"/>.</summary>
    public ValueTask<List<UploadRow>> UploadsInitiatedBeforeAsync(long beforeMs, int limit, CancellationToken ct) =>
        _db.ReadAsync((beforeMs, limit), static async (s, a, ct) =>
        {
            var list = new List<UploadRow>();
            await using var r = await s.Sql($"SELECT {UploadColumns} FROM s3_upload WHERE initiated < @t ORDER BY initiated LIMIT @n")
                .Int("@t", a.beforeMs).Int("@n", a.limit).ReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(ReadUpload(s, r));
            return list;
        }, ct);

    // ---- part layout of completed objects -----------------------------------------------------

    /// <summary>Records the part sizes of a completed multipart object (its new fid), in one transaction.</summary>
    public ValueTask PutPartLayoutAsync(long fid, IReadOnlyList<long> partSizes, CancellationToken ct) =>
        _db.WriteAsync((fid, partSizes), static async (s, a, ct) =>
        {
            await s.Sql("DELETE FROM s3_object_part WHERE fid = @f").Int("@f", a.fid).ExecuteAsync(ct).ConfigureAwait(false);
            long offset = 0;
            for (int i = 0; i < a.partSizes.Count; i++)
            {
                await s.Sql("INSERT INTO s3_object_part (fid, part_number, part_offset, part_size) VALUES (@f, @n, @o, @s)")
                    .Int("@f", a.fid).Int("@n", i + 1).Int("@o", offset).Int("@s", a.partSizes[i]).ExecuteAsync(ct).ConfigureAwait(false);
                offset += a.partSizes[i];
            }
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>Part <paramref name="partNumber"/> of a completed multipart object and its number of parts; Count 0
    /// when no layout is recorded for the fid (not a multipart object); Part null when the number is past the last.</summary>
    public ValueTask<(int Count, (long Offset, long Size)? Part)> PartLayoutAsync(long fid, int partNumber, CancellationToken ct) =>
        _db.ReadAsync((fid, partNumber), static async (s, a, ct) =>
        {
            long count = await s.Sql("SELECT COUNT(*) FROM s3_object_part WHERE fid = @f").Int("@f", a.fid).ScalarInt64Async(ct).ConfigureAwait(false) ?? 0;
            if (count == 0) return (0, null);
            await using var r = await s.Sql("SELECT part_offset, part_size FROM s3_object_part WHERE fid = @f AND part_number = @n")
                .Int("@f", a.fid).Int("@n", a.partNumber).ReaderAsync(ct).ConfigureAwait(false);
            (long, long)? part = await r.ReadAsync(ct).ConfigureAwait(false)
                ? (StoreSession.GetInt64(r, 0) ?? 0, StoreSession.GetInt64(r, 1) ?? 0) : null;
            return ((int)count, part);
        }, ct);
}
