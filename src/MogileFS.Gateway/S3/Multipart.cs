using System.Globalization;
using System.Security.Cryptography;
using MogileFS.Client;
using MogileFS.Gateway.Uploads;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway.S3;

/// <summary>
/// Multipart upload (CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
/// AbortMultipartUpload, ListParts, ListMultipartUploads).
///
/// How parts are kept: each part is an ordinary MogileFS file in a domain of its own
/// (<see cref="MultipartSettings.PartsDomain"/>), under a key unique to that upload attempt; the
/// <c>s3_upload</c>/<c>s3_upload_part</c> rows say which file is the current one of each part
/// number. Complete assembles the parts into one new file of the bucket's domain (joined on a
/// storage node that has our join request, <see cref="NodeJoin"/>; else streamed from the nodes
/// into a single PUT, memory one buffer), records its S3 row (the multipart ETag) and only then
/// points the key at it with <c>create_close</c>. So a multipart
/// object is a plain MogileFS file: <c>mogfetch</c>, the nginx module and every other client read
/// its bytes, it lists and deletes like any key, and fsck and replication treat it as usual. The
/// price is writing the object twice (once as parts, once assembled); docs/s3.md has the figures.
/// </summary>
public sealed partial class Multipart(GatewayContext g, Objects objects)
{
    private MultipartSettings? _settings;
    private Task? _partsDomainReady;
    private readonly object _lock = new();
    private NodeJoin? _join;

    /// <summary>The join of parts on a storage node (one per gateway: it remembers nodes without the request).</summary>
    internal NodeJoin Join => _join ??= new NodeJoin(g.Mogile, g.Log, g.Clock);

    /// <summary>
    /// Upload id → the storage node ("host:port") its parts go to when the tracker offers it, so that
    /// Complete finds them all on one node and joins them there inside the kernel. A hint of this
    /// gateway only (another gateway keeps its own); dropped on Complete and Abort, and all at once
    /// should it ever hold more than <see cref="MaxPartNodeHints"/> uploads.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _partNode = new(StringComparer.Ordinal);
    private const int MaxPartNodeHints = 10_000;

    internal GatewayContext Context => g;
    internal Objects Objects => objects;

    /// <summary>The settings (from the config file's multipart_* keys).</summary>
    public MultipartSettings Settings => _settings ??= MultipartSettings.Of(g.Options);

    private const int MaxListEntries = 1000;

    // ---- CreateMultipartUpload ------------------------------------------------------------------

    public async Task CreateMultipartUploadAsync(S3Request r)
    {
        await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        string bucket = r.Bucket!, key = r.Key!;
        Objects.CheckKey(key);
        string? @class = objects.ClassOf(r);
        string? meta = ObjectHeaders.FromRequest(r.Request);
        string? contentType = r.Header("Content-Type");
        await EnsurePartsDomainAsync(r.Aborted).ConfigureAwait(false);
        string uploadId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        await g.Store.CreateUploadAsync(new UploadRow(uploadId, bucket, key, @class, contentType, meta,
            g.Clock.GetUtcNow().ToUnixTimeMilliseconds(), 0, 0), r.Aborted).ConfigureAwait(false);
        var xml = new XmlOut().Start("InitiateMultipartUploadResult", XmlOut.S3Namespace)
            .Element("Bucket", bucket).Element("Key", key).Element("UploadId", uploadId).End();
        await xml.SendAsync(r.Response).ConfigureAwait(false);
    }

    // ---- AbortMultipartUpload -------------------------------------------------------------------

    public async Task AbortMultipartUploadAsync(S3Request r)
    {
        await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        string uploadId = r.Q("uploadId") ?? "";
        await RequireUploadAsync(r, uploadId).ConfigureAwait(false);
        var keys = await g.Store.RemoveUploadAsync(uploadId, onlyIfOpen: true, StaleBefore(), r.Aborted).ConfigureAwait(false);
        if (keys is null)
        {
            if (await g.Store.GetUploadAsync(uploadId, r.Aborted).ConfigureAwait(false) is null) throw S3Errors.NoSuchUpload(uploadId);
            throw new S3Exception(409, "OperationAborted", "A conflicting conditional operation is currently in progress against this resource. Please try again.")
                .With("UploadId", uploadId);
        }
        _partNode.TryRemove(uploadId, out _);
        await DeletePartFilesAsync(keys, r.Aborted).ConfigureAwait(false);
        r.Response.StatusCode = 204;
    }

    // ---- expiry ---------------------------------------------------------------------------------

    /// <summary>
    /// Aborts uploads older than <see cref="MultipartSettings.Expiry"/>, a batch per call (the gateway
    /// runs it every few minutes; with several gateways each may do it, which is harmless: an upload
    /// is removed by one of them and the others find nothing). Returns how many were aborted.
    /// </summary>
    public async Task<int> ExpireAsync(CancellationToken ct)
    {
        var s = Settings;
        if (s.Expiry <= TimeSpan.Zero) return 0;
        long cutoff = g.Clock.GetUtcNow().ToUnixTimeMilliseconds() - (long)s.Expiry.TotalMilliseconds;
        int n = 0;
        try
        {
            foreach (var u in await g.Store.UploadsInitiatedBeforeAsync(cutoff, 100, ct).ConfigureAwait(false))
            {
                var keys = await g.Store.RemoveUploadAsync(u.UploadId, onlyIfOpen: true, StaleBefore(), ct).ConfigureAwait(false);
                if (keys is null) continue;
                await DeletePartFilesAsync(keys, ct).ConfigureAwait(false);
                n++;
            }
            if (n > 0) MultipartLog.Expired(g.Log, n, s.Expiry.TotalDays);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            MultipartLog.ExpiryFailed(g.Log, e.Message);
        }
        return n;
    }

    // ---- helpers --------------------------------------------------------------------------------

    /// <summary>The upload, if it exists, belongs to the request's bucket and key and is open; else NoSuchUpload.</summary>
    private async Task<UploadRow> RequireUploadAsync(S3Request r, string uploadId, bool open = false)
    {
        if (uploadId.Length == 0) throw S3Errors.NoSuchUpload(uploadId);
        var u = await g.Store.GetUploadAsync(uploadId, r.Aborted).ConfigureAwait(false);
        if (u is null || u.Bucket != r.Bucket || u.Key != r.Key) throw S3Errors.NoSuchUpload(uploadId);
        if (open && u.State != 0 && u.StateTimeMs >= StaleBefore()) throw S3Errors.NoSuchUpload(uploadId);
        return u;
    }

    private long StaleBefore() => g.Clock.GetUtcNow().ToUnixTimeMilliseconds() - (long)Settings.ClaimLease.TotalMilliseconds;

    /// <summary>Creates the parts domain and its class on first use (already there: fine).</summary>
    private Task EnsurePartsDomainAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            if (_partsDomainReady is { IsCompletedSuccessfully: true } ready) return ready;
            if (_partsDomainReady is null || _partsDomainReady.IsFaulted || _partsDomainReady.IsCanceled)
                _partsDomainReady = CreatePartsDomainAsync(CancellationToken.None);
            return _partsDomainReady.WaitAsync(ct);
        }
    }

    private async Task CreatePartsDomainAsync(CancellationToken ct)
    {
        var s = Settings;
        try { await g.Mogile.CreateDomainAsync(s.PartsDomain, ct).ConfigureAwait(false); }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "domain_exists") { }
        try
        {
            await g.Mogile.SendAsync("create_class", MogileFS.Client.Tracker.RequestSafety.NotIdempotent, ct,
                new("domain", s.PartsDomain), new("class", s.PartsClass),
                new("mindevcount", s.PartCopies.ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false);
        }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "class_exists") { }
    }

    /// <summary>A key for one attempt at one part: unique, so concurrent uploads of a part number never share a file.</summary>
    private static string PartKey(string uploadId, int partNumber) =>
        $"{uploadId}/{partNumber.ToString("D5", CultureInfo.InvariantCulture)}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";

    /// <summary>Deletes part files; a part already gone is fine, a failure is logged (the file stays as an orphan key in the parts domain).</summary>
    private async Task DeletePartFilesAsync(IEnumerable<string> partKeys, CancellationToken ct)
    {
        foreach (var k in partKeys)
        {
            try { await g.Mogile.DeleteAsync(Settings.PartsDomain, k, ct).ConfigureAwait(false); }
            catch (MogileFSException e) { MultipartLog.PartDeleteFailed(g.Log, Settings.PartsDomain, k, e.Message); }
        }
    }

    private static int ParseInt(string? v, string name, int min, int max, int dflt)
    {
        if (v is null) return dflt;
        if (!int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) || n < min)
            throw S3Errors.InvalidArgument($"{name} must be an integer of at least {min}", name, v);
        return Math.Min(n, max);
    }
}
