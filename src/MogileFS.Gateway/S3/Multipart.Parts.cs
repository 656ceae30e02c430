using System.Globalization;
using MogileFS.Gateway.Mogile;
using MogileFS.Gateway.Uploads;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway.S3;

public sealed partial class Multipart
{
    // ---- UploadPart -----------------------------------------------------------------------------

    public async Task UploadPartAsync(S3Request r)
    {
        await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        int partNumber = PartNumberOf(r);
        string uploadId = r.Q("uploadId") ?? "";
        await RequireUploadAsync(r, uploadId, open: true).ConfigureAwait(false);
        long length = objects.PayloadLength(r);
        if (length > CompleteRequest.MaxPartSize) throw S3Errors.EntityTooLarge(CompleteRequest.MaxPartSize);
        byte[]? expectedMd5 = Objects.ContentMd5(r);
        var md5 = await StorePartAsync(r, uploadId, partNumber, r.Body, length, expectedMd5).ConfigureAwait(false);
        r.Response.Headers.ETag = ObjectHeaders.Quote(md5);
        r.Response.StatusCode = 200;
    }

    /// <summary>Stores a part's bytes as a new file of the parts domain and makes it the part's current file.</summary>
    private async Task<string> StorePartAsync(S3Request r, string uploadId, int partNumber, Stream body, long length, byte[]? expectedMd5)
    {
        await EnsurePartsDomainAsync(r.Aborted).ConfigureAwait(false);
        var s = Settings;
        string partKey = PartKey(uploadId, partNumber);
        var written = await FileWriter.WriteAsync(g.Mogile, s.PartsDomain, partKey, s.PartsClass, body, length, md5: true,
            w =>
            {
                if (expectedMd5 != null && !Convert.FromHexString(w.Md5Hex!).AsSpan().SequenceEqual(expectedMd5)) throw S3Errors.BadDigest();
                return Task.CompletedTask;
            }, r.Aborted, s.Join ? opened => PartDestinations(uploadId, opened) : null, expectedMd5).ConfigureAwait(false);
        var row = new PartRow(partNumber, partKey, length, written.Md5Hex!, g.Clock.GetUtcNow().ToUnixTimeMilliseconds());
        var (outcome, replaced) = await g.Store.PutPartAsync(uploadId, row, r.Aborted).ConfigureAwait(false);
        if (outcome == PutPartOutcome.NoSuchUpload)
        {
            // Completed or aborted while the part was on its way: the file belongs to nothing.
            await DeletePartFilesAsync([partKey], CancellationToken.None).ConfigureAwait(false);
            throw S3Errors.NoSuchUpload(uploadId);
        }
        if (replaced != null) await DeletePartFilesAsync([replaced], CancellationToken.None).ConfigureAwait(false);
        return written.Md5Hex!;
    }

    /// <summary>The destinations for a part: the upload's node first when the tracker offered it (the first
    /// part to ask sets it to the tracker's first choice).</summary>
    private IReadOnlyList<OpenDestination> PartDestinations(string uploadId, OpenedFile opened)
    {
        if (opened.Destinations.Count == 0 || NodeJoin.NodeOf(opened.Destinations[0].Url) is not { } first) return opened.Destinations;
        if (_partNode.Count >= MaxPartNodeHints) _partNode.Clear();
        string node = _partNode.GetOrAdd(uploadId, first);
        var list = new List<OpenDestination>(opened.Destinations.Count);
        list.AddRange(opened.Destinations.Where(d => string.Equals(NodeJoin.NodeOf(d.Url), node, StringComparison.OrdinalIgnoreCase)));
        list.AddRange(opened.Destinations.Where(d => !string.Equals(NodeJoin.NodeOf(d.Url), node, StringComparison.OrdinalIgnoreCase)));
        return list;
    }

    /// <summary>Tests: the next part of the upload goes wherever the tracker says first.</summary>
    internal void ForgetPartNode(string uploadId) => _partNode.TryRemove(uploadId, out _);

    // ---- UploadPartCopy -------------------------------------------------------------------------

    public async Task UploadPartCopyAsync(S3Request r)
    {
        await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        int partNumber = PartNumberOf(r);
        string uploadId = r.Q("uploadId") ?? "";
        await RequireUploadAsync(r, uploadId, open: true).ConfigureAwait(false);
        var (srcBucket, srcKey) = CopySource(r.Header("x-amz-copy-source")!);
        int srcDmid = await g.Store.DomainIdAsync(srcBucket, r.Aborted).ConfigureAwait(false) ?? throw S3Errors.NoSuchBucket(srcBucket);

        for (int attempt = 0; ; attempt++)
        {
            var found = await objects.LookupAsync(srcDmid, srcKey, r.Aborted).ConfigureAwait(false) ?? throw S3Errors.NoSuchKey(srcKey);
            var (entry, meta) = found;
            if (!Conditions.Check(r, meta, "x-amz-copy-source-"))
                throw S3Errors.PreconditionFailed("x-amz-copy-source-If-Modified-Since");
            long size = entry.Length;
            var (offset, length) = CopyRange(r.Header("x-amz-copy-source-range"), size);
            if (length > CompleteRequest.MaxPartSize) throw S3Errors.EntityTooLarge(CompleteRequest.MaxPartSize);
            var paths = await objects.PathsAsync(srcBucket, srcKey, entry.Fid, r.Aborted).ConfigureAwait(false);
            if (paths.Count == 0)
            {
                if (attempt < 2) continue; // replaced or deleted meanwhile: look again
                throw S3Errors.NoSuchKey(srcKey);
            }
            string md5;
            await using (var source = new PartSource([new FileSlice(paths, entry.Fid, offset, length)], g.Mogile.Http, g.Mogile.StorageIdleTimeout))
            {
                try
                {
                    md5 = await StorePartAsync(r, uploadId, partNumber, source, length, null).ConfigureAwait(false);
                }
                catch (PartSource.SourceUnreadableException) when (attempt < 2)
                {
                    objects.ForgetPaths(entry.Fid);
                    continue;
                }
                catch (PartSource.SourceUnreadableException)
                {
                    throw S3Errors.ServiceUnavailable("No storage node holding the copy source could be read; retry later.");
                }
            }
            var xml = new XmlOut().Start("CopyPartResult", XmlOut.S3Namespace)
                .Element("LastModified", g.Clock.GetUtcNow()).Element("ETag", ObjectHeaders.Quote(md5)).End();
            await xml.SendAsync(r.Response).ConfigureAwait(false);
            return;
        }
    }

    /// <summary>Bucket and key of <c>x-amz-copy-source</c> (<c>[/]bucket/key[?versionId=…]</c>, URL-encoded).</summary>
    internal static (string Bucket, string Key) CopySource(string header)
    {
        string v = header;
        int q = v.IndexOf('?');
        if (q >= 0)
        {
            string query = v[(q + 1)..];
            v = v[..q];
            if (query.StartsWith("versionId=", StringComparison.Ordinal) && query != "versionId=null")
                throw S3Errors.InvalidArgument("This gateway keeps no object versions.", "x-amz-copy-source", header);
        }
        v = S3Request.PercentDecode(v).TrimStart('/');
        int slash = v.IndexOf('/');
        if (slash <= 0 || slash == v.Length - 1)
            throw S3Errors.InvalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", header);
        return (v[..slash], v[(slash + 1)..]);
    }

    /// <summary><c>x-amz-copy-source-range: bytes=first-last</c> (both required, inside the object) or the whole object.</summary>
    internal static (long Offset, long Length) CopyRange(string? header, long size)
    {
        if (header is null) return (0, size);
        string v = header.Trim();
        if (!v.StartsWith("bytes=", StringComparison.Ordinal)) throw BadRange(header);
        var parts = v[6..].Split('-');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long first)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long last)
            || last < first)
            throw BadRange(header);
        if (last >= size) throw S3Errors.InvalidRange(size);
        return (first, last - first + 1);

        static S3Exception BadRange(string h) =>
            S3Errors.InvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                "x-amz-copy-source-range", h);
    }

    // ---- request details ------------------------------------------------------------------------

    private static int PartNumberOf(S3Request r)
    {
        string? v = r.Q("partNumber");
        if (v is null || !int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > CompleteRequest.MaxParts)
            throw S3Errors.InvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", v);
        return n;
    }
}
