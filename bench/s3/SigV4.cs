using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace S3Bench;

/// <summary>
/// A small AWS Signature Version 4 signer for the load tool (header form, path-style, region
/// us-east-1, UNSIGNED-PAYLOAD). Cheaper per request than a full SDK client, so the figures show
/// the gateway's cost rather than the client's; the signing key is derived once per day, and each thread reuses its
/// SHA-256 and HMAC contexts (OpenSSL's one-shot HMAC sets one up per call, about twice the cost).
/// </summary>
internal sealed class SigV4(string accessKey, string secretKey, string region = "us-east-1")
{
    [ThreadStatic] private static SHA256? t_sha256;
    [ThreadStatic] private static IncrementalHash? t_hmac;
    [ThreadStatic] private static byte[]? t_hmacKey;
    private string _keyDate = "";
    private byte[] _signingKey = [];

    public void Sign(HttpRequestMessage request)
    {
        string amzDate = AmzDate();
        string date = amzDate[..8];
        var uri = request.RequestUri!;
        string host = uri.IsDefaultPort ? uri.Host : uri.Host + ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
        const string payload = "UNSIGNED-PAYLOAD";
        request.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        request.Headers.TryAddWithoutValidation("x-amz-content-sha256", payload);

        string canonicalQuery = uri.Query.Length <= 1 ? "" : string.Join('&', uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Contains('=') ? p : p + "=").Order(StringComparer.Ordinal));
        string canonical = string.Join('\n',
            request.Method.Method, uri.AbsolutePath, canonicalQuery,
            "host:" + host, "x-amz-content-sha256:" + payload, "x-amz-date:" + amzDate, "",
            "host;x-amz-content-sha256;x-amz-date", payload);
        string scope = $"{date}/{region}/s3/aws4_request";
        string toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
            + Convert.ToHexStringLower((t_sha256 ??= SHA256.Create()).ComputeHash(Encoding.UTF8.GetBytes(canonical)));
        var key = SigningKey(date);
        if (t_hmac is null || !ReferenceEquals(t_hmacKey, key))
        {
            t_hmac?.Dispose();
            t_hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            t_hmacKey = key;
        }
        t_hmac.AppendData(Encoding.UTF8.GetBytes(toSign));
        string signature = Convert.ToHexStringLower(t_hmac.GetHashAndReset());
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={accessKey}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}");
    }

    private sealed record Stamp(long Second, string Text);
    private Stamp _amzDate = new(-1, "");

    /// <summary>The x-amz-date value (formatted once a second).</summary>
    private string AmzDate()
    {
        var now = DateTime.UtcNow;
        long second = now.Ticks / TimeSpan.TicksPerSecond;
        var d = _amzDate;
        if (d.Second == second) return d.Text;
        string text = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        _amzDate = new Stamp(second, text);
        return text;
    }

    private byte[] SigningKey(string date)
    {
        lock (this)
        {
            if (_keyDate != date)
            {
                byte[] k = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretKey), Encoding.UTF8.GetBytes(date));
                k = HMACSHA256.HashData(k, Encoding.UTF8.GetBytes(region));
                k = HMACSHA256.HashData(k, "s3"u8);
                _signingKey = HMACSHA256.HashData(k, "aws4_request"u8);
                _keyDate = date;
            }
            return _signingKey;
        }
    }
}
