using System.Security.Cryptography;
using System.Text;

namespace MogileFS.Gateway.Auth;

/// <summary>
/// The pieces of AWS Signature Version 4 (AWS's "Signature Calculations for the Authorization
/// Header" and "Authenticating Requests: Using Query Parameters"): canonical request, string to
/// sign, signing key, and the chunk/trailer signatures of streaming uploads.
/// </summary>
public static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>AWS's UriEncode: every byte of the UTF-8 form except A-Z a-z 0-9 - . _ ~ becomes %XX (upper case);
    /// '/' is kept when <paramref name="keepSlash"/>.</summary>
    public static string UriEncode(string s, bool keepSlash)
    {
        var sb = new StringBuilder(s.Length + 16);
        Span<byte> buf = stackalloc byte[4];
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' || (c == '/' && keepSlash))
            {
                sb.Append(c);
                continue;
            }
            int len = char.IsHighSurrogate(c) && i + 1 < s.Length
                ? Encoding.UTF8.GetBytes(s.AsSpan(i++, 2), buf)
                : Encoding.UTF8.GetBytes(s.AsSpan(i, 1), buf);
            for (int j = 0; j < len; j++) sb.Append('%').Append(buf[j].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary><see cref="UriEncode"/> into bytes (ASCII); -1 when <paramref name="into"/> is too small.</summary>
    public static int UriEncodeTo(string s, bool keepSlash, Span<byte> into)
    {
        int n = 0;
        Span<byte> buf = stackalloc byte[4];
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' || (c == '/' && keepSlash))
            {
                if (n >= into.Length) return -1;
                into[n++] = (byte)c;
                continue;
            }
            int len = char.IsHighSurrogate(c) && i + 1 < s.Length
                ? Encoding.UTF8.GetBytes(s.AsSpan(i++, 2), buf)
                : Encoding.UTF8.GetBytes(s.AsSpan(i, 1), buf);
            if (n + 3 * len > into.Length) return -1;
            for (int j = 0; j < len; j++)
            {
                into[n++] = (byte)'%';
                into[n++] = (byte)"0123456789ABCDEF"[buf[j] >> 4];
                into[n++] = (byte)"0123456789ABCDEF"[buf[j] & 15];
            }
        }
        return n;
    }

    /// <summary>The canonical query string: pairs sorted by encoded name (then value), each encoded, without <paramref name="exclude"/>.</summary>
    public static string CanonicalQuery(IReadOnlyList<KeyValuePair<string, string>> query, string? exclude)
    {
        if (query.Count == 0) return "";
        var pairs = new List<(string K, string V)>(query.Count);
        foreach (var (k, v) in query)
            if (k != exclude) pairs.Add((UriEncode(k, false), UriEncode(v, false)));
        pairs.Sort((a, b) =>
        {
            int c = string.CompareOrdinal(a.K, b.K);
            return c != 0 ? c : string.CompareOrdinal(a.V, b.V);
        });
        var sb = new StringBuilder();
        foreach (var (k, v) in pairs)
        {
            if (sb.Length > 0) sb.Append('&');
            sb.Append(k).Append('=').Append(v);
        }
        return sb.ToString();
    }

    /// <summary>A header value as it is signed: trimmed, runs of spaces folded to one.</summary>
    public static string CanonicalHeaderValue(string v)
    {
        v = v.Trim();
        if (!v.Contains("  ", StringComparison.Ordinal) && !v.Contains('\t')) return v;
        var sb = new StringBuilder(v.Length);
        bool space = false;
        foreach (char c in v)
        {
            if (c is ' ' or '\t')
            {
                if (!space) sb.Append(' ');
                space = true;
            }
            else
            {
                sb.Append(c);
                space = false;
            }
        }
        return sb.ToString();
    }

    public static string CanonicalRequest(string method, string canonicalUri, string canonicalQuery,
        IReadOnlyList<(string Name, string Value)> signedHeaders, string payloadHash)
    {
        var sb = new StringBuilder(256);
        sb.Append(method).Append('\n').Append(canonicalUri).Append('\n').Append(canonicalQuery).Append('\n');
        foreach (var (n, v) in signedHeaders) sb.Append(n).Append(':').Append(v).Append('\n');
        sb.Append('\n');
        for (int i = 0; i < signedHeaders.Count; i++)
        {
            if (i > 0) sb.Append(';');
            sb.Append(signedHeaders[i].Name);
        }
        sb.Append('\n').Append(payloadHash);
        return sb.ToString();
    }

    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        $"{Algorithm}\n{amzDate}\n{scope}\n{Sha256Hex(canonicalRequest)}";

    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var k = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        k = HMACSHA256.HashData(k, Encoding.UTF8.GetBytes(region));
        k = HMACSHA256.HashData(k, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(k, "aws4_request"u8);
    }

    public static string Sign(byte[] signingKey, string stringToSign) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>The signature of one aws-chunked chunk (given the hex SHA-256 of its data).</summary>
    public static string ChunkSignature(byte[] signingKey, string amzDate, string scope, string previousSignature, string chunkSha256Hex) =>
        Sign(signingKey, $"AWS4-HMAC-SHA256-PAYLOAD\n{amzDate}\n{scope}\n{previousSignature}\n{EmptySha256}\n{chunkSha256Hex}");

    /// <summary>The signature of the trailing headers of a signed aws-chunked upload.</summary>
    public static string TrailerSignature(byte[] signingKey, string amzDate, string scope, string previousSignature, string trailerSha256Hex) =>
        Sign(signingKey, $"AWS4-HMAC-SHA256-TRAILER\n{amzDate}\n{scope}\n{previousSignature}\n{trailerSha256Hex}");

    /// <summary>
    /// Whether <paramref name="signature"/> (hex, either case) is the signature of <paramref name="canonicalRequest"/>:
    /// the same computation as <see cref="Sign"/> over <see cref="StringToSign"/>, done in stack buffers, since every
    /// signed request pays it.
    /// </summary>
    public static bool Matches(byte[] signingKey, string amzDate, string scope, string canonicalRequest, string signature)
    {
        int max = Encoding.UTF8.GetMaxByteCount(canonicalRequest.Length);
        byte[]? rented = max > 2048 ? System.Buffers.ArrayPool<byte>.Shared.Rent(max) : null;
        try
        {
            Span<byte> text = rented ?? stackalloc byte[2048];
            return Matches(signingKey, amzDate, scope, text[..Encoding.UTF8.GetBytes(canonicalRequest, text)], signature);
        }
        finally
        {
            if (rented != null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary><see cref="Matches(byte[], string, string, string, string)"/> for a canonical request already in UTF-8.</summary>
    public static bool Matches(byte[] signingKey, string amzDate, string scope, ReadOnlySpan<byte> canonicalRequest, ReadOnlySpan<char> signature)
    {
        Span<byte> given = stackalloc byte[32];
        if (signature.Length != 64 || Convert.FromHexString(signature, given, out _, out int decoded) != System.Buffers.OperationStatus.Done || decoded != 32)
            return false;
        Span<byte> hash = stackalloc byte[32];
        (t_sha256 ??= SHA256.Create()).TryComputeHash(canonicalRequest, hash, out _);
        // "AWS4-HMAC-SHA256\n" date "\n" scope "\n" hex(hash): the region in the scope is the client's, so size it.
        int stsMax = Algorithm.Length + 3 + 64 + Encoding.UTF8.GetMaxByteCount(amzDate.Length + scope.Length);
        byte[]? stsRented = stsMax > 512 ? System.Buffers.ArrayPool<byte>.Shared.Rent(stsMax) : null;
        Span<byte> mac = stackalloc byte[32];
        try
        {
            Span<byte> sts = stsRented ?? stackalloc byte[512];
            int n = Encoding.ASCII.GetBytes(Algorithm, sts);
            sts[n++] = (byte)'\n';
            n += Encoding.UTF8.GetBytes(amzDate, sts[n..]);
            sts[n++] = (byte)'\n';
            n += Encoding.UTF8.GetBytes(scope, sts[n..]);
            sts[n++] = (byte)'\n';
            n += HexLower(hash, sts[n..]);
            var hmac = Hmac(signingKey);
            hmac.AppendData(sts[..n]);
            hmac.TryGetHashAndReset(mac, out _);
        }
        finally
        {
            if (stsRented != null) System.Buffers.ArrayPool<byte>.Shared.Return(stsRented);
        }
        return CryptographicOperations.FixedTimeEquals(mac, given);
    }

    // Every signed request hashes its canonical request and MACs its string to sign. OpenSSL's one-shot calls set up
    // a context each time (an HMAC costs about twice as much that way); a context per thread, and per signing key
    // for the HMAC (keys change once a day per access key), is reset instead.
    [ThreadStatic] private static SHA256? t_sha256;
    [ThreadStatic] private static byte[]? t_hmacKey;
    [ThreadStatic] private static IncrementalHash? t_hmac;

    private static IncrementalHash Hmac(byte[] signingKey)
    {
        if (t_hmac != null && ReferenceEquals(t_hmacKey, signingKey)) return t_hmac;
        t_hmac?.Dispose();
        t_hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, signingKey);
        t_hmacKey = signingKey;
        return t_hmac;
    }

    private static int HexLower(ReadOnlySpan<byte> bytes, Span<byte> into)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            into[2 * i] = (byte)"0123456789abcdef"[bytes[i] >> 4];
            into[2 * i + 1] = (byte)"0123456789abcdef"[bytes[i] & 15];
        }
        return 2 * bytes.Length;
    }

    public static string Sha256Hex(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    /// <summary>Constant-time comparison of two hex signatures.</summary>
    public static bool SameSignature(string a, string b) =>
        a.Length == b.Length && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b.ToLowerInvariant()));
}
