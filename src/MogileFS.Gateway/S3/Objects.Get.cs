using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using MogileFS.Gateway.Mogile;
using MogileFS.Gateway.Store;
using MogileFS.Gateway.Transport;

namespace MogileFS.Gateway.S3;

public sealed partial class Objects
{
    public Task GetObjectAsync(S3Request r) => ServeAsync(r, head: false);
    public Task HeadObjectAsync(S3Request r) => ServeAsync(r, head: true);

    internal enum ReadOutcome { Served, Gone, Unavailable }

    private async Task ServeAsync(S3Request r, bool head)
    {
        int dmid = await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        string bucket = r.Bucket!, key = r.Key!;
        for (int attempt = 0; ; attempt++)
        {
            var found = await LookupCachedAsync(bucket, dmid, key, fresh: attempt > 0, r.Aborted).ConfigureAwait(false) ?? throw S3Errors.NoSuchKey(key);
            var (e, m) = found;
            bool manifest = (m.Flags & ObjectFlags.Manifest) != 0;
            long size = manifest ? m.Size : e.Length;
            var resp = r.Response;
            if (!Conditions.Check(r, m))
            {
                resp.StatusCode = 304;
                resp.Headers.ETag = ObjectHeaders.Quote(m.ETag);
                resp.Headers.LastModified = DateTimeOffset.FromUnixTimeMilliseconds(m.MtimeMs).ToString("r", CultureInfo.InvariantCulture);
                return;
            }
            var range = Conditions.Range(r.Header("Range"), size);
            int? partsCount = null;
            if (r.Q("partNumber") is { } pn)
            {
                if (r.Header("Range") != null) throw S3Errors.InvalidRequest("Cannot specify both Range header and partNumber query parameter");
                (range, partsCount) = await PartRangeAsync(e, pn, size, r.Aborted).ConfigureAwait(false);
            }
            resp.Headers.Clear();
            ObjectHeaders.Write(r, m);
            if (partsCount is { } pc) resp.Headers["x-amz-mp-parts-count"] = pc.ToString(CultureInfo.InvariantCulture);
            if (manifest && !head)
            {
                if (ServeManifest is null) throw S3Errors.NotImplemented("GET of a multipart object");
                await ServeManifest(r, e, m, range).ConfigureAwait(false);
                return;
            }
            SetLength(r, range, size);
            if (head || size == 0 || range is { Length: 0 }) return;
            var (offset, length) = range ?? (0, size);
            var outcome = await StreamFileAsync(r, bucket, key, e.Fid, offset, length, size).ConfigureAwait(false);
            if (outcome == ReadOutcome.Served) return;
            g.Cache.Forget(bucket, key, e.Fid);
            if (outcome == ReadOutcome.Gone && attempt < 2) continue; // overwritten or deleted meanwhile: look again
            throw S3Errors.ServiceUnavailable("No storage node holding the object could be read; retry later.");
        }
    }

    /// <summary>
    /// The byte range of <c>?partNumber=N</c>: part N of a multipart object (with its number of parts), or, as S3, the
    /// whole object for part 1 of any other object. Parts past the last are InvalidPartNumber (416).
    /// </summary>
    private async Task<((long Offset, long Length)? Range, int? Count)> PartRangeAsync(ObjectEntry e, string value, long size, CancellationToken ct)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > 10000)
            throw S3Errors.InvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", value);
        var (count, part) = await g.Store.PartLayoutAsync(e.Fid, n, ct).ConfigureAwait(false);
        if (count == 0)
        {
            if (n != 1) throw InvalidPartNumber();
            return (size == 0 ? null : (0, size), null);
        }
        if (part is not { } p) throw InvalidPartNumber();
        return ((p.Offset, p.Size), count);

        static S3Exception InvalidPartNumber() => new(416, "InvalidPartNumber", "The requested partnumber is not satisfiable");
    }

    /// <summary>Sets status, Content-Length and Content-Range for a (ranged) answer.</summary>
    public static void SetLength(S3Request r, (long Offset, long Length)? range, long size)
    {
        var resp = r.Response;
        if (range is { } rg)
        {
            resp.StatusCode = 206;
            resp.ContentLength = rg.Length;
            resp.Headers.ContentRange = $"bytes {rg.Offset}-{rg.Offset + rg.Length - 1}/{size}";
        }
        else
        {
            resp.StatusCode = 200;
            resp.ContentLength = size;
        }
    }

    /// <summary>
    /// Streams bytes [offset, offset+length) of file <paramref name="fid"/> into the response (status and headers
    /// already set). Tries the copies in order; a copy that fails part-way is resumed on the next one from the same
    /// offset. If every copy fails after bytes were sent, the connection is cut so the client sees a short body.
    /// </summary>
    internal async Task<ReadOutcome> StreamFileAsync(S3Request r, string bucket, string key, long fid, long offset, long length, long fileSize)
    {
        var ct = r.Aborted;
        var cache = g.Cache;
        if (cache.Content(fid) is { } cached && cached.Length == fileSize)
        {
            await r.Response.Body.WriteAsync(cached.AsMemory((int)offset, (int)length), ct).ConfigureAwait(false);
            return ReadOutcome.Served;
        }
        var paths = await PathsAsync(bucket, key, fid, ct).ConfigureAwait(false);
        if (paths.Count == 0) return ReadOutcome.Gone;
        // A small file is read whole (whatever the range) and kept: its bytes never change.
        bool keep = fileSize > 0 && fileSize <= cache.MaxContentObject;
        long from = keep ? 0 : offset, want = keep ? fileSize : length;
        long sent = 0;
        int missing = 0;
        byte[]? buffer = null;
        var local = g.Mogile.Local;
        foreach (var url in paths)
        {
            if (local != null)
            {
                // A copy on this host is read from its docroot; if that fails (no file, another length, an error)
                // the node is asked over HTTP as for any other copy, so a wrong mapping costs speed, not reads.
                var result = local.Open(url, fileSize, out var file, out var why);
                if (result is LocalStorage.Result.Missing or LocalStorage.Result.Failed)
                    GatewayLog.LocalCopyFailed(g.Log, url, why!);
                else if (result == LocalStorage.Result.Opened)
                {
                    if (!keep)
                    {
                        await SpliceBody.SendAsync(r.Http, file!, from + sent, want - sent, ct).ConfigureAwait(false);
                        return ReadOutcome.Served;
                    }
                    bool ok;
                    using (file)
                    {
                        buffer ??= new byte[fileSize];
                        ok = ReadWhole(file!, buffer, sent);
                    }
                    if (ok)
                    {
                        cache.AddContent(fid, buffer);
                        await r.Response.Body.WriteAsync(buffer.AsMemory((int)offset, (int)length), ct).ConfigureAwait(false);
                        return ReadOutcome.Served;
                    }
                    GatewayLog.LocalCopyFailed(g.Log, url, "local file ended early");
                }
            }
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
            idle.CancelAfter(g.Mogile.StorageIdleTimeout);
            HttpResponseMessage? res = null;
            try
            {
                res = await SendRangeAsync(url, from + sent, want - sent, fileSize, idle.Token).ConfigureAwait(false);
                if (res.StatusCode == HttpStatusCode.NotFound)
                {
                    missing++;
                    GatewayLog.StorageFailed(g.Log, url, "404 (file gone)");
                    continue;
                }
                if (!IsExpected(res, from + sent, want - sent))
                {
                    GatewayLog.StorageFailed(g.Log, url, $"{(int)res.StatusCode} or unexpected length");
                    continue;
                }
                await using var body = await res.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
                if (keep) buffer ??= new byte[fileSize];
                // Larger files go straight from the node's socket into the response's own buffers
                // (Kestrel's PipeWriter memory): one copy in user space less than read-then-write.
                var writer = r.Response.BodyWriter;
                int chunk = length >= 4 << 20 ? 256 * 1024 : 64 * 1024;
                while (sent < want)
                {
                    int n;
                    Memory<byte> into;
                    try
                    {
                        idle.CancelAfter(g.Mogile.StorageIdleTimeout);
                        into = keep ? buffer!.AsMemory((int)sent) : writer.GetMemory(chunk);
                        if (into.Length > want - sent) into = into[..(int)(want - sent)];
                        n = await body.ReadAsync(into, idle.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException or HttpRequestException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
                    {
                        GatewayLog.StorageFailed(g.Log, url, ex.Message);
                        break;
                    }
                    if (n == 0) break;
                    if (!keep)
                    {
                        writer.Advance(n);
                        var flushed = await writer.FlushAsync(ct).ConfigureAwait(false);
                        if (flushed.IsCanceled) throw new OperationCanceledException(ct);
                    }
                    sent += n;
                }
                if (sent == want)
                {
                    if (keep)
                    {
                        cache.AddContent(fid, buffer!);
                        await r.Response.Body.WriteAsync(buffer!.AsMemory((int)offset, (int)length), ct).ConfigureAwait(false);
                    }
                    return ReadOutcome.Served;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                GatewayLog.StorageFailed(g.Log, url, ex.Message);
            }
            finally
            {
                res?.Dispose();
            }
        }
        ForgetPaths(fid);
        if ((!keep && sent > 0) || r.Response.HasStarted)
        {
            r.Http.Abort(); // never let a short body look whole
            return ReadOutcome.Served;
        }
        return missing == paths.Count ? ReadOutcome.Gone : ReadOutcome.Unavailable;
    }

    /// <summary>Reads a small local file into <paramref name="buffer"/> from <paramref name="from"/> on; false if it ends early.</summary>
    private static bool ReadWhole(FileStream file, byte[] buffer, long from)
    {
        try
        {
            for (long at = from; at < buffer.Length;)
            {
                int n = RandomAccess.Read(file.SafeFileHandle, buffer.AsSpan((int)at), at);
                if (n == 0) return false;
                at += n;
            }
            return true;
        }
        catch (IOException) { return false; }
    }

    /// <summary>GETs a byte range of a file; the whole file (no Range header) is a plain GET, which storage nodes serve fastest.</summary>
    private async Task<HttpResponseMessage> SendRangeAsync(string url, long offset, long length, long fileSize, CancellationToken ct)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, url);
        if (offset != 0 || length != fileSize) req.Headers.Range = new RangeHeaderValue(offset, offset + length - 1);
        return await g.Mogile.Http.SendAsync(req, ct).ConfigureAwait(false);
    }

    private static bool IsExpected(HttpResponseMessage res, long offset, long length)
    {
        var cl = res.Content.Headers.ContentLength;
        if (res.StatusCode == HttpStatusCode.PartialContent)
            return res.Content.Headers.ContentRange?.From == offset && (cl is null || cl == length);
        // A node that ignores Range sends the whole file: fine only when that is what was asked for.
        return res.StatusCode == HttpStatusCode.OK && offset == 0 && (cl is null || cl == length);
    }

    /// <summary>
    /// Opens bytes [offset, offset+length) of an object for reading (copy sources): the first copy that answers.
    /// Throws NoSuchKey when the file is gone, ServiceUnavailable when no copy can be read.
    /// </summary>
    public async Task<Stream> OpenReadAsync(string bucket, string key, ObjectEntry e, ObjectMeta m, long offset, long length, CancellationToken ct)
    {
        if ((m.Flags & ObjectFlags.Manifest) != 0)
        {
            if (OpenManifest is null) throw S3Errors.NotImplemented("reading a multipart object");
            return await OpenManifest(bucket, e, offset, length, ct).ConfigureAwait(false);
        }
        if (length == 0) return Stream.Null;
        var paths = await PathsAsync(bucket, key, e.Fid, ct).ConfigureAwait(false);
        int missing = 0;
        foreach (var url in paths)
        {
            HttpResponseMessage? res = null;
            try
            {
                res = await SendRangeAsync(url, offset, length, e.Length, ct).ConfigureAwait(false);
                if (res.StatusCode == HttpStatusCode.NotFound) { missing++; res.Dispose(); continue; }
                if (!IsExpected(res, offset, length)) { res.Dispose(); continue; }
                var body = await res.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                return new OwningStream(body, res);
            }
            catch (HttpRequestException ex)
            {
                res?.Dispose();
                GatewayLog.StorageFailed(g.Log, url, ex.Message);
            }
        }
        ForgetPaths(e.Fid);
        if (paths.Count == 0 || missing == paths.Count) throw S3Errors.NoSuchKey(key);
        throw S3Errors.ServiceUnavailable("No storage node holding the source object could be read; retry later.");
    }

    /// <summary>A response body that disposes its response with it.</summary>
    private sealed class OwningStream(Stream inner, IDisposable owner) : ReadOnlyStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(buffer, ct);
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        protected override void Dispose(bool disposing)
        {
            if (disposing) { inner.Dispose(); owner.Dispose(); }
            base.Dispose(disposing);
        }
    }
}
