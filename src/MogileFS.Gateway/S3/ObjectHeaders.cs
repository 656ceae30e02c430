using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway.S3;

/// <summary>
/// The headers S3 keeps with an object: Content-Type, the other content headers a client may set
/// (Content-Encoding, Content-Disposition, Content-Language, Cache-Control, Expires) and user
/// metadata (<c>x-amz-meta-*</c>), stored as one JSON object in <c>s3_object.meta</c>.
/// </summary>
public static class ObjectHeaders
{
    public const string DefaultContentType = "binary/octet-stream";
    private const int MaxUserMetadata = 2048; // AWS: 2 KB of user metadata (names + values)

    private static readonly string[] ContentHeaders = ["Content-Encoding", "Content-Disposition", "Content-Language", "Cache-Control", "Expires"];

    /// <summary>The stored meta JSON for a request's headers (null when there is nothing to keep).</summary>
    public static string? FromRequest(HttpRequest request)
    {
        var d = new SortedDictionary<string, string>(StringComparer.Ordinal);
        int userBytes = 0;
        foreach (var h in request.Headers)
        {
            if (h.Key.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase))
            {
                string name = h.Key.ToLowerInvariant();
                string value = h.Value.ToString();
                d[name] = value;
                userBytes += name.Length - "x-amz-meta-".Length + value.Length;
            }
        }
        if (userBytes > MaxUserMetadata)
            throw new S3Exception(400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size")
                .With("Size", userBytes.ToString(CultureInfo.InvariantCulture)).With("MaxSizeAllowed", MaxUserMetadata.ToString(CultureInfo.InvariantCulture));
        foreach (var name in ContentHeaders)
            if (request.Headers.TryGetValue(name, out var v) && v.Count > 0 && v.ToString().Length > 0)
            {
                // aws-chunked is the transfer framing of the request, not a property of the object.
                string value = v.ToString();
                if (name == "Content-Encoding")
                {
                    value = string.Join(",", value.Split(',').Select(x => x.Trim()).Where(x => x.Length > 0 && !x.Equals("aws-chunked", StringComparison.OrdinalIgnoreCase)));
                    if (value.Length == 0) continue;
                }
                d[name] = value;
            }
        return d.Count == 0 ? null : JsonSerializer.Serialize(d);
    }

    public static Dictionary<string, string> Parse(string? meta)
    {
        if (string.IsNullOrEmpty(meta)) return new();
        try { return JsonSerializer.Deserialize<Dictionary<string, string>>(meta) ?? new(); }
        catch (JsonException) { return new(); }
    }

    /// <summary>Sets ETag, Last-Modified, Content-Type, the stored content headers and user metadata, with the
    /// <c>response-*</c> overrides of the query (GET only, as in S3).</summary>
    public static void Write(S3Request r, ObjectMeta m)
    {
        var h = r.Response.Headers;
        h.ETag = Quote(m.ETag);
        h.LastModified = DateTimeOffset.FromUnixTimeMilliseconds(m.MtimeMs).ToString("r", CultureInfo.InvariantCulture);
        h.ContentType = m.ContentType ?? DefaultContentType;
        h.AcceptRanges = "bytes";
        foreach (var (k, v) in Parse(m.Meta)) h[k] = v;
        if (HttpMethods.IsGet(r.Request.Method) && !r.Auth.IsAnonymous)
        {
            foreach (var (q, header) in (ReadOnlySpan<(string, string)>)[
                         ("response-content-type", "Content-Type"), ("response-content-language", "Content-Language"),
                         ("response-expires", "Expires"), ("response-cache-control", "Cache-Control"),
                         ("response-content-disposition", "Content-Disposition"), ("response-content-encoding", "Content-Encoding")])
                if (r.Q(q) is { } v) h[header] = v;
        }
    }

    public static string Quote(string etag) => "\"" + etag + "\"";
}
