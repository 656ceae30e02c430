using System.Globalization;
using MogileFS.Gateway.S3;

namespace MogileFS.Gateway.Auth;

/// <summary>Who sent a request and how to read its payload.</summary>
public sealed class AuthResult
{
    public static readonly AuthResult Anonymous = new(null, null);

    public AuthResult(string? accessKeyId, Stream? body)
    {
        AccessKeyId = accessKeyId;
        Body = body;
    }

    /// <summary>The access key that signed the request; null for anonymous requests.</summary>
    public string? AccessKeyId { get; }

    public bool IsAnonymous => AccessKeyId is null;

    /// <summary>The decoded, verifying payload stream, or null to read the request body as it is.</summary>
    public Stream? Body { get; }
}

/// <summary>
/// Checks AWS Signature Version 4: the Authorization header, presigned URLs (X-Amz-* query
/// parameters, expiry enforced) and streaming aws-chunked payloads (per-chunk signatures and
/// signed or unsigned trailers). Failures are S3's own errors (InvalidAccessKeyId,
/// SignatureDoesNotMatch, RequestTimeTooSkewed, AccessDenied "Request has expired", ...).
/// The region in a credential scope is taken as the client sends it, so clients configured
/// with any region work; the service must be <c>s3</c>.
/// </summary>
public sealed class Authenticator
{
    private readonly Dictionary<string, string> _secrets;
    private readonly GatewayOptions _options;

    public Authenticator(GatewayOptions options)
    {
        _options = options;
        _secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var k in options.AccessKeys) _secrets[k.Id] = k.Secret;
    }

    public ValueTask<AuthResult> AuthenticateAsync(S3Request req, string rawPath, string rawQuery, DateTimeOffset now)
    {
        var authz = req.Header("Authorization");
        if (authz != null)
        {
            if (authz.StartsWith(SigV4.Algorithm + " ", StringComparison.Ordinal)) return new(FromHeader(req, authz, rawPath, now));
            if (authz.StartsWith("AWS ", StringComparison.Ordinal)) throw S3Errors.UnsupportedSignature();
            throw S3Errors.AuthorizationHeaderMalformed("The authorization header is malformed; it must start with AWS4-HMAC-SHA256.");
        }
        if (req.Has("X-Amz-Signature") || req.Has("X-Amz-Credential") || req.Has("X-Amz-Algorithm"))
            return new(FromQuery(req, rawPath, now));
        if (req.Has("AWSAccessKeyId") && req.Has("Signature")) throw S3Errors.UnsupportedSignature();
        return new(AuthResult.Anonymous);
    }

    // ---- Authorization header -------------------------------------------------------------------

    private AuthResult FromHeader(S3Request req, string authz, string rawPath, DateTimeOffset now)
    {
        string? credential = null, signedHeaders = null, signature = null;
        foreach (var part in authz[(SigV4.Algorithm.Length + 1)..].Split(','))
        {
            var p = part.Trim();
            int eq = p.IndexOf('=');
            if (eq <= 0) continue;
            string name = p[..eq], value = p[(eq + 1)..];
            switch (name)
            {
                case "Credential": credential = value; break;
                case "SignedHeaders": signedHeaders = value; break;
                case "Signature": signature = value; break;
            }
        }
        if (credential is null || signedHeaders is null || signature is null)
            throw S3Errors.AuthorizationHeaderMalformed("The authorization header is malformed; Credential, SignedHeaders and Signature are required.");

        var scope = ParseCredential(credential, query: false);
        string amzDate = req.Header("x-amz-date") ?? DateHeaderAsAmz(req.Header("Date"))
            ?? throw S3Errors.AccessDenied("AWS authentication requires a valid Date or x-amz-date header");
        var time = ParseAmzDate(amzDate) ?? throw S3Errors.AccessDenied("AWS authentication requires a valid Date or x-amz-date header");
        if (!amzDate.StartsWith(scope.Date, StringComparison.Ordinal))
            throw S3Errors.AuthorizationHeaderMalformed($"The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date: {scope.Date}.");
        if ((now - time).Duration() > _options.MaxClockSkew) throw S3Errors.RequestTimeTooSkewed()
            .With("RequestTime", amzDate).With("ServerTime", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));

        string payload = req.Header("x-amz-content-sha256")
            ?? throw S3Errors.InvalidRequest("Missing required header for this request: x-amz-content-sha256");
        var key = SigningKey(scope);
        Verify(req, rawPath, SigV4.CanonicalQuery(req.Query, null), signedHeaders, payload, amzDate, scope, key, signature);
        return new AuthResult(scope.AccessKey, PayloadStream(req, payload, key, amzDate, scope, signature));
    }

    /// <summary>
    /// The checks of <see cref="FromHeader"/> for a GET or HEAD without a body answered below Kestrel
    /// (<see cref="S3.FastGet"/>): true only when the request is validly signed, with <c>UNSIGNED-PAYLOAD</c> or the
    /// empty payload's hash. Anything else is false, never an exception: the request then goes through Kestrel and
    /// <see cref="AuthenticateAsync"/>, which gives S3's error. <paramref name="headers"/>: names in lower case, each
    /// at most once.
    /// </summary>
    internal bool TryVerifyHeader(string authz, string method, string rawPath, string decodedPath, string canonicalQuery,
        ReadOnlySpan<(string Name, string Value)> headers, DateTimeOffset now)
    {
        if (!authz.StartsWith(SigV4.Algorithm + " ", StringComparison.Ordinal)) return false;
        ReadOnlySpan<char> credential = default, signedHeaders = default, signature = default;
        var fields = authz.AsSpan(SigV4.Algorithm.Length + 1);
        foreach (var part in fields.Split(','))
        {
            var p = fields[part].Trim();
            int eq = p.IndexOf('=');
            if (eq <= 0) continue;
            var name = p[..eq];
            if (name.SequenceEqual("Credential")) credential = p[(eq + 1)..];
            else if (name.SequenceEqual("SignedHeaders")) signedHeaders = p[(eq + 1)..];
            else if (name.SequenceEqual("Signature")) signature = p[(eq + 1)..];
        }
        if (credential.IsEmpty || signedHeaders.IsEmpty || signature.IsEmpty) return false;
        // The same credential (key, day, region) signs request after request: its scope and signing key are kept.
        if (!_fastScopes.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(credential, out var known))
        {
            var c = credential.ToString().Split('/');
            if (c.Length != 5 || c[4] != "aws4_request" || c[1].Length != 8 || c[3] != "s3" || !_secrets.TryGetValue(c[0], out var secret)) return false;
            var scope = new Scope(c[0], secret, c[1], c[2], c[3]);
            known = (scope, scope.Text, SigningKey(scope));
            if (_fastScopes.Count > 1024) _fastScopes.Clear();
            _fastScopes[credential.ToString()] = known;
        }
        string? amzDate = Find(headers, "x-amz-date");
        if (amzDate is null || ParseAmzDate(amzDate) is not { } time || !amzDate.StartsWith(known.Scope.Date, StringComparison.Ordinal)) return false;
        if ((now - time).Duration() > _options.MaxClockSkew) return false;
        string? payload = Find(headers, "x-amz-content-sha256");
        if (payload is not ("UNSIGNED-PAYLOAD" or SigV4.EmptySha256)) return false;

        // The canonical request (AWS's form, as SigV4.CanonicalRequest builds it), in bytes: one stack buffer.
        string path = decodedPath.Length == 0 ? "/" : decodedPath;
        Span<byte> buffer = stackalloc byte[4096];
        int encodedLength = SigV4.UriEncodeTo(path, keepSlash: true, buffer);
        if (encodedLength < 0) return false;
        var encoded = buffer[..encodedLength];
        var canonical = buffer[encodedLength..];
        bool hasHost = false;
        int n = Put(canonical, 0, method);
        n = Byte(canonical, n, '\n');
        if (n < 0 || n + encoded.Length > canonical.Length) return false;
        int pathAt = n;
        encoded.CopyTo(canonical[n..]);
        n += encoded.Length;
        int pathEnd = n;
        n = Byte(canonical, n, '\n');
        n = Put(canonical, n, canonicalQuery);
        n = Byte(canonical, n, '\n');
        foreach (var range in signedHeaders.Split(';'))
        {
            var name = signedHeaders[range];
            if (name.IsEmpty) continue;
            if (name.SequenceEqual("host")) hasHost = true;
            n = Put(canonical, n, name);
            n = Byte(canonical, n, ':');
            if (Find(headers, name) is { } v) n = Put(canonical, n, SigV4.CanonicalHeaderValue(v));
            n = Byte(canonical, n, '\n');
        }
        if (!hasHost) return false;
        n = Byte(canonical, n, '\n');
        // The signed header list as the client wrote it (empty names dropped, as SigV4.CanonicalRequest has them).
        bool first = true;
        foreach (var range in signedHeaders.Split(';'))
        {
            if (signedHeaders[range].IsEmpty) continue;
            if (!first) n = Byte(canonical, n, ';');
            n = Put(canonical, n, signedHeaders[range]);
            first = false;
        }
        n = Byte(canonical, n, '\n');
        n = Put(canonical, n, payload);
        if (n < 0) return false;
        if (SigV4.Matches(known.Key, amzDate, known.ScopeText, canonical[..n], signature)) return true;
        // Some clients sign the path exactly as they sent it rather than re-encoded.
        if (rawPath.Length == 0 || System.Text.Ascii.Equals(encoded, rawPath)) return false;
        var tail = canonical[pathEnd..n].ToArray();
        int m = Put(canonical, pathAt, rawPath);
        if (m < 0 || m + tail.Length > canonical.Length) return false;
        tail.CopyTo(canonical[m..]);
        return SigV4.Matches(known.Key, amzDate, known.ScopeText, canonical[..(m + tail.Length)], signature);

        static string? Find(ReadOnlySpan<(string Name, string Value)> headers, ReadOnlySpan<char> name)
        {
            foreach (var (hn, v) in headers)
                if (name.SequenceEqual(hn)) return v;
            return null;
        }

        // UTF-8 of text at n; -1 (and from then on -1) when the buffer is too small.
        static int Put(Span<byte> into, int n, ReadOnlySpan<char> text)
        {
            if (n < 0) return -1;
            return System.Text.Encoding.UTF8.TryGetBytes(text, into[n..], out int w) ? n + w : -1;
        }

        static int Byte(Span<byte> into, int n, char c)
        {
            if (n < 0 || n >= into.Length) return -1;
            into[n] = (byte)c;
            return n + 1;
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (Scope Scope, string ScopeText, byte[] Key)> _fastScopes = new(StringComparer.Ordinal);

    // ---- presigned URLs -------------------------------------------------------------------------

    private AuthResult FromQuery(S3Request req, string rawPath, DateTimeOffset now)
    {
        string Need(string name) => req.Q(name) is { Length: > 0 } v ? v
            : throw S3Errors.AuthorizationQueryParametersError($"Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters. ({name} is missing)");
        if (Need("X-Amz-Algorithm") != SigV4.Algorithm)
            throw S3Errors.AuthorizationQueryParametersError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
        var scope = ParseCredential(Need("X-Amz-Credential"), query: true);
        string amzDate = Need("X-Amz-Date");
        var time = ParseAmzDate(amzDate)
            ?? throw S3Errors.AuthorizationQueryParametersError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
        string expiresText = Need("X-Amz-Expires");
        if (!long.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out long expires))
            throw S3Errors.AuthorizationQueryParametersError("X-Amz-Expires should be a number");
        if (expires > 604800) throw S3Errors.AuthorizationQueryParametersError("X-Amz-Expires must be less than a week (in seconds) that is 604800");
        string signedHeaders = Need("X-Amz-SignedHeaders");
        string signature = Need("X-Amz-Signature");
        if (time - now > _options.MaxClockSkew) throw S3Errors.AccessDenied("Request is not valid yet");
        if (now > time.AddSeconds(expires))
            throw S3Errors.ExpiredPresigned().With("X-Amz-Expires", expiresText)
                .With("Expires", time.AddSeconds(expires).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
                .With("ServerTime", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));

        string payload = req.Header("x-amz-content-sha256") ?? "UNSIGNED-PAYLOAD";
        var key = SigningKey(scope);
        Verify(req, rawPath, SigV4.CanonicalQuery(req.Query, "X-Amz-Signature"), signedHeaders, payload, amzDate, scope, key, signature);
        return new AuthResult(scope.AccessKey, PayloadStream(req, payload, key, amzDate, scope, signature));
    }

    // ---- common ---------------------------------------------------------------------------------

    // Signing keys change once a day per access key and region: derive each once (four HMACs saved per request).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string, string), byte[]> _signingKeys = new();

    private byte[] SigningKey(Scope scope)
    {
        var id = (scope.AccessKey, scope.Date, scope.Region);
        if (_signingKeys.TryGetValue(id, out var key)) return key;
        if (_signingKeys.Count > 1024) _signingKeys.Clear();
        return _signingKeys[id] = SigV4.SigningKey(scope.Secret, scope.Date, scope.Region, scope.Service);
    }

    internal sealed record Scope(string AccessKey, string Secret, string Date, string Region, string Service)
    {
        public string Text => $"{Date}/{Region}/{Service}/aws4_request";
    }

    private Scope ParseCredential(string credential, bool query)
    {
        var parts = credential.Split('/');
        if (parts.Length != 5 || parts[4] != "aws4_request" || parts[1].Length != 8)
        {
            string msg = $"Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";
            throw query ? S3Errors.AuthorizationQueryParametersError(msg) : S3Errors.AuthorizationHeaderMalformed(msg);
        }
        if (parts[3] != "s3")
        {
            string msg = $"Error parsing the X-Amz-Credential parameter; incorrect service \"{parts[3]}\". This endpoint belongs to \"s3\".";
            throw query ? S3Errors.AuthorizationQueryParametersError(msg) : S3Errors.AuthorizationHeaderMalformed(msg);
        }
        if (!_secrets.TryGetValue(parts[0], out var secret)) throw S3Errors.InvalidAccessKeyId().With("AWSAccessKeyId", parts[0]);
        return new Scope(parts[0], secret, parts[1], parts[2], parts[3]);
    }

    private static void Verify(S3Request req, string rawPath, string canonicalQuery, string signedHeaders, string payload,
        string amzDate, Scope scope, byte[] key, string signature)
    {
        var names = signedHeaders.Split(';');
        var headers = new List<(string, string)>(names.Length);
        bool hasHost = false;
        foreach (var name in names)
        {
            if (name.Length == 0) continue;
            if (name == "host") hasHost = true;
            var values = req.Request.Headers[name];
            headers.Add((name, values.Count switch
            {
                0 => "",
                1 => SigV4.CanonicalHeaderValue(values[0] ?? ""),
                _ => SigV4.CanonicalHeaderValue(string.Join(',', values.Select(v => v ?? ""))),
            }));
        }
        if (!hasHost) throw S3Errors.AccessDenied("The host header must be signed");
        string method = req.Request.Method;
        string scopeText = scope.Text;

        string path = req.DecodedPath.Length == 0 ? "/" : req.DecodedPath;
        string canonical = SigV4.CanonicalRequest(method, SigV4.UriEncode(path, keepSlash: true), canonicalQuery, headers, payload);
        if (SigV4.Matches(key, amzDate, scopeText, canonical, signature)) return;
        // Some clients sign the path exactly as they sent it rather than re-encoded.
        if (rawPath.Length > 0 && rawPath != SigV4.UriEncode(path, keepSlash: true))
        {
            canonical = SigV4.CanonicalRequest(method, rawPath, canonicalQuery, headers, payload);
            if (SigV4.Matches(key, amzDate, scopeText, canonical, signature)) return;
        }
        throw S3Errors.SignatureDoesNotMatch().With("AWSAccessKeyId", scope.AccessKey);
    }

    private static Stream? PayloadStream(S3Request req, string payload, byte[] key, string amzDate, Scope scope, string seedSignature)
    {
        var checksums = ChecksumVerifier.FromHeaders(req);
        switch (payload)
        {
            case "UNSIGNED-PAYLOAD":
                return checksums is null ? null : new VerifyingStream(req.Request.Body, null, checksums);
            case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD":
                return new AwsChunkedStream(req, signed: true, trailer: false, key, amzDate, scope.Text, seedSignature, checksums);
            case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER":
                return new AwsChunkedStream(req, signed: true, trailer: true, key, amzDate, scope.Text, seedSignature, checksums);
            case "STREAMING-UNSIGNED-PAYLOAD-TRAILER":
                return new AwsChunkedStream(req, signed: false, trailer: true, key, amzDate, scope.Text, seedSignature, checksums);
        }
        if (payload.Length == 64 && payload.All(char.IsAsciiHexDigit))
        {
            // GET/HEAD/DELETE carry no body: nothing to hash.
            if (payload == SigV4.EmptySha256 && checksums is null && (req.Request.ContentLength ?? 0) == 0 && !req.Request.Headers.ContainsKey("Transfer-Encoding"))
                return null;
            return new VerifyingStream(req.Request.Body, payload.ToLowerInvariant(), checksums);
        }
        throw S3Errors.InvalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a valid sha256 value.",
            "x-amz-content-sha256", payload);
    }

    /// <summary>yyyyMMdd'T'HHmmss'Z' (ISO 8601 basic, UTC), parsed by hand: every signed request has one.</summary>
    internal static DateTimeOffset? ParseAmzDate(string s)
    {
        if (s.Length != 16 || s[8] != 'T' || s[15] != 'Z') return null;
        static bool Num(string s, int at, int len, out int v)
        {
            v = 0;
            for (int i = at; i < at + len; i++)
            {
                if (!char.IsAsciiDigit(s[i])) return false;
                v = v * 10 + (s[i] - '0');
            }
            return true;
        }
        if (!Num(s, 0, 4, out int y) || !Num(s, 4, 2, out int mo) || !Num(s, 6, 2, out int d)
            || !Num(s, 9, 2, out int h) || !Num(s, 11, 2, out int mi) || !Num(s, 13, 2, out int sec)) return null;
        if (y < 1 || mo is < 1 or > 12 || d < 1 || d > DateTime.DaysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) return null;
        return new DateTimeOffset(y, mo, d, h, mi, sec, TimeSpan.Zero);
    }

    private static string? DateHeaderAsAmz(string? date) =>
        date != null && DateTimeOffset.TryParse(date, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) : null;
}
