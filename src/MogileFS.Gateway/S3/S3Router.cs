using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using MogileFS.Client;

namespace MogileFS.Gateway.S3;

/// <summary>A front end that may claim a request before S3 routing (e.g. the short-URL front end).</summary>
public interface IFrontEnd
{
    /// <summary>Handles the request and returns true, or returns false to leave it to S3.</summary>
    ValueTask<bool> TryHandleAsync(HttpContext http);

    /// <summary>Whether a request for <paramref name="rawPath"/> (undecoded) may be this front end's: such requests
    /// are never answered below Kestrel (<see cref="FastGet"/>). A front end that cannot tell claims every path.</summary>
    bool MayClaim(string rawPath) => true;
}

/// <summary>One S3 operation: its name (as in AWS's API reference), handler and whether anonymous callers may use it on a public-read bucket.</summary>
public sealed record S3Operation(string Name, Func<S3Request, Task> Handler, bool PublicRead = false);

/// <summary>
/// Turns an HTTP request into an S3 operation: front ends first (short URLs), then addressing
/// (virtual-hosted or path style), authentication (SigV4 header, presigned, anonymous), the
/// operation table below, and S3's error XML for whatever goes wrong.
/// </summary>
public sealed partial class S3Router
{
    private readonly GatewayContext _g;
    private readonly Buckets _buckets;
    private readonly Objects _objects;
    private readonly Listing _listing;
    private readonly Multipart _multipart;

    public S3Router(GatewayContext g)
    {
        _g = g;
        _buckets = new Buckets(g);
        _listing = new Listing(g);
        _objects = new Objects(g);
        _multipart = new Multipart(g, _objects);
    }

    /// <summary>The multipart operations (for the gateway's periodic expiry of forgotten uploads).</summary>
    public Multipart Multipart => _multipart;

    /// <summary>Front ends asked before S3 routing, in order.</summary>
    public List<IFrontEnd> FrontEnds { get; } = [];

    public async Task HandleAsync(HttpContext http)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        string operation = "Other";
        try
        {
            operation = await HandleCoreAsync(http).ConfigureAwait(false);
        }
        finally
        {
            _g.Metrics.RequestDuration.Record(operation, MogileFS.Core.Metrics.LatencyHistogram.StatusLabel(http.Response.StatusCode), started);
        }
    }

    /// <summary>Answers one request; returns the operation's name for the metrics (ShortUrl for a front end's,
    /// Other when it failed before routing).</summary>
    private async Task<string> HandleCoreAsync(HttpContext http)
    {
        // The transport answers some GETs itself while Kestrel is idle between requests (FastGet): tell it when
        // Kestrel is not.
        if (http.Features.Get<Transport.IRequestTrackingFeature>() is { } tracking)
        {
            tracking.RequestStarted(http.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true);
            http.Response.OnCompleted(static t =>
            {
                ((Transport.IRequestTrackingFeature)t).RequestEnded();
                return Task.CompletedTask;
            }, tracking);
        }
        // A client that sent Expect: 100-continue and gets its final answer without a 100 Continue (an
        // empty body, which Kestrel never asks for, or an error found before the body was read) may not
        // send the body, and botocore then mis-reads the next reply on the connection: end the connection.
        if (http.Request.Headers.Expect.Count > 0)
            http.Response.OnStarting(static state =>
            {
                var h = (HttpContext)state;
                if (h.Request.ContentLength == 0 || h.Response.StatusCode >= 300) h.Response.Headers.Connection = "close";
                return Task.CompletedTask;
            }, http);
        foreach (var fe in FrontEnds)
            if (await fe.TryHandleAsync(http).ConfigureAwait(false)) return "ShortUrl";

        var (rawPath, rawQuery) = S3Request.SplitTarget(S3Request.RawTarget(http));
        var req = new S3Request(http, S3Request.PercentDecode(rawPath), S3Request.ParseQuery(rawQuery));
        try
        {
            Address(req);
            req.Auth = await _g.Auth.AuthenticateAsync(req, rawPath, rawQuery, _g.Clock.GetUtcNow()).ConfigureAwait(false);
            var op = Route(req);
            req.Operation = op.Name;
            if (req.Auth.IsAnonymous && !(op.PublicRead && req.Bucket != null && _g.Options.PublicReadBuckets.Contains(req.Bucket)))
                throw S3Errors.AccessDenied();
            await op.Handler(req).ConfigureAwait(false);
        }
        catch (S3Exception e)
        {
            await SendErrorAsync(req, e).ConfigureAwait(false);
        }
        catch (MogileFSConnectionException e)
        {
            GatewayLog.TrackerUnavailable(_g.Log, e.Message);
            await SendErrorAsync(req, S3Errors.ServiceUnavailable("The MogileFS trackers are not reachable; retry later.")).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException && !http.Response.HasStarted)
        {
            await SendErrorAsync(req, S3Errors.IncompleteBody()).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            GatewayLog.RequestFailed(_g.Log, e, req.Operation, req.Bucket, req.Key);
            await SendErrorAsync(req, S3Errors.InternalError("We encountered an internal error. Please try again.")).ConfigureAwait(false);
        }
        return req.Operation.Length > 0 ? req.Operation : "Other";
    }

    /// <summary>Sends S3's error XML; when the reply has already begun, the connection is cut so that a
    /// partial body can never pass for a whole one.</summary>
    public static async Task SendErrorAsync(S3Request req, S3Exception e)
    {
        var response = req.Response;
        if (response.HasStarted)
        {
            req.Http.Abort();
            return;
        }
        response.Clear();
        response.Headers["x-amz-request-id"] = req.Http.TraceIdentifier;
        var xml = new XmlOut().Start("Error")
            .Element("Code", e.Code)
            .Element("Message", e.Message);
        foreach (var (k, v) in e.Details) xml.Element(k, v);
        xml.Element("Resource", req.DecodedPath).Element("RequestId", req.Http.TraceIdentifier).End();
        if (HttpMethods.IsHead(req.Request.Method))
        {
            response.StatusCode = e.Status;
            return;
        }
        try { await xml.SendAsync(response, e.Status).ConfigureAwait(false); }
        catch (Exception) when (req.Aborted.IsCancellationRequested) { }
    }

    /// <summary>Bucket and key from the Host header (virtual-hosted style) or the path (path style).</summary>
    private void Address(S3Request req)
    {
        string path = req.DecodedPath;
        if (path.Length == 0 || path[0] != '/') path = "/" + path;
        string host = req.Request.Host.Host;
        foreach (var domain in _g.Options.VirtualHostDomains)
        {
            if (host.Length > domain.Length + 1 && host.EndsWith(domain, StringComparison.OrdinalIgnoreCase) && host[^(domain.Length + 1)] == '.')
            {
                req.Bucket = host[..^(domain.Length + 1)];
                req.VirtualHosted = true;
                req.Key = path.Length > 1 ? path[1..] : null;
                return;
            }
        }
        if (path.Length <= 1) return; // service level: ListBuckets
        int slash = path.IndexOf('/', 1);
        if (slash < 0) { req.Bucket = path[1..]; return; }
        req.Bucket = path[1..slash];
        req.Key = slash + 1 < path.Length ? path[(slash + 1)..] : null;
    }

    /// <summary>The operation table: method, bucket/key present and sub-resource → handler.</summary>
    private S3Operation Route(S3Request r)
    {
        string m = r.Request.Method;
        if (r.Bucket is null)
        {
            if (HttpMethods.IsGet(m)) return new("ListBuckets", _buckets.ListBucketsAsync);
            throw S3Errors.MethodNotAllowed();
        }
        if (r.Key is null)
        {
            if (HttpMethods.IsGet(m))
            {
                if (r.Has("uploads")) return new("ListMultipartUploads", _multipart.ListMultipartUploadsAsync);
                if (r.Has("location")) return new("GetBucketLocation", _buckets.GetBucketLocationAsync);
                if (r.Has("versioning")) return new("GetBucketVersioning", _buckets.GetBucketVersioningAsync);
                if (r.Has("acl")) return new("GetBucketAcl", _buckets.GetBucketAclAsync);
                foreach (var unsupported in UnsupportedBucketSubresources)
                    if (r.Has(unsupported)) throw S3Errors.NotImplemented($"GET ?{unsupported}");
                if (r.Q("list-type") == "2") return new("ListObjectsV2", _listing.ListObjectsV2Async, PublicRead: true);
                return new("ListObjects", _listing.ListObjectsV1Async, PublicRead: true);
            }
            if (HttpMethods.IsHead(m)) return new("HeadBucket", _buckets.HeadBucketAsync, PublicRead: true);
            if (HttpMethods.IsPut(m))
            {
                foreach (var unsupported in UnsupportedBucketSubresources)
                    if (r.Has(unsupported)) throw S3Errors.NotImplemented($"PUT ?{unsupported}");
                if (r.Has("acl") || r.Has("versioning")) throw S3Errors.NotImplemented("PUT ?acl and ?versioning");
                return new("CreateBucket", _buckets.CreateBucketAsync);
            }
            if (HttpMethods.IsDelete(m)) return new("DeleteBucket", _buckets.DeleteBucketAsync);
            if (HttpMethods.IsPost(m) && r.Has("delete")) return new("DeleteObjects", _objects.DeleteObjectsAsync);
            throw S3Errors.MethodNotAllowed();
        }
        bool copy = r.Header("x-amz-copy-source") != null;
        if (HttpMethods.IsGet(m))
        {
            if (r.Has("uploadId")) return new("ListParts", _multipart.ListPartsAsync);
            if (r.Has("acl")) return new("GetObjectAcl", _buckets.GetObjectAclAsync);
            if (r.Has("tagging") || r.Has("retention") || r.Has("legal-hold") || r.Has("torrent") || r.Has("attributes"))
                throw S3Errors.NotImplemented("this object sub-resource");
            return new("GetObject", _objects.GetObjectAsync, PublicRead: true);
        }
        if (HttpMethods.IsHead(m)) return new("HeadObject", _objects.HeadObjectAsync, PublicRead: true);
        if (HttpMethods.IsPut(m))
        {
            if (r.Has("uploadId") || r.Has("partNumber"))
                return copy ? new("UploadPartCopy", _multipart.UploadPartCopyAsync) : new("UploadPart", _multipart.UploadPartAsync);
            if (r.Has("tagging") || r.Has("acl") || r.Has("retention") || r.Has("legal-hold"))
                throw S3Errors.NotImplemented("this object sub-resource");
            return copy ? new("CopyObject", _objects.CopyObjectAsync) : new("PutObject", _objects.PutObjectAsync);
        }
        if (HttpMethods.IsDelete(m))
        {
            if (r.Has("uploadId")) return new("AbortMultipartUpload", _multipart.AbortMultipartUploadAsync);
            return new("DeleteObject", _objects.DeleteObjectAsync);
        }
        if (HttpMethods.IsPost(m))
        {
            if (r.Has("uploads")) return new("CreateMultipartUpload", _multipart.CreateMultipartUploadAsync);
            if (r.Has("uploadId")) return new("CompleteMultipartUpload", _multipart.CompleteMultipartUploadAsync);
        }
        throw S3Errors.MethodNotAllowed();
    }

    /// <summary>Bucket sub-resources of AWS that a MogileFS domain has nothing to back (docs/s3.md).</summary>
    private static readonly string[] UnsupportedBucketSubresources =
    [
        "policy", "cors", "lifecycle", "website", "tagging", "replication", "encryption", "logging", "notification",
        "object-lock", "ownershipControls", "publicAccessBlock", "accelerate", "requestPayment", "analytics",
        "inventory", "metrics", "intelligent-tiering", "versions",
    ];
}
