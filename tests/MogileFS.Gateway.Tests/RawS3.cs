using System.Globalization;
using System.Security.Cryptography;
using MogileFS.Gateway.Auth;
using MogileFS.Gateway.S3;

namespace MogileFS.Gateway.Tests;

/// <summary>Hand-made SigV4 requests, for what the AWS SDK will not send (malformed input, skewed clocks, tampered chunks).</summary>
internal static class RawS3
{
    public static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });

    public static async Task<HttpResponseMessage> SendAsync(GatewayFixture f, HttpMethod method, string pathAndQuery, byte[]? body,
        (string Name, string Value)[] headers, DateTimeOffset? now = null, string? secret = null, string? payloadHash = null)
    {
        var req = Build(f, method, pathAndQuery, body, headers, now, secret, payloadHash);
        return await Http.SendAsync(req);
    }

    public static HttpRequestMessage Build(GatewayFixture f, HttpMethod method, string pathAndQuery, byte[]? body,
        (string Name, string Value)[] headers, DateTimeOffset? now = null, string? secret = null, string? payloadHash = null)
    {
        var t = now ?? DateTimeOffset.UtcNow;
        string amzDate = t.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string date = amzDate[..8];
        var uri = new Uri(f.Url + pathAndQuery);
        string hash = payloadHash ?? Convert.ToHexStringLower(SHA256.HashData(body ?? []));
        var req = new HttpRequestMessage(method, uri);
        if (body != null) req.Content = new ByteArrayContent(body);
        var signed = new List<(string, string)>
        {
            ("host", uri.Authority),
            ("x-amz-content-sha256", hash),
            ("x-amz-date", amzDate),
        };
        foreach (var (n, v) in headers)
        {
            if (!req.Headers.TryAddWithoutValidation(n, v)) req.Content!.Headers.TryAddWithoutValidation(n, v);
            signed.Add((n.ToLowerInvariant(), v));
        }
        signed.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        var (rawPath, rawQuery) = S3Request.SplitTarget(uri.PathAndQuery);
        string canonical = SigV4.CanonicalRequest(method.Method, SigV4.UriEncode(S3Request.PercentDecode(rawPath), true),
            SigV4.CanonicalQuery(S3Request.ParseQuery(rawQuery), null), signed, hash);
        string scope = $"{date}/us-east-1/s3/aws4_request";
        var key = SigV4.SigningKey(secret ?? GatewayFixture.SecretKey, date, "us-east-1", "s3");
        string sig = SigV4.Sign(key, SigV4.StringToSign(amzDate, scope, canonical));
        req.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        req.Headers.TryAddWithoutValidation("x-amz-content-sha256", hash);
        req.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={GatewayFixture.AccessKey}/{scope}, SignedHeaders={string.Join(';', signed.Select(s => s.Item1))}, Signature={sig}");
        return req;
    }
}
