using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using MogileFS.Gateway.Auth;

namespace MogileFS.Gateway.S3;

/// <summary>
/// One S3 request after addressing: the bucket and key (decoded text), the query (decoded
/// exactly as SigV4 canonicalises it: percent-escapes only, '+' is a plus), who signed it and
/// the body to read (aws-chunked decoded and signature-checked when the client streamed).
/// </summary>
public sealed class S3Request
{
    public S3Request(HttpContext http, string path, IReadOnlyList<KeyValuePair<string, string>> query)
    {
        Http = http;
        DecodedPath = path;
        Query = query;
    }

    public HttpContext Http { get; }
    public HttpRequest Request => Http.Request;
    public HttpResponse Response => Http.Response;
    public CancellationToken Aborted => Http.RequestAborted;

    /// <summary>The decoded request path (before bucket/key split).</summary>
    public string DecodedPath { get; }

    /// <summary>The bucket (null for service-level requests such as ListBuckets).</summary>
    public string? Bucket { get; set; }

    /// <summary>The object key (null for bucket-level requests).</summary>
    public string? Key { get; set; }

    /// <summary>Whether the bucket came from the Host header (virtual-hosted style).</summary>
    public bool VirtualHosted { get; set; }

    public IReadOnlyList<KeyValuePair<string, string>> Query { get; }

    /// <summary>The authenticated caller (anonymous when <see cref="AuthResult.AccessKeyId"/> is null).</summary>
    public AuthResult Auth { get; set; } = AuthResult.Anonymous;

    /// <summary>The operation the router chose (for logs).</summary>
    public string Operation { get; set; } = "";

    public bool Has(string name)
    {
        foreach (var kv in Query) if (kv.Key == name) return true;
        return false;
    }

    public string? Q(string name)
    {
        foreach (var kv in Query) if (kv.Key == name) return kv.Value;
        return null;
    }

    public string? Header(string name)
    {
        var v = Request.Headers[name];
        return v.Count == 0 ? null : v.ToString();
    }

    /// <summary>The payload as the client meant it (aws-chunked framing removed, signatures and hashes checked at its end).</summary>
    public Stream Body => Auth.Body ?? Request.Body;

    /// <summary>Reads a small request body (XML of DeleteObjects, CompleteMultipartUpload) whole, at most <paramref name="max"/> bytes.</summary>
    public async Task<byte[]> ReadSmallBodyAsync(int max)
    {
        using var ms = new MemoryStream();
        var buf = new byte[16 * 1024];
        while (true)
        {
            int n = await Body.ReadAsync(buf, Aborted).ConfigureAwait(false);
            if (n == 0) break;
            if (ms.Length + n > max) throw S3Errors.InvalidRequest($"the request body is larger than {max} bytes");
            ms.Write(buf, 0, n);
        }
        return ms.ToArray();
    }

    // ---- parsing of the raw request target ------------------------------------------------------

    /// <summary>The request target as received (path and query, still percent-encoded).</summary>
    public static string RawTarget(HttpContext http) =>
        http.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : http.Request.Path + http.Request.QueryString;

    /// <summary>Splits a raw target into its raw path and raw query (without '?').</summary>
    public static (string Path, string Query) SplitTarget(string raw)
    {
        // Absolute-form targets (proxies): keep only the path.
        if (raw.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || raw.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            int slash = raw.IndexOf('/', raw.IndexOf("//", StringComparison.Ordinal) + 2);
            raw = slash < 0 ? "/" : raw[slash..];
        }
        int q = raw.IndexOf('?');
        return q < 0 ? (raw, "") : (raw[..q], raw[(q + 1)..]);
    }

    /// <summary>Query pairs in order, percent-decoded ('+' stays '+', as SigV4 canonicalisation has it).</summary>
    public static List<KeyValuePair<string, string>> ParseQuery(string rawQuery)
    {
        var list = new List<KeyValuePair<string, string>>();
        if (rawQuery.Length == 0) return list;
        foreach (var part in rawQuery.Split('&'))
        {
            if (part.Length == 0) continue;
            int eq = part.IndexOf('=');
            string name = eq < 0 ? part : part[..eq];
            string value = eq < 0 ? "" : part[(eq + 1)..];
            list.Add(new(PercentDecode(name), PercentDecode(value)));
        }
        return list;
    }

    /// <summary>Percent-decodes to UTF-8 text (invalid sequences become U+FFFD); malformed escapes are kept as written.</summary>
    public static string PercentDecode(string s)
    {
        if (s.IndexOf('%') < 0) return s;
        var bytes = new byte[Encoding.UTF8.GetMaxByteCount(s.Length)];
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '%' && i + 2 < s.Length && Uri.IsHexDigit(s[i + 1]) && Uri.IsHexDigit(s[i + 2]))
            {
                bytes[n++] = (byte)Convert.ToInt32(s.Substring(i + 1, 2), 16);
                i += 2;
            }
            else n += Encoding.UTF8.GetBytes(s.AsSpan(i, char.IsHighSurrogate(c) && i + 1 < s.Length ? 2 : 1), bytes.AsSpan(n));
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && c != '%') i++;
        }
        return Encoding.UTF8.GetString(bytes, 0, n);
    }
}
