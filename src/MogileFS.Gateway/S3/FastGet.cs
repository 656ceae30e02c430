using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using MogileFS.Gateway.Store;
using MogileFS.Gateway.Transport;

namespace MogileFS.Gateway.S3;

/// <summary>
/// GetObject and HeadObject of small objects the gateway has in its caches, answered on the transport's receive
/// loop without Kestrel (<see cref="IFastRequestHandler"/>): the hot path of a read-mostly site. A request is
/// answered here only when all of it is known and ordinary: one whole HTTP/1.1 GET or HEAD without a body,
/// path-style or virtual-hosted, no query (or only <c>x-id=GetObject</c>, which some SDKs add), validly signed in
/// the Authorization header (or anonymous on a public-read bucket), none of the headers that change the answer
/// (Range, conditions, checksums, Expect, Connection other than keep-alive, ...), the key's current file and its S3
/// row in the object cache, and the file's bytes in the content cache. Everything else —
/// including every error — returns false and goes through Kestrel and <see cref="S3Router"/>, which answers as
/// always (and fills the caches). The response is the one <see cref="Objects"/> and Kestrel would send, byte for
/// byte but for the Date header's clock (tests compare the two).
/// </summary>
public sealed class FastGet : IFastRequestHandler
{
    private const int MaxHeaders = 32;
    [ThreadStatic] private static (string, string)[]? t_headers;

    // Header names clients send with nearly every request: matched without making a string.
    private static readonly string[] CommonNames =
    [
        "host", "authorization", "x-amz-date", "x-amz-content-sha256", "user-agent", "accept", "accept-encoding",
        "connection", "content-length", "amz-sdk-invocation-id", "amz-sdk-request", "x-amz-user-agent", "x-amz-checksum-mode",
    ];

    private readonly GatewayContext _g;
    private readonly S3Router _router;
    private readonly string _partsDomain;
    private readonly ConditionalWeakTable<ObjectMeta, Tail?> _heads = new();
    private static DateLine _date = new(-1, []);
    private static readonly SearchValues<string> Refused = SearchValues.Create(
    [
        "connection", "content-length", "transfer-encoding", "expect", "upgrade", "te", "trailer", "range", "x-amz-trailer",
    ], StringComparison.Ordinal);

    public FastGet(GatewayContext g, S3Router router)
    {
        _g = g;
        _router = router;
        _partsDomain = Uploads.MultipartSettings.Of(g.Options).PartsDomain;
    }

    /// <summary>Requests answered here (the status port's mogilefs_gateway_fast_get_answers_total; tests, the benchmark).</summary>
    public long Answered => Interlocked.Read(ref _answered);
    private long _answered;

    public bool TryAnswer(ReadOnlySpan<byte> request, IBufferWriter<byte> head, out ReadOnlyMemory<byte> body)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        body = default;
        Span<(string Name, string Value)> headers = t_headers ??= new (string, string)[MaxHeaders];
        if (!TryParse(request, headers, out bool isHead, out string target, out int count)) return false;
        headers = headers[..count];

        // The request target: origin form, no query but x-id=GetObject.
        int q = target.IndexOf('?');
        string rawPath = q < 0 ? target : target[..q];
        string rawQuery = q < 0 ? "" : target[(q + 1)..];
        if (rawQuery.Length > 0 && (isHead || rawQuery != "x-id=GetObject")) return false;
        foreach (var fe in _router.FrontEnds)
            if (fe.MayClaim(rawPath)) return false;
        string decodedPath = S3Request.PercentDecode(rawPath);

        string? host = null, authz = null;
        foreach (var (name, value) in headers)
        {
            if (Refused.Contains(name))
            {
                // Kestrel and the S3 code act on these; only a harmless form of two of them is answered here.
                if (name == "connection" && value.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)) continue;
                if (name == "content-length" && value == "0") continue;
                return false;
            }
            // Conditions, copy sources and payload checksums (x-amz-checksum-mode, a wish for checksums in the answer,
            // is ignored by the S3 code too).
            if (name.StartsWith("if-", StringComparison.Ordinal) || name.StartsWith("x-amz-copy-source", StringComparison.Ordinal)
                || (name.StartsWith("x-amz-checksum-", StringComparison.Ordinal) && name != "x-amz-checksum-mode")) return false;
            if (name == "host") host = value;
            else if (name == "authorization") authz = value;
        }
        if (host is null || !ValidHost(host)) return false;

        if (!Address(host, decodedPath, out string? bucket, out string? key) || bucket is null || key is null || bucket == _partsDomain) return false;
        var now = _g.Clock.GetUtcNow();
        bool anonymous = authz is null;
        if (anonymous)
        {
            if (!_g.Options.PublicReadBuckets.Contains(bucket)) return false;
        }
        else if (!_g.Auth.TryVerifyHeader(authz!, isHead ? "HEAD" : "GET", rawPath, decodedPath, rawQuery, headers, now)) return false;

        // A bucket known not to exist is the slow path's NoSuchBucket. Otherwise the key's cache entry stands for the
        // bucket too: it was filled after the bucket was found, and a bucket cannot go while it holds the key
        // (changes made elsewhere are seen within object_cache_ms, as for the key itself).
        if (_g.Store.TryCachedDomainId(bucket, out int? dmid) && dmid is null) return false;
        if (!_g.Cache.TryGet(bucket, key, out var entry, out var meta)) return false;
        if ((meta.Flags & ObjectFlags.Manifest) != 0) return false;
        long size = entry.Length;
        byte[]? bytes = null;
        if (size > 0 && !isHead && (_g.Cache.Content(entry.Fid) is not { } cached || cached.Length != size || (bytes = cached) is null)) return false;
        var tail = _heads.GetValue(meta, HeadTail);
        if (tail is null) return false;

        Write(head, "HTTP/1.1 200 OK\r\nContent-Length: "u8);
        var span = head.GetSpan(20);
        Utf8Formatter.TryFormat(size, span, out int written);
        head.Advance(written);
        Write(head, "\r\nContent-Type: "u8);
        Write(head, tail.BeforeDate);
        Write(head, Date());
        Write(head, tail.AfterDate);
        if (bytes != null) body = bytes;
        Interlocked.Increment(ref _answered);
        _g.Metrics.RequestDuration.Record(isHead ? "HeadObject" : "GetObject", "200", started);
        return true;
    }

    private static void Write(IBufferWriter<byte> w, ReadOnlySpan<byte> bytes)
    {
        var span = w.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        w.Advance(bytes.Length);
    }

    // ---- the response head after Content-Length ------------------------------------------------------------------

    /// <summary>The response head after "Content-Type: " for one S3 row, around the Date value.</summary>
    private sealed record Tail(byte[] BeforeDate, byte[] AfterDate);

    private sealed record DateLine(long Second, byte[] Value);

    /// <summary>The Date header's value (RFC 1123), made once a second.</summary>
    private static byte[] Date()
    {
        var now = DateTime.UtcNow;
        long second = now.Ticks / TimeSpan.TicksPerSecond;
        var d = Volatile.Read(ref _date);
        if (d.Second == second) return d.Value;
        var line = new DateLine(second, Encoding.ASCII.GetBytes(new DateTime(second * TimeSpan.TicksPerSecond, DateTimeKind.Utc).ToString("r", CultureInfo.InvariantCulture)));
        Volatile.Write(ref _date, line);
        return line.Value;
    }

    /// <summary>
    /// The headers ObjectHeaders.Write sets for one S3 row, in the order Kestrel writes them (its known headers in
    /// its own order, then the others in the order they were added). Null when the row holds something this path
    /// does not reproduce (the request then goes through Kestrel).
    /// </summary>
    private static Tail? HeadTail(ObjectMeta m)
    {
        var known = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var others = new List<(string, string)>();
        foreach (var (k, v) in ObjectHeaders.Parse(m.Meta))
        {
            if (!Printable(v) || v.Length == 0) return null;
            if (k is "Cache-Control" or "Content-Encoding" or "Content-Language" or "Expires") known[k] = v;
            else if (k == "Content-Disposition" || k.StartsWith("x-amz-meta-", StringComparison.Ordinal)) others.Add((k, v));
            else return null;
        }
        string contentType = m.ContentType ?? ObjectHeaders.DefaultContentType;
        if (!Printable(contentType)) return null;
        if (!Printable(m.ETag)) return null;
        var sb = new StringBuilder(256);
        sb.Append("\r\nAccept-Ranges: bytes\r\n");
        foreach (var name in (ReadOnlySpan<string>)["Cache-Control", "Content-Encoding", "Content-Language"])
            if (known.TryGetValue(name, out var v)) sb.Append(name).Append(": ").Append(v).Append("\r\n");
        sb.Append("ETag: ").Append(ObjectHeaders.Quote(m.ETag)).Append("\r\n");
        if (known.TryGetValue("Expires", out var expires)) sb.Append("Expires: ").Append(expires).Append("\r\n");
        sb.Append("Last-Modified: ").Append(DateTimeOffset.FromUnixTimeMilliseconds(m.MtimeMs).ToString("r", CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (var (k, v) in others) sb.Append(k).Append(": ").Append(v).Append("\r\n");
        sb.Append("\r\n");
        return new Tail(Encoding.Latin1.GetBytes(contentType + "\r\nDate: "), Encoding.Latin1.GetBytes(sb.ToString()));
    }

    /// <summary>Characters Kestrel sends as they are with the gateway's Latin-1 response encoding.</summary>
    private static bool Printable(string s)
    {
        foreach (char c in s)
            if (c is < ' ' or '\u007f' || c > '\u00ff') return false;
        return true;
    }

    // ---- request parsing ----------------------------------------------------------------------------------------

    /// <summary>
    /// One complete HTTP/1.1 request head, ending exactly where <paramref name="data"/> ends: "GET" or "HEAD", an
    /// origin-form target of visible ASCII, "HTTP/1.1", header fields with token names (lower-cased here, each name
    /// at most once) and values of visible ASCII or Latin-1 (as Kestrel reads them for the gateway). Anything
    /// unusual is false: Kestrel then judges it.
    /// </summary>
    internal static bool TryParse(ReadOnlySpan<byte> data, Span<(string Name, string Value)> headers, out bool isHead, out string target, out int count)
    {
        isHead = false;
        target = "";
        count = 0;
        if (data.Length < 18 || !data.EndsWith("\r\n\r\n"u8) || data[..^2].IndexOf("\r\n\r\n"u8) >= 0) return false;
        int eol = data.IndexOf("\r\n"u8);
        var line = data[..eol];
        int method;
        if (line.StartsWith("GET "u8)) method = 4;
        else if (line.StartsWith("HEAD "u8)) { method = 5; isHead = true; }
        else return false;
        if (line.Length < method + 9 + 1 || !line.EndsWith(" HTTP/1.1"u8)) return false;
        var t = line[method..^9];
        if (t.Length == 0 || t[0] != '/') return false;
        if (t.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7e) >= 0) return false;
        target = Encoding.ASCII.GetString(t);

        var rest = data[(eol + 2)..^2];
        while (rest.Length > 0)
        {
            int end = rest.IndexOf("\r\n"u8);
            if (end < 0) return false;
            var field = rest[..end];
            rest = rest[(end + 2)..];
            int colon = field.IndexOf((byte)':');
            if (colon <= 0 || count == headers.Length) return false;
            var name = field[..colon];
            if (name.IndexOfAnyExcept(TokenChars) >= 0) return false;
            var value = field[(colon + 1)..].Trim(" \t"u8);
            if (value.IndexOfAny(ControlChars) >= 0) return false;
            string n = Name(name);
            for (int i = 0; i < count; i++)
                if (headers[i].Name == n) return false;
            headers[count++] = (n, Encoding.Latin1.GetString(value));
        }
        return true;
    }

    /// <summary>A header name in lower case (one of <see cref="CommonNames"/> when it is one).</summary>
    private static string Name(ReadOnlySpan<byte> name)
    {
        foreach (var common in CommonNames)
            if (common.Length == name.Length && System.Text.Ascii.EqualsIgnoreCase(name, common)) return common;
        return Encoding.ASCII.GetString(name).ToLowerInvariant();
    }

    /// <summary>The characters of an HTTP token (RFC 9110), which header names are.</summary>
    private static readonly SearchValues<byte> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>Control characters but tab: not in a header value.</summary>
    private static readonly SearchValues<byte> ControlChars =
        SearchValues.Create([.. Enumerable.Range(0, 0x20).Where(b => b != '\t').Select(b => (byte)b), 0x7f]);

    /// <summary>A Host value Kestrel accepts without question: a name or IPv4 address, or [IPv6], and an optional port.</summary>
    private static bool ValidHost(string host)
    {
        if (host.Length == 0) return false;
        foreach (char c in host)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']')) return false;
        return true;
    }

    /// <summary>Bucket and key as <see cref="S3Router"/> addresses them.</summary>
    private bool Address(string hostHeader, string decodedPath, out string? bucket, out string? key)
    {
        bucket = key = null;
        string path = decodedPath.Length == 0 || decodedPath[0] != '/' ? "/" + decodedPath : decodedPath;
        if (_g.Options.VirtualHostDomains.Count > 0)
        {
            string host = HostName(hostHeader);
            foreach (var domain in _g.Options.VirtualHostDomains)
            {
                if (host.Length > domain.Length + 1 && host.EndsWith(domain, StringComparison.OrdinalIgnoreCase) && host[^(domain.Length + 1)] == '.')
                {
                    bucket = host[..^(domain.Length + 1)];
                    key = path.Length > 1 ? path[1..] : null;
                    return true;
                }
            }
        }
        if (path.Length <= 1) return true;
        int slash = path.IndexOf('/', 1);
        if (slash < 0) { bucket = path[1..]; return true; }
        bucket = path[1..slash];
        key = slash + 1 < path.Length ? path[(slash + 1)..] : null;
        return true;
    }

    /// <summary>The host part of a Host header, as <c>HttpRequest.Host.Host</c> gives it.</summary>
    private static string HostName(string host)
    {
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']');
            return close < 0 ? host : host[..(close + 1)];
        }
        int colon = host.IndexOf(':');
        return colon < 0 ? host : host[..colon];
    }
}
