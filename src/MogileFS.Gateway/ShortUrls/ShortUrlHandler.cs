using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using MogileFS.Client;
using MogileFS.Client.Tracker;
using MogileFS.Gateway.Mogile;
using MogileFS.Gateway.Uploads;
using MogileFS.Gateway.S3;

namespace MogileFS.Gateway.ShortUrls;

/// <summary>
/// Serves plain short URLs (<c>/&lt;prefix&gt;/&lt;key&gt;</c>) over the cluster, as sites do with
/// nginx and nginx-mogilefs-module, with the module's answers: <c>unknown_key</c> and
/// <c>domain_not_found</c> give 404 (so does <c>unreg_domain</c>, what trackers really answer for a missing domain, which the module turns into 500), <c>no_devices</c> or a key without readable copies 503,
/// <c>no_key</c>/<c>unreg_class</c> 400, a method not enabled 405, PUT 201, DELETE 204 (also for a
/// key that did not exist). GET and HEAD try the copies in the tracker's order and move to the
/// next one when a storage node is down or answers 404/5xx, also in the middle of a body (the
/// rest is fetched from the next copy with a Range request), so a client never gets a short
/// file that looks whole. Range requests are forwarded; If-Modified-Since is answered here
/// from the node's Last-Modified, so it works with any storage node.
/// </summary>
public sealed class ShortUrlHandler : IFrontEnd
{
    private readonly IReadOnlyList<ShortUrlMapping> _mappings;
    private readonly MogileAccess _mogile;
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private const int CopyBuffer = 128 * 1024;

    /// <param name="mappings">The configured prefixes (the longest matching prefix wins).</param>
    /// <param name="mogile">Trackers and storage nodes.</param>
    public ShortUrlHandler(IReadOnlyList<ShortUrlMapping> mappings, MogileAccess mogile)
    {
        _mappings = mappings.OrderByDescending(m => m.Prefix.Length).ToArray();
        _mogile = mogile;
    }

    /// <summary>The mappings of the config file's <c>short_url</c> lines (none: null).</summary>
    public static ShortUrlHandler? FromOptions(GatewayOptions options, MogileAccess mogile)
    {
        if (!options.Extra.TryGetValue("short_url", out var lines) || lines.Count == 0) return null;
        var list = new List<ShortUrlMapping>();
        foreach (var line in lines)
        {
            try { list.Add(ShortUrlMapping.Parse(line)); }
            catch (FormatException e) { throw new GatewayConfigException(e.Message); }
        }
        return new ShortUrlHandler(list, mogile);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> TryHandleAsync(HttpContext http)
    {
        string raw = S3Request.RawTarget(http);
        var mapping = Match(S3Request.SplitTarget(raw).Path);
        if (mapping is null) return false;
        await HandleAsync(http, mapping).ConfigureAwait(false);
        return true;
    }

    public bool MayClaim(string rawPath) => Match(rawPath) != null;

    /// <summary>The mapping whose prefix starts <paramref name="rawPath"/> (the undecoded request path), if any.</summary>
    public ShortUrlMapping? Match(string rawPath)
    {
        foreach (var m in _mappings)
            if (rawPath.StartsWith(m.Prefix, StringComparison.Ordinal)) return m;
        return null;
    }

    /// <summary>Answers one request that <see cref="Match"/> gave <paramref name="mapping"/> for.</summary>
    public async Task HandleAsync(HttpContext context, ShortUrlMapping mapping)
    {
        var request = context.Request;
        var response = context.Response;
        string method = request.Method;
        if (!mapping.Allows(method))
        {
            response.Headers.Allow = mapping.AllowHeader();
            await PlainAsync(response, HttpStatusCode.MethodNotAllowed).ConfigureAwait(false);
            return;
        }
        string rawPath = S3Request.SplitTarget(S3Request.RawTarget(context)).Path;
        string key = rawPath.Length > mapping.Prefix.Length ? S3Request.PercentDecode(rawPath[mapping.Prefix.Length..]) : "";
        if (key.Length == 0)
        {
            await PlainAsync(response, HttpStatusCode.BadRequest).ConfigureAwait(false);
            return;
        }
        var ct = context.RequestAborted;
        try
        {
            switch (method)
            {
                case "GET":
                case "HEAD":
                    await GetAsync(context, mapping, key, method == "HEAD", ct).ConfigureAwait(false);
                    break;
                case "PUT":
                    if (request.ContentLength is not { } length)
                    {
                        await PlainAsync(response, HttpStatusCode.LengthRequired).ConfigureAwait(false);
                        break;
                    }
                    await FileWriter.WriteAsync(_mogile, mapping.Domain, key, mapping.Class, request.Body, length, md5: false, null, ct)
                        .ConfigureAwait(false);
                    response.StatusCode = StatusCodes.Status201Created;
                    response.ContentLength = 0;
                    break;
                case "DELETE":
                    await _mogile.DeleteAsync(mapping.Domain, key, ct).ConfigureAwait(false); // unknown_key: 204 as well (the module's delete_ok)
                    response.StatusCode = StatusCodes.Status204NoContent;
                    break;
            }
        }
        catch (MogileFSTrackerException e) when (!response.HasStarted)
        {
            await PlainAsync(response, e.ErrorCode switch
            {
                "unknown_key" or "domain_not_found" or "unreg_domain" => HttpStatusCode.NotFound,
                "no_devices" => HttpStatusCode.ServiceUnavailable,
                "no_key" or "unreg_class" => HttpStatusCode.BadRequest,
                _ => HttpStatusCode.InternalServerError,
            }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MogileFSException or S3Exception { Status: 503 } && !response.HasStarted)
        {
            // No tracker reachable, or no storage node took the upload.
            await PlainAsync(response, HttpStatusCode.ServiceUnavailable).ConfigureAwait(false);
        }
        catch (S3Exception e) when (!response.HasStarted)
        {
            // A missing domain (404); otherwise a bad body (shorter or longer than its Content-Length) or
            // class (400): nothing was stored.
            await PlainAsync(response, e.Status == 404 ? HttpStatusCode.NotFound : HttpStatusCode.BadRequest).ConfigureAwait(false);
        }
        catch (BadHttpRequestException) when (!response.HasStarted)
        {
            // The client's body ended early or broke: nothing was stored (the node discards a short PUT).
            await PlainAsync(response, HttpStatusCode.BadRequest).ConfigureAwait(false);
        }
    }

    private async Task GetAsync(HttpContext context, ShortUrlMapping mapping, string key, bool head, CancellationToken ct)
    {
        var reply = await _mogile.SendAsync("get_paths", RequestSafety.Idempotent, ct,
            new("domain", mapping.Domain), new("key", key), new("noverify", mapping.NoVerify ? "1" : "0")).ConfigureAwait(false);
        var paths = new List<string>();
        long count = reply.GetInt64("paths");
        for (int i = 1; i <= count; i++)
            if (reply.Get("path" + i.ToString(CultureInfo.InvariantCulture)) is { Length: > 0 } p) paths.Add(p);
        var response = context.Response;
        if (paths.Count == 0)
        {
            await PlainAsync(response, HttpStatusCode.ServiceUnavailable).ConfigureAwait(false);
            return;
        }
        var reqHeaders = context.Request.GetTypedHeaders();
        string? range = context.Request.Headers.Range.Count > 0 ? context.Request.Headers.Range.ToString() : null;
        DateTimeOffset? ifModifiedSince = reqHeaders.IfModifiedSince;

        // What the client is owed once the first copy answered: [from, to] of the file, and how
        // much of it has gone out; a later copy continues from there with a Range request.
        long from = 0, to = -1, sent = 0;
        bool started = false;
        foreach (var path in paths)
        {
            if (!started && _mogile.Local != null && await TryLocalAsync(context, path, key, range, ifModifiedSince, head, ct).ConfigureAwait(false))
                return;
            using var upstream = new HttpRequestMessage(head ? HttpMethod.Head : HttpMethod.Get, path);
            if (started) upstream.Headers.Range = new RangeHeaderValue(from + sent, to);
            else if (range != null) upstream.Headers.TryAddWithoutValidation("Range", range);
            HttpResponseMessage answer;
            try
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                idle.CancelAfter(_mogile.StorageIdleTimeout);
                answer = await _mogile.Http.SendAsync(upstream, idle.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                continue; // node down or hanging: next copy
            }
            using (answer)
            {
                int status = (int)answer.StatusCode;
                if (!started)
                {
                    if (status is 404 or >= 500 || status is not (200 or 206 or 416)) continue;
                    var lastModified = answer.Content.Headers.LastModified;
                    if (ifModifiedSince is { } ims && lastModified is { } lm && status != 416
                        && lm.ToUnixTimeSeconds() <= ims.ToUnixTimeSeconds())
                    {
                        response.StatusCode = StatusCodes.Status304NotModified;
                        response.Headers.LastModified = lm.ToString("r", CultureInfo.InvariantCulture);
                        return;
                    }
                    response.StatusCode = status;
                    response.Headers.AcceptRanges = "bytes";
                    if (lastModified is { } l) response.Headers.LastModified = l.ToString("r", CultureInfo.InvariantCulture);
                    response.ContentType = ContentTypes.TryGetContentType(key, out var type) ? type : "application/octet-stream";
                    if (answer.Content.Headers.ContentRange is { } cr)
                        response.Headers.ContentRange = cr.ToString();
                    if (answer.Content.Headers.ContentLength is { } len) response.ContentLength = len;
                    if (status == 416 || head) return;
                    if (status == 206 && answer.Content.Headers.ContentRange is { From: { } f, To: { } t })
                        (from, to) = (f, t);
                    else if (answer.Content.Headers.ContentLength is { } whole)
                        (from, to) = (0, whole - 1);
                    else
                        to = -2; // unknown length: cannot resume on another copy
                    started = true;
                }
                else if (status != 206 || answer.Content.Headers.ContentRange?.From != from + sent)
                {
                    continue;
                }
                if (await CopyBodyAsync(answer, response, _mogile.StorageIdleTimeout, ct, n => sent += n).ConfigureAwait(false)) return;
                if (to == -2) break;
            }
        }
        if (!started)
        {
            await PlainAsync(response, HttpStatusCode.ServiceUnavailable).ConfigureAwait(false);
            return;
        }
        // Every copy broke part-way: end the connection so the client sees a truncated transfer.
        context.Abort();
    }

    /// <summary>
    /// Answers from the local file of a copy on this host (<c>local_storage</c>) with the headers its node would give
    /// (Last-Modified from the file's mtime, as mogstored); false when the copy is not local, cannot be opened, or the
    /// Range header is anything but one satisfiable <c>bytes=</c> range: then the node is asked over HTTP, so every
    /// other answer (416, an ignored range) stays the node's own.
    /// </summary>
    private async Task<bool> TryLocalAsync(HttpContext context, string url, string key, string? range, DateTimeOffset? ifModifiedSince, bool head, CancellationToken ct)
    {
        var result = _mogile.Local!.Open(url, -1, out var file, out _);
        if (result != LocalStorage.Result.Opened) return false;
        bool handedOver = false;
        try
        {
            long size = file!.Length;
            long from = 0, length = size;
            if (range != null)
            {
                if (!SimpleRange(range, size, out from, out length)) return false;
            }
            var lastModified = DateTimeOffset.FromUnixTimeSeconds(new DateTimeOffset(File.GetLastWriteTimeUtc(file.SafeFileHandle), TimeSpan.Zero).ToUnixTimeSeconds());
            var response = context.Response;
            if (ifModifiedSince is { } ims && lastModified.ToUnixTimeSeconds() <= ims.ToUnixTimeSeconds())
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                response.Headers.LastModified = lastModified.ToString("r", CultureInfo.InvariantCulture);
                return true;
            }
            response.StatusCode = range != null ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
            response.Headers.AcceptRanges = "bytes";
            response.Headers.LastModified = lastModified.ToString("r", CultureInfo.InvariantCulture);
            response.ContentType = ContentTypes.TryGetContentType(key, out var type) ? type : "application/octet-stream";
            if (range != null) response.Headers.ContentRange = $"bytes {from}-{from + length - 1}/{size}";
            response.ContentLength = length;
            if (head || length == 0) return true;
            handedOver = true;
            await Transport.SpliceBody.SendAsync(context, file, from, length, ct).ConfigureAwait(false);
            return true;
        }
        finally
        {
            if (!handedOver) file!.Dispose();
        }
    }

    /// <summary>One satisfiable <c>bytes=S-E</c>, <c>bytes=S-</c> or <c>bytes=-N</c> range, as storage nodes read it.</summary>
    internal static bool SimpleRange(string value, long size, out long from, out long length)
    {
        from = 0;
        length = 0;
        if (!value.StartsWith("bytes=", StringComparison.Ordinal)) return false;
        var spec = value.AsSpan(6);
        int dash = spec.IndexOf('-');
        if (dash < 0 || size == 0) return false;
        var s = spec[..dash];
        var e = spec[(dash + 1)..];
        static bool Digits(ReadOnlySpan<char> x, out long n) => long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out n);
        if (s.IsEmpty)
        {
            if (!Digits(e, out long n) || n == 0) return false;
            from = Math.Max(0, size - n);
            length = size - from;
            return true;
        }
        if (!Digits(s, out long start) || start >= size) return false;
        long end = size - 1;
        if (!e.IsEmpty)
        {
            if (!Digits(e, out end) || end < start) return false;
            end = Math.Min(end, size - 1);
        }
        from = start;
        length = end - start + 1;
        return true;
    }

    /// <summary>Streams a node's body to the client, read straight into the response's own buffers (no copy of
    /// ours in between); false when the node's side broke off.</summary>
    private static async Task<bool> CopyBodyAsync(HttpResponseMessage answer, HttpResponse response, TimeSpan idleTimeout, CancellationToken ct, Action<long> progress)
    {
        long expected = answer.Content.Headers.ContentLength ?? -1, got = 0;
        await using var body = await answer.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var writer = response.BodyWriter;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        while (true)
        {
            int n;
            idle.CancelAfter(idleTimeout);
            try { n = await body.ReadAsync(writer.GetMemory(CopyBuffer), idle.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                return false;
            }
            if (n == 0) return expected < 0 || got == expected;
            writer.Advance(n);
            if ((await writer.FlushAsync(ct).ConfigureAwait(false)).IsCanceled) throw new OperationCanceledException(ct);
            got += n;
            progress(n);
        }
    }

    /// <summary>A short HTML body like nginx's error pages.</summary>
    private static Task PlainAsync(HttpResponse response, HttpStatusCode status)
    {
        response.StatusCode = (int)status;
        if (HttpMethods.IsHead(response.HttpContext.Request.Method)) return Task.CompletedTask;
        string reason = ReasonPhrases(status);
        var text = $"<html>\r\n<head><title>{(int)status} {reason}</title></head>\r\n<body>\r\n<center><h1>{(int)status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n";
        response.ContentType = "text/html";
        var bytes = Encoding.ASCII.GetBytes(text);
        response.ContentLength = bytes.Length;
        return response.Body.WriteAsync(bytes).AsTask();
    }

    private static string ReasonPhrases(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => "Bad Request",
        HttpStatusCode.NotFound => "Not Found",
        HttpStatusCode.MethodNotAllowed => "Not Allowed",
        HttpStatusCode.LengthRequired => "Length Required",
        HttpStatusCode.ServiceUnavailable => "Service Temporarily Unavailable",
        _ => "Internal Server Error",
    };
}
