using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using MogileFS.Gateway.Auth;

namespace MogileFS.Gateway.Tests;

public class AuthTests(GatewayFixture f) : IClassFixture<GatewayFixture>, IAsyncLifetime
{
    private const string B = "auth";

    public async Task InitializeAsync()
    {
        using var s3 = f.S3();
        foreach (var b in new[] { B, GatewayFixture.PublicBucket })
        {
            try { await s3.PutBucketAsync(b); }
            catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { }
        }
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "secret.txt", ContentBody = "private data" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = GatewayFixture.PublicBucket, Key = "open.txt", ContentBody = "public data" });
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_wrong_secret_is_SignatureDoesNotMatch()
    {
        using var s3 = f.S3(secret: "not-the-secret");
        await S3Assert.Fails("SignatureDoesNotMatch", HttpStatusCode.Forbidden, () => s3.GetObjectAsync(B, "secret.txt"));
        await S3Assert.Fails("SignatureDoesNotMatch", HttpStatusCode.Forbidden,
            () => s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "x", ContentBody = "x" }));
    }

    [Fact]
    public async Task An_unknown_access_key_is_InvalidAccessKeyId()
    {
        using var s3 = f.S3(accessKey: "AKIDUNKNOWN");
        await S3Assert.Fails("InvalidAccessKeyId", HttpStatusCode.Forbidden, () => s3.ListBucketsAsync(new ListBucketsRequest()));
    }

    [Fact]
    public async Task A_skewed_clock_is_RequestTimeTooSkewed()
    {
        var res = await RawS3.SendAsync(f, HttpMethod.Get, $"/{B}/secret.txt", null, [], now: DateTimeOffset.UtcNow.AddMinutes(-20));
        Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
        Assert.Contains("<Code>RequestTimeTooSkewed</Code>", await res.Content.ReadAsStringAsync());
        res = await RawS3.SendAsync(f, HttpMethod.Get, $"/{B}/secret.txt", null, [], now: DateTimeOffset.UtcNow.AddMinutes(-10));
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
    }

    [Fact]
    public async Task A_body_that_does_not_match_its_signed_hash_is_refused_and_not_stored()
    {
        var res = await RawS3.SendAsync(f, HttpMethod.Put, $"/{B}/tampered", "what arrived"u8.ToArray(), [],
            payloadHash: Convert.ToHexStringLower(SHA256.HashData("what was signed"u8.ToArray())));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Contains("<Code>XAmzContentSHA256Mismatch</Code>", await res.Content.ReadAsStringAsync());
        using var s3 = f.S3();
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, "tampered"));
    }

    [Fact]
    public async Task Signature_version_2_is_refused_with_a_clear_error()
    {
        var req = new HttpRequestMessage(HttpMethod.Get, f.Url + $"/{B}/secret.txt");
        req.Headers.TryAddWithoutValidation("Authorization", "AWS " + GatewayFixture.AccessKey + ":c2lnbmF0dXJl");
        var res = await RawS3.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Contains("AWS4-HMAC-SHA256", await res.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Presigned_urls_get_and_put_and_are_checked()
    {
        using var s3 = f.S3();
        string get = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = B, Key = "secret.txt", Verb = HttpVerb.GET, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
        });
        Assert.Equal("private data", await RawS3.Http.GetStringAsync(get));

        string put = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = B, Key = "uploaded by url", Verb = HttpVerb.PUT, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Protocol.HTTP,
        });
        var res = await RawS3.Http.PutAsync(put, new ByteArrayContent("via presigned put"u8.ToArray()));
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        using (var back = await s3.GetObjectAsync(B, "uploaded by url"))
            Assert.Equal("via presigned put", Encoding.UTF8.GetString(await S3Assert.ReadAll(back.ResponseStream)));

        // Pointing a signed URL at another key breaks the signature.
        res = await RawS3.Http.GetAsync(get.Replace("secret.txt", "uploaded%20by%20url"));
        Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", await res.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_expired_presigned_url_is_AccessDenied()
    {
        using var s3 = f.S3();
        string url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = B, Key = "secret.txt", Verb = HttpVerb.GET, Expires = DateTime.UtcNow.AddSeconds(1), Protocol = Protocol.HTTP,
        });
        await Task.Delay(2500);
        var res = await RawS3.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
        var xml = await res.Content.ReadAsStringAsync();
        Assert.Contains("<Code>AccessDenied</Code>", xml);
        Assert.Contains("Request has expired", xml);
    }

    [Fact]
    public async Task Anonymous_clients_read_public_buckets_only()
    {
        using var anon = new AmazonS3Client(new AnonymousAWSCredentials(), new AmazonS3Config { ServiceURL = f.Url, ForcePathStyle = true, MaxErrorRetry = 0 });
        using (var get = await anon.GetObjectAsync(GatewayFixture.PublicBucket, "open.txt"))
            Assert.Equal("public data", Encoding.UTF8.GetString(await S3Assert.ReadAll(get.ResponseStream)));
        var list = await anon.ListObjectsV2Async(new ListObjectsV2Request { BucketName = GatewayFixture.PublicBucket });
        Assert.Contains(list.S3Objects, o => o.Key == "open.txt");
        Assert.Equal("public data", await RawS3.Http.GetStringAsync(f.Url + "/public/open.txt"));

        await S3Assert.Fails("AccessDenied", HttpStatusCode.Forbidden, () => anon.GetObjectAsync(B, "secret.txt"));
        await S3Assert.Fails("AccessDenied", HttpStatusCode.Forbidden,
            () => anon.PutObjectAsync(new PutObjectRequest { BucketName = GatewayFixture.PublicBucket, Key = "vandal", ContentBody = "x" }));
        await S3Assert.Fails("AccessDenied", HttpStatusCode.Forbidden, () => anon.DeleteObjectAsync(GatewayFixture.PublicBucket, "open.txt"));
        await S3Assert.Fails("AccessDenied", HttpStatusCode.Forbidden, () => anon.ListBucketsAsync(new ListBucketsRequest()));
    }

    [Fact]
    public async Task Sdk_uploads_use_streaming_signatures_and_trailing_checksums_and_both_verify()
    {
        var data = S3Assert.Bytes(300_000, seed: 11);
        // The SDK's default: a CRC32 trailer after an aws-chunked body.
        using (var s3 = f.S3())
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "stream/default", InputStream = new MemoryStream(data) });
        // Checksums only when required: signed chunks without a trailer.
        using (var s3 = f.S3(configure: c => c.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED))
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "stream/plain", InputStream = new MemoryStream(data), UseChunkEncoding = true });
        var modes = f.Recorder.Seen.Where(s => s.Method == "PUT" && s.Path.Contains("/stream/")).Select(s => s.PayloadMode).Distinct().ToList();
        Assert.True(modes.Any(m => m != null && m.StartsWith("STREAMING-", StringComparison.Ordinal)), "modes seen: " + string.Join(", ", modes));
        using var check = f.S3();
        foreach (var key in new[] { "stream/default", "stream/plain" })
        {
            using var get = await check.GetObjectAsync(B, key);
            Assert.Equal(data, await S3Assert.ReadAll(get.ResponseStream));
        }
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    [InlineData(false, true, true)]
    public async Task Streaming_uploads_are_verified_chunk_by_chunk(bool signedTrailer, bool tamper, bool badChecksum)
    {
        var data = S3Assert.Bytes(200_000, seed: 5);
        string key = $"chunked/{signedTrailer}-{tamper}-{badChecksum}";
        var res = await SendChunkedAsync(key, data, signedTrailer, tamper, badChecksum);
        var body = await res.Content.ReadAsStringAsync();
        using var s3 = f.S3();
        if (!tamper && !badChecksum)
        {
            Assert.True(res.StatusCode == HttpStatusCode.OK, body);
            using var get = await s3.GetObjectAsync(B, key);
            Assert.Equal(data, await S3Assert.ReadAll(get.ResponseStream));
            return;
        }
        Assert.Contains(tamper ? "<Code>SignatureDoesNotMatch</Code>" : "<Code>BadDigest</Code>", body);
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, key));
    }

    /// <summary>An aws-chunked PUT (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, optionally with a signed CRC32 trailer), 64 KiB chunks.</summary>
    private async Task<HttpResponseMessage> SendChunkedAsync(string key, byte[] data, bool trailer, bool tamper, bool badChecksum)
    {
        var t = DateTimeOffset.UtcNow;
        string amzDate = t.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string date = amzDate[..8], scope = $"{date}/us-east-1/s3/aws4_request";
        string mode = trailer ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" : "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
        var uri = new Uri(f.Url + "/" + B + "/" + Uri.EscapeDataString(key).Replace("%2F", "/"));
        var headers = new List<(string, string)>
        {
            ("content-encoding", "aws-chunked"), ("host", uri.Authority), ("x-amz-content-sha256", mode),
            ("x-amz-date", amzDate), ("x-amz-decoded-content-length", data.Length.ToString(CultureInfo.InvariantCulture)),
        };
        if (trailer) headers.Add(("x-amz-trailer", "x-amz-checksum-crc32"));
        headers.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        var signingKey = SigV4.SigningKey(GatewayFixture.SecretKey, date, "us-east-1", "s3");
        string canonical = SigV4.CanonicalRequest("PUT", uri.AbsolutePath, "", headers, mode);
        string seed = SigV4.Sign(signingKey, SigV4.StringToSign(amzDate, scope, canonical));

        var body = new MemoryStream();
        void Line(string s) => body.Write(Encoding.ASCII.GetBytes(s + "\r\n"));
        string prev = seed;
        for (int off = 0; ; off += 65536)
        {
            off = Math.Min(off, data.Length);
            int n = Math.Min(65536, data.Length - off);
            var chunk = data.AsSpan(off, n).ToArray();
            string sig = SigV4.ChunkSignature(signingKey, amzDate, scope, prev, Convert.ToHexStringLower(SHA256.HashData(chunk)));
            prev = sig;
            if (tamper && off == 65536) chunk[10] ^= 1; // the second chunk arrives changed
            Line($"{n:x};chunk-signature={sig}");
            body.Write(chunk);
            if (n == 0) break;
            Line("");
        }
        if (trailer)
        {
            var crc = System.IO.Hashing.Crc32.HashToUInt32(data);
            if (badChecksum) crc ^= 1;
            string value = Convert.ToBase64String([(byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc]);
            string trailerText = $"x-amz-checksum-crc32:{value}\n";
            string tsig = SigV4.TrailerSignature(signingKey, amzDate, scope, prev, Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(trailerText))));
            Line($"x-amz-checksum-crc32:{value}");
            Line($"x-amz-trailer-signature:{tsig}");
        }
        Line("");

        var req = new HttpRequestMessage(HttpMethod.Put, uri) { Content = new ByteArrayContent(body.ToArray()) };
        req.Content.Headers.ContentEncoding.Add("aws-chunked");
        foreach (var (n, v) in headers)
            if (n is not ("host" or "content-encoding")) req.Headers.TryAddWithoutValidation(n, v);
        req.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={GatewayFixture.AccessKey}/{scope}, SignedHeaders={string.Join(';', headers.Select(h => h.Item1))}, Signature={seed}");
        return await RawS3.Http.SendAsync(req);
    }

    [Fact]
    public async Task Virtual_hosted_style_addressing_names_the_bucket_in_the_host()
    {
        var gateway = f.Gateway.EndPoint;
        using var s3 = f.S3(configure: c =>
        {
            c.ServiceURL = $"http://{GatewayFixture.VirtualHostDomain}:{gateway.Port}";
            c.ForcePathStyle = false;
            c.HttpClientFactory = new FixedAddressHttpClientFactory(gateway);
        });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "vhost/key", ContentBody = "virtual" });
        using (var get = await s3.GetObjectAsync(B, "vhost/key"))
            Assert.Equal("virtual", Encoding.UTF8.GetString(await S3Assert.ReadAll(get.ResponseStream)));
        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, Prefix = "vhost/" });
        Assert.Single(list.S3Objects);
        Assert.Contains(f.Recorder.Seen, s => s.Path == "/vhost/key");
    }

    /// <summary>Connects every request to the gateway, whatever the host name (so auth.s3.localhost needs no DNS).</summary>
    private sealed class FixedAddressHttpClientFactory(IPEndPoint target) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(target, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
    }
}

/// <summary>The allocation-free signature check and date parser agree with the plain computation they replace.</summary>
public class SigV4FastPathTests
{
    [Theory]
    [InlineData("us-east-1", 100)]
    [InlineData("a-region-name-long-enough-to-need-more-than-the-stack-buffer-of-the-string-to-sign-" +
                "a-region-name-long-enough-to-need-more-than-the-stack-buffer-of-the-string-to-sign-" +
                "a-region-name-long-enough-to-need-more-than-the-stack-buffer-of-the-string-to-sign-" +
                "a-region-name-long-enough-to-need-more-than-the-stack-buffer-of-the-string-to-sign-" +
                "a-region-name-long-enough-to-need-more-than-the-stack-buffer-of-the-string-to-sign-" +
                "a-region-name-long-enough-to-need-more-than-the-stack-buffer-of-the-string-to-sign-", 5000)]
    public void Matches_accepts_exactly_the_signature_Sign_computes(string region, int canonicalLength)
    {
        var key = SigV4.SigningKey("secret", "20261206", region, "s3");
        string scope = $"20261206/{region}/s3/aws4_request";
        string canonical = "GET\n/bucket/k\u00e9y\n\nhost:x\n\nhost\n" + new string('x', canonicalLength);
        string good = SigV4.Sign(key, SigV4.StringToSign("20261206T120000Z", scope, canonical));
        Assert.True(SigV4.Matches(key, "20261206T120000Z", scope, canonical, good));
        Assert.True(SigV4.Matches(key, "20261206T120000Z", scope, canonical, good.ToUpperInvariant()));
        Assert.False(SigV4.Matches(key, "20261206T120001Z", scope, canonical, good));
        Assert.False(SigV4.Matches(key, "20261206T120000Z", scope, canonical + "!", good));
        Assert.False(SigV4.Matches(key, "20261206T120000Z", scope, canonical, good[..^1] + (good[^1] == '0' ? '1' : '0')));
        Assert.False(SigV4.Matches(key, "20261206T120000Z", scope, canonical, good[..^2]));
        Assert.False(SigV4.Matches(key, "20261206T120000Z", scope, canonical, "zz" + good[2..]));
    }

    [Theory]
    [InlineData("20261206T235959Z", true)]
    [InlineData("20240229T000000Z", true)]
    [InlineData("20230229T000000Z", false)]
    [InlineData("20261306T000000Z", false)]
    [InlineData("20261206T240000Z", false)]
    [InlineData("20261206 120000Z", false)]
    [InlineData("20261206T120000", false)]
    [InlineData("2026120xT120000Z", false)]
    [InlineData("00001206T120000Z", false)]
    public void Amz_dates_parse_as_the_format_says(string text, bool valid)
    {
        var parsed = Authenticator.ParseAmzDate(text);
        Assert.Equal(valid, parsed != null);
        if (valid)
            Assert.Equal(DateTimeOffset.ParseExact(text, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal), parsed);
    }
}
