using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using MogileFS.Client;
using MogileFS.Gateway.Auth;
using MogileFS.Gateway.Mogile;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway.S3;

/// <summary>What to store: a stream of exactly <see cref="Length"/> bytes and the S3 facts to keep with it.</summary>
public sealed record StoreRequest(string Bucket, int Dmid, string Key, Stream Source, long Length)
{
    public string? Class { get; init; }
    public string? ContentType { get; init; }
    public string? Meta { get; init; }
    public byte[]? ContentMd5 { get; init; }
    public int Flags { get; init; }
    /// <summary>The ETag to record instead of the MD5 of the bytes (multipart manifests).</summary>
    public string? ETag { get; init; }
    /// <summary>The size to record instead of <see cref="Length"/> (multipart manifests: the assembled size).</summary>
    public long? Size { get; init; }
}

public sealed partial class Objects
{
    public async Task PutObjectAsync(S3Request r)
    {
        int dmid = await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        CheckKey(r.Key!);
        long length = PayloadLength(r);
        var meta = await StoreAsync(new StoreRequest(r.Bucket!, dmid, r.Key!, r.Body, length)
        {
            Class = ClassOf(r),
            ContentType = r.Request.ContentType,
            Meta = ObjectHeaders.FromRequest(r.Request),
            ContentMd5 = ContentMd5(r),
        }, r.Aborted).ConfigureAwait(false);
        r.Response.Headers.ETag = ObjectHeaders.Quote(meta.ETag);
        r.Response.StatusCode = 200;
    }

    /// <summary>The payload's length: x-amz-decoded-content-length for aws-chunked bodies, else Content-Length.
    /// Checked against the size limit.</summary>
    public long PayloadLength(S3Request r)
    {
        long? length = r.Body is AwsChunkedStream chunked ? chunked.DecodedLength : r.Request.ContentLength;
        if (length is null) throw S3Errors.MissingContentLength();
        if (length > g.Options.MaxObjectSize) throw S3Errors.EntityTooLarge(g.Options.MaxObjectSize);
        return length.Value;
    }

    /// <summary>The MogileFS class for a new object: x-amz-storage-class when it names one (AWS's own class names
    /// mean the default), else the configured default class, else the domain's default.</summary>
    public string? ClassOf(S3Request r)
    {
        var sc = r.Header("x-amz-storage-class");
        if (string.IsNullOrEmpty(sc) || AwsStorageClasses.Contains(sc)) return g.Options.DefaultClass;
        return sc;
    }

    private static readonly HashSet<string> AwsStorageClasses = new(StringComparer.Ordinal)
    {
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
        "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE",
    };

    /// <summary>The decoded Content-MD5 header, or InvalidDigest.</summary>
    public static byte[]? ContentMd5(S3Request r)
    {
        var v = r.Header("Content-MD5");
        if (v is null) return null;
        try
        {
            var md5 = Convert.FromBase64String(v.Trim());
            if (md5.Length == 16) return md5;
        }
        catch (FormatException) { }
        throw S3Errors.InvalidDigest();
    }

    /// <summary>
    /// Stores a stream as the key's new file: <c>create_open</c>, one streaming HTTP PUT to the first destination
    /// that takes it (MD5 computed on the way; the source is read to its end, so signature and checksum checks of
    /// the payload run before anything becomes visible), the <c>s3_object</c> row, then <c>create_close</c>, which
    /// makes the key name the new file in one step. Any failure before <c>create_close</c> leaves the key as it was
    /// (the unfinished file is reaped by the tracker like any abandoned upload).
    /// </summary>
    public async Task<ObjectMeta> StoreAsync(StoreRequest s, CancellationToken ct)
    {
        OpenedFile open;
        try
        {
            open = await g.Mogile.CreateOpenAsync(s.Bucket, s.Key, s.Class, s.Length, ct).ConfigureAwait(false);
        }
        catch (MogileFSTrackerException e) { throw TrackerError(e, s); }

        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        OpenDestination? written = null;
        byte[]? hash = null;
        var errors = new List<string>();
        foreach (var dest in open.Destinations)
        {
            if (g.Mogile.Local?.TryCreate(dest.Url) is { } local)
            {
                hash = await WriteLocalAsync(local, s, md5, ct).ConfigureAwait(false);
                written = dest;
                break;
            }
            var content = new UploadContent(s.Source, s.Length, md5, g.Mogile.StorageIdleTimeout);
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
            content.Idle = idle;
            idle.CancelAfter(g.Mogile.StorageIdleTimeout);
            try
            {
                using var req = new HttpRequestMessage(HttpMethod.Put, dest.Url) { Content = content };
                using var res = await g.Mogile.Http.SendAsync(req, idle.Token).ConfigureAwait(false);
                if (content.Failure is { } f) throw f;
                if (res.IsSuccessStatusCode && content.Sent == s.Length)
                {
                    written = dest;
                    break;
                }
                errors.Add($"{dest.Url}: {(int)res.StatusCode}");
            }
            catch (Exception) when (content.Failure is { } f)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(f);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                errors.Add($"{dest.Url}: {ex.Message}");
            }
            if (content.Touched) break; // the client's bytes are consumed: no second destination can get them
        }
        if (written is null)
        {
            GatewayLog.StorageFailed(g.Log, string.Join("; ", errors), "upload failed");
            throw S3Errors.ServiceUnavailable("No storage node accepted the data; retry later.");
        }

        hash ??= md5.GetHashAndReset();
        if (s.ContentMd5 is { } expected && !CryptographicOperations.FixedTimeEquals(expected, hash)) throw S3Errors.BadDigest();
        var meta = new ObjectMeta(open.Fid, s.Size ?? s.Length, s.ETag ?? Convert.ToHexStringLower(hash), s.ContentType, s.Meta,
            g.Clock.GetUtcNow().ToUnixTimeMilliseconds(), s.Flags);
        await g.Store.PutObjectMetaAsync(s.Dmid, s.Key, meta, ct).ConfigureAwait(false);
        try
        {
            await g.Mogile.CreateCloseAsync(s.Bucket, s.Key, open.Fid, written, s.Length, null, ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            try { await g.Store.DeleteObjectMetaAsync(open.Fid, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception cleanup) { GatewayLog.CleanupFailed(g.Log, open.Fid, cleanup.Message); }
            if (ex is MogileFSTrackerException te) throw TrackerError(te, s);
            throw;
        }
        return meta;
    }

    /// <summary>
    /// The local counterpart of the PUT below: the body goes into the file in the node's docroot, and the file gets
    /// its name only when all of it arrived, was verified and matches its Content-MD5. Errors are those of the PUT.
    /// </summary>
    private async Task<byte[]> WriteLocalAsync(LocalUpload local, StoreRequest s, IncrementalHash md5, CancellationToken ct)
    {
        using (local)
        {
            try
            {
                await local.CopyFromAsync(s.Source, s.Length, md5,
                    e => e is S3Exception ? e : new S3Exception(400, "IncompleteBody", "The request body could not be read to its end: " + e.Message),
                    S3Errors.IncompleteBody, ct).ConfigureAwait(false);
                var hash = md5.GetHashAndReset();
                if (s.ContentMd5 is { } expected && !CryptographicOperations.FixedTimeEquals(expected, hash)) throw S3Errors.BadDigest();
                local.Commit();
                return hash;
            }
            catch (LocalWriteException e)
            {
                LocalWriteLog.WriteFailed(g.Log, e.Message);
                throw S3Errors.ServiceUnavailable("No storage node accepted the data; retry later.");
            }
        }
    }

    /// <summary>Drops rows of the key's earlier files (best effort: the sweeper catches what is left).</summary>
    internal async Task DropStaleAsync(int dmid, string key)
    {
        try { await g.Store.DropStaleRowsAsync(dmid, key, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex) { GatewayLog.SweepFailed(g.Log, ex.Message); }
    }

    private static S3Exception TrackerError(MogileFSTrackerException e, StoreRequest s) => e.ErrorCode switch
    {
        "unreg_class" => S3Errors.InvalidStorageClass(s.Class ?? ""),
        "unreg_domain" => S3Errors.NoSuchBucket(s.Bucket),
        "no_devices" or "no_temp_file" => S3Errors.ServiceUnavailable("The cluster has no writable storage device for this object right now."),
        _ => S3Errors.InternalError($"The tracker refused the upload: {e.ErrorCode} {e.TrackerMessage}"),
    };

    /// <summary>
    /// The body of the PUT to a storage node: exactly <c>length</c> bytes from the source, hashed on the way, then
    /// one more read that must find the end (that read runs the payload's signature and checksum checks). A failure
    /// of the source is kept in <see cref="Failure"/> and aborts the PUT, so the node never keeps a partial file.
    /// </summary>
    private sealed class UploadContent : HttpContent
    {
        private readonly Stream _source;
        private readonly long _length;
        private readonly IncrementalHash _md5;
        private readonly TimeSpan _idleTimeout;

        public UploadContent(Stream source, long length, IncrementalHash md5, TimeSpan idleTimeout)
        {
            _source = source;
            _length = length;
            _md5 = md5;
            _idleTimeout = idleTimeout;
            Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            Headers.ContentLength = length;
        }

        public CancellationTokenSource? Idle { get; set; }
        public long Sent { get; private set; }
        public bool Touched { get; private set; }
        public Exception? Failure { get; private set; }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken ct)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
            try
            {
                while (true)
                {
                    int want = (int)Math.Min(buffer.Length, Math.Max(_length - Sent, 1));
                    int n;
                    try
                    {
                        Touched = true;
                        n = await _source.ReadAsync(buffer.AsMemory(0, want), ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        Failure = e is S3Exception ? e : new S3Exception(400, "IncompleteBody", "The request body could not be read to its end: " + e.Message);
                        throw Failure;
                    }
                    if (n == 0) break;
                    if (Sent + n > _length)
                    {
                        Failure = S3Errors.IncompleteBody();
                        throw Failure;
                    }
                    _md5.AppendData(buffer, 0, n);
                    Idle?.CancelAfter(_idleTimeout);
                    await stream.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    Sent += n;
                }
                if (Sent != _length)
                {
                    Failure = S3Errors.IncompleteBody();
                    throw Failure;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return true;
        }
    }
}
