using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using MogileFS.Gateway.Auth;
using MogileFS.Gateway.S3;

namespace MogileFS.Gateway.Tests;

public sealed class FastGetFixture : GatewayFixture
{
    protected override string Net => "127.0.128";
}

/// <summary>
/// GETs answered by the gateway's transport without Kestrel (<see cref="FastGet"/>, option fast_get): the same bytes
/// as through Kestrel, only for requests whose answer is fully known, never out of order on a connection, and
/// everything else (errors, ranges, conditions, bodies, pipelining, Connection: close) left to Kestrel. The other
/// gateway tests run with it on as well (it is the default).
/// </summary>
public class FastGetTests(FastGetFixture f) : IClassFixture<FastGetFixture>, IAsyncLifetime
{
    private const string B = "fastget";

    public async Task InitializeAsync()
    {
        using var s3 = f.S3();
        try { await s3.PutBucketAsync(B); }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private long Answered => f.Gateway.FastGet!.Answered;

    /// <summary>
    /// Lets Kestrel get back to waiting for the next request after one it answered. A request that arrives before
    /// (a client that sends the moment it has read an answer) is simply Kestrel's too; tests that expect the next
    /// request to be answered below Kestrel wait this long first.
    /// </summary>
    private static Task Settle() => Task.Delay(150);

    // ---- raw HTTP on one connection ----

    /// <summary>A signed request as bytes (path-style, UNSIGNED-PAYLOAD unless told), with extra header lines.</summary>
    private string Request(string method, string pathAndQuery, string extra = "", string? secret = null, string payload = "UNSIGNED-PAYLOAD",
        bool sign = true, bool signRawPath = false, string? host = null)
    {
        var now = DateTimeOffset.UtcNow;
        string amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        host ??= new Uri(f.Url).Authority;
        if (!sign) return $"{method} {pathAndQuery} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n";
        var (rawPath, rawQuery) = S3Request.SplitTarget(pathAndQuery);
        var signed = new List<(string, string)> { ("host", host), ("x-amz-content-sha256", payload), ("x-amz-date", amzDate) };
        string canonical = SigV4.CanonicalRequest(method, signRawPath ? rawPath : SigV4.UriEncode(S3Request.PercentDecode(rawPath), true),
            SigV4.CanonicalQuery(S3Request.ParseQuery(rawQuery), null), signed, payload);
        string scope = $"{amzDate[..8]}/us-east-1/s3/aws4_request";
        string sig = SigV4.Sign(SigV4.SigningKey(secret ?? GatewayFixture.SecretKey, amzDate[..8], "us-east-1", "s3"), SigV4.StringToSign(amzDate, scope, canonical));
        return $"{method} {pathAndQuery} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: fastget-test\r\nx-amz-content-sha256: {payload}\r\nx-amz-date: {amzDate}\r\n"
            + $"Authorization: AWS4-HMAC-SHA256 Credential={GatewayFixture.AccessKey}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}\r\n"
            + extra + "\r\n";
    }

    private sealed record Reply(int Status, List<(string Name, string Value)> Headers, byte[] Body, string Head)
    {
        public string? H(string name) => Headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

        /// <summary>The head without its Date line (the one thing that may differ between the two paths).</summary>
        public string HeadWithoutDate => string.Join("\r\n", Head.Split("\r\n").Where(l => !l.StartsWith("Date: ", StringComparison.Ordinal)));
    }

    private sealed class Conn : IDisposable
    {
        private readonly Socket _s;
        private readonly List<byte> _buf = [];

        public Conn(string url)
        {
            var u = new Uri(url);
            _s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            _s.Connect(IPAddress.Parse(u.Host), u.Port);
            _s.ReceiveTimeout = 20000;
        }

        public void Send(string text) => Send(Encoding.Latin1.GetBytes(text));

        public void Send(byte[] bytes)
        {
            for (int at = 0; at < bytes.Length;) at += _s.Send(bytes, at, bytes.Length - at, SocketFlags.None);
        }

        private bool Fill()
        {
            var chunk = new byte[65536];
            int n = _s.Receive(chunk);
            if (n == 0) return false;
            _buf.AddRange(chunk.AsSpan(0, n).ToArray());
            return true;
        }

        public Reply Read(bool head = false)
        {
            int end;
            while ((end = IndexOf(_buf, "\r\n\r\n"u8.ToArray())) < 0)
                if (!Fill()) throw new IOException("connection closed before a response head");
            string text = Encoding.Latin1.GetString(_buf.GetRange(0, end).ToArray());
            _buf.RemoveRange(0, end + 4);
            var lines = text.Split("\r\n");
            int status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
            var headers = lines.Skip(1).Select(l => (l[..l.IndexOf(':')], l[(l.IndexOf(':') + 1)..].Trim())).ToList();
            long length = head || status is 204 or 304 ? 0
                : long.Parse(headers.FirstOrDefault(h => h.Item1.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Item2 ?? "0", CultureInfo.InvariantCulture);
            while (_buf.Count < length)
                if (!Fill()) throw new IOException("connection closed in a response body");
            var body = _buf.GetRange(0, (int)length).ToArray();
            _buf.RemoveRange(0, (int)length);
            return new Reply(status, headers, body, text);
        }

        /// <summary>True when the server closed the connection (nothing more arrives).</summary>
        public bool Closed()
        {
            try { return _buf.Count == 0 && !Fill(); }
            catch (SocketException) { return true; }
        }

        private static int IndexOf(List<byte> list, byte[] pattern)
        {
            for (int i = 0; i + pattern.Length <= list.Count; i++)
            {
                int j = 0;
                while (j < pattern.Length && list[i + j] == pattern[j]) j++;
                if (j == pattern.Length) return i;
            }
            return -1;
        }

        public void Dispose() => _s.Dispose();
    }

    private async Task<byte[]> PutAsync(string key, int size, int seed, Action<PutObjectRequest>? more = null)
    {
        var data = S3Assert.Bytes(size, seed);
        using var s3 = f.S3();
        var put = new PutObjectRequest { BucketName = B, Key = key, InputStream = new MemoryStream(data) };
        more?.Invoke(put);
        await s3.PutObjectAsync(put);
        return data;
    }

    [Fact]
    public async Task A_cached_get_is_answered_below_kestrel_with_the_same_bytes()
    {
        var data = await PutAsync("same/bytes", 1500, 1, p =>
        {
            p.ContentType = "image/png";
            p.Headers.CacheControl = "max-age=60";
            p.Headers.ContentEncoding = "identity";
            p.Headers.ContentDisposition = "attachment; filename=\"a b.png\"";
            p.Headers.Expires = new DateTime(2031, 1, 2, 3, 4, 5, DateTimeKind.Utc);
            p.Headers["Content-Language"] = "de";
            p.Metadata["zeta"] = "last";
            p.Metadata["alpha"] = "first";
        });
        using var c = new Conn(f.Url);
        long before = Answered;
        c.Send(Request("GET", $"/{B}/same/bytes")); // fills the caches, through Kestrel
        var slow = c.Read();
        Assert.Equal(before, Answered);
        await Settle();
        c.Send(Request("GET", $"/{B}/same/bytes"));
        var fast = c.Read();
        Assert.Equal(before + 1, Answered);
        Assert.Equal(200, fast.Status);
        Assert.Equal(data, fast.Body);
        Assert.Equal(slow.Body, fast.Body);
        Assert.Equal(slow.HeadWithoutDate, fast.HeadWithoutDate);
        Assert.NotNull(fast.H("Date"));
        Assert.Equal("\"" + S3Assert.Md5Hex(data) + "\"", fast.H("ETag"));
        Assert.Equal("first", fast.H("x-amz-meta-alpha"));

        // HEAD: the same head, no body; x-id=GetObject (added by some SDKs) is a plain GET.
        c.Send(Request("HEAD", $"/{B}/same/bytes"));
        var head = c.Read(head: true);
        Assert.Equal(before + 2, Answered);
        Assert.Equal(slow.HeadWithoutDate, head.HeadWithoutDate);
        c.Send(Request("GET", $"/{B}/same/bytes?x-id=GetObject"));
        Assert.Equal(data, c.Read().Body);
        Assert.Equal(before + 3, Answered);
    }

    [Theory]
    [InlineData("enc/caf%C3%A9%20au%20lait", false)]
    [InlineData("enc/caf%c3%a9%20au%20lait", true)] // signed as sent (lower-case escapes), not re-encoded
    [InlineData("enc/a~b_c.d-e%2Af", false)]
    public async Task Keys_that_need_encoding_are_answered_below_kestrel(string rawKey, bool signRawPath)
    {
        string key = S3Request.PercentDecode(rawKey);
        var data = await PutAsync(key, 321, 8);
        using var c = new Conn(f.Url);
        c.Send(Request("GET", $"/{B}/{rawKey}", signRawPath: signRawPath));
        var slow = c.Read();
        Assert.Equal(200, slow.Status);
        await Settle();
        long before = Answered;
        c.Send(Request("GET", $"/{B}/{rawKey}", signRawPath: signRawPath));
        var fast = c.Read();
        Assert.Equal(before + 1, Answered);
        Assert.Equal(data, fast.Body);
        Assert.Equal(slow.HeadWithoutDate, fast.HeadWithoutDate);
    }

    [Fact]
    public async Task The_aws_sdks_gets_and_heads_are_answered_below_kestrel()
    {
        var data = await PutAsync("sdk/k", 900, 9);
        using var s3 = f.S3();
        using (var first = await s3.GetObjectAsync(B, "sdk/k")) await S3Assert.ReadAll(first.ResponseStream);
        long before = Answered;
        for (int i = 0; i < 5; i++)
        {
            await Settle();
            using var get = await s3.GetObjectAsync(B, "sdk/k");
            Assert.Equal(data, await S3Assert.ReadAll(get.ResponseStream));
            Assert.Equal("\"" + S3Assert.Md5Hex(data) + "\"", get.ETag);
            await Settle();
            var head = await s3.GetObjectMetadataAsync(B, "sdk/k");
            Assert.Equal(data.Length, head.ContentLength);
        }
        Assert.True(Answered - before >= 8, $"only {Answered - before} of 10 SDK requests answered below Kestrel");
    }

    [Fact]
    public async Task Virtual_hosted_gets_are_answered_below_kestrel_too()
    {
        var data = await PutAsync("vhost/k", 222, 11);
        string host = $"{B}.{GatewayFixture.VirtualHostDomain}:{new Uri(f.Url).Port}";
        using var c = new Conn(f.Url);
        c.Send(Request("GET", "/vhost/k", host: host));
        var slow = c.Read();
        Assert.Equal(200, slow.Status);
        await Settle();
        long before = Answered;
        c.Send(Request("GET", "/vhost/k", host: host));
        var fast = c.Read();
        Assert.Equal(before + 1, Answered);
        Assert.Equal(data, fast.Body);
        Assert.Equal(slow.HeadWithoutDate, fast.HeadWithoutDate);
        // Another bucket's name in the Host header is that bucket: not this object.
        c.Send(Request("GET", "/vhost/k", host: $"nosuchbucket.{GatewayFixture.VirtualHostDomain}:{new Uri(f.Url).Port}"));
        Assert.Equal(404, c.Read().Status);
    }

    [Fact]
    public async Task Objects_without_an_s3_row_and_empty_objects_look_the_same_either_way()
    {
        using (var mog = f.Mogile(B)) await mog.StoreBytesAsync("plain/mogile", Encoding.ASCII.GetBytes("stored by MogileFS"), null);
        await PutAsync("plain/empty", 0, 1);
        using var c = new Conn(f.Url);
        foreach (var key in new[] { "plain/mogile", "plain/empty" })
        {
            c.Send(Request("GET", $"/{B}/{key}"));
            var slow = c.Read();
            await Settle();
            long before = Answered;
            c.Send(Request("GET", $"/{B}/{key}"));
            var fast = c.Read();
            Assert.Equal(before + 1, Answered);
            Assert.Equal(slow.HeadWithoutDate, fast.HeadWithoutDate);
            Assert.Equal(slow.Body, fast.Body);
        }
    }

    [Theory]
    [InlineData("Range: bytes=2-5\r\n", 206)]
    [InlineData("If-None-Match: *\r\n", 304)]
    [InlineData("If-Match: \"nope\"\r\n", 412)]
    [InlineData("x-amz-checksum-crc32: AAAAAA==\r\n", 200)]
    [InlineData("Expect: 100-continue\r\n", 200)]
    public async Task Requests_with_headers_that_change_the_answer_go_through_kestrel(string header, int status)
    {
        var data = await PutAsync("headers/k", 100, 2);
        using var c = new Conn(f.Url);
        c.Send(Request("GET", $"/{B}/headers/k"));
        c.Read();
        long before = Answered;
        // The header is sent but not signed: the gateway, like S3, checks only what is signed.
        c.Send(Request("GET", $"/{B}/headers/k", header));
        var r = c.Read();
        Assert.Equal(before, Answered);
        Assert.Equal(status, r.Status);
        if (status == 206) Assert.Equal(data[2..6], r.Body);
        if (status == 200 && !header.StartsWith("Expect", StringComparison.Ordinal)) Assert.Equal(data, r.Body);
    }

    [Fact]
    public async Task Errors_are_always_kestrels_answers()
    {
        await PutAsync("errors/k", 64, 3);
        using var c = new Conn(f.Url);
        c.Send(Request("GET", $"/{B}/errors/k"));
        c.Read();
        long before = Answered;
        c.Send(Request("GET", $"/{B}/errors/k", secret: "wrong secret"));
        var bad = c.Read();
        Assert.Equal(403, bad.Status);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", Encoding.UTF8.GetString(bad.Body), StringComparison.Ordinal);
        c.Send(Request("GET", $"/{B}/errors/k", sign: false)); // anonymous, not a public bucket
        var anon = c.Read();
        Assert.Equal(403, anon.Status);
        Assert.Contains("<Code>AccessDenied</Code>", Encoding.UTF8.GetString(anon.Body), StringComparison.Ordinal);
        c.Send(Request("GET", $"/{B}/errors/missing"));
        Assert.Equal(404, c.Read().Status);
        c.Send(Request("GET", "/no-such-bucket-here/k"));
        Assert.Equal(404, c.Read().Status);
        c.Send(Request("GET", $"/{B}/errors/k?acl"));
        Assert.Contains("AccessControlPolicy", Encoding.UTF8.GetString(c.Read().Body), StringComparison.Ordinal);
        Assert.Equal(before, Answered);
        // The connection still works, and the next plain GET is answered below Kestrel again.
        await Settle();
        c.Send(Request("GET", $"/{B}/errors/k"));
        Assert.Equal(200, c.Read().Status);
        Assert.Equal(before + 1, Answered);
    }

    [Fact]
    public async Task Anonymous_gets_of_a_public_bucket_are_answered_below_kestrel()
    {
        using (var s3 = f.S3())
        {
            try { await s3.PutBucketAsync(GatewayFixture.PublicBucket); }
            catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { }
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = GatewayFixture.PublicBucket, Key = "open/k", ContentBody = "for everyone" });
        }
        using var c = new Conn(f.Url);
        c.Send(Request("GET", $"/{GatewayFixture.PublicBucket}/open/k", sign: false));
        var slow = c.Read();
        await Settle();
        long before = Answered;
        c.Send(Request("GET", $"/{GatewayFixture.PublicBucket}/open/k", sign: false));
        var fast = c.Read();
        Assert.Equal(before + 1, Answered);
        Assert.Equal("for everyone", Encoding.ASCII.GetString(fast.Body));
        Assert.Equal(slow.HeadWithoutDate, fast.HeadWithoutDate);
    }

    [Fact]
    public async Task Pipelined_and_split_requests_go_through_kestrel_in_order()
    {
        var one = await PutAsync("pipe/1", 300, 4);
        var two = await PutAsync("pipe/2", 400, 5);
        using var c = new Conn(f.Url);
        c.Send(Request("GET", $"/{B}/pipe/1"));
        c.Read();
        c.Send(Request("GET", $"/{B}/pipe/2"));
        c.Read();
        long before = Answered;
        // Two requests in one write: Kestrel answers both, in order.
        c.Send(Request("GET", $"/{B}/pipe/1") + Request("GET", $"/{B}/pipe/2"));
        Assert.Equal(one, c.Read().Body);
        Assert.Equal(two, c.Read().Body);
        // One request in two writes, the second after a pause: Kestrel too.
        var req = Encoding.Latin1.GetBytes(Request("GET", $"/{B}/pipe/2"));
        c.Send(req[..20]);
        await Task.Delay(100);
        c.Send(req[20..]);
        Assert.Equal(two, c.Read().Body);
        Assert.Equal(before, Answered);
        // Then the connection is idle again and plain GETs are answered below Kestrel.
        await Settle();
        c.Send(Request("GET", $"/{B}/pipe/1"));
        Assert.Equal(one, c.Read().Body);
        Assert.Equal(before + 1, Answered);
    }

    [Fact]
    public async Task A_put_then_gets_on_one_connection_read_the_new_object()
    {
        using var c = new Conn(f.Url);
        for (int round = 0; round < 3; round++)
        {
            var data = S3Assert.Bytes(700 + round, 10 + round);
            string hash = Convert.ToHexStringLower(SHA256.HashData(data));
            string put = Request("PUT", $"/{B}/mixed/k", $"Content-Length: {data.Length}\r\n", payload: hash);
            // The payload hash is signed: rebuild with it as the x-amz-content-sha256 value (done by Request).
            c.Send(Encoding.Latin1.GetBytes(put).Concat(data).ToArray());
            var stored = c.Read();
            Assert.Equal(200, stored.Status);
            long before = Answered;
            for (int i = 0; i < 3; i++)
            {
                if (i > 0) await Settle();
                c.Send(Request("GET", $"/{B}/mixed/k"));
                var got = c.Read();
                Assert.Equal(data, got.Body);
                Assert.Equal("\"" + S3Assert.Md5Hex(data) + "\"", got.H("ETag"));
            }
            // The first GET after the PUT goes through Kestrel (which was busy with a body), and fills the cache.
            Assert.Equal(before + 2, Answered);
        }
    }

    [Fact]
    public async Task Connection_close_goes_through_kestrel_and_closes()
    {
        var data = await PutAsync("close/k", 50, 6);
        using var c = new Conn(f.Url);
        c.Send(Request("GET", $"/{B}/close/k"));
        c.Read();
        long before = Answered;
        c.Send(Request("GET", $"/{B}/close/k", "Connection: close\r\n"));
        var r = c.Read();
        Assert.Equal(data, r.Body);
        Assert.Equal("close", r.H("Connection"));
        Assert.True(c.Closed());
        Assert.Equal(before, Answered);
    }

    [Fact]
    public async Task Malformed_requests_are_kestrels_to_refuse()
    {
        await PutAsync("bad/k", 10, 7);
        foreach (var raw in new[]
                 {
                     $"GET /{B}/bad/k HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
                     $"GET /{B}/bad/k HTTP/1.1\r\nBad Header: x\r\n\r\n",
                     $"GET /{B}/bad/k HTTP/1.1\r\n\r\n",
                 })
        {
            using var c = new Conn(f.Url);
            long before = Answered;
            c.Send(raw);
            Assert.Equal(400, c.Read().Status);
            Assert.Equal(before, Answered);
        }
    }

    [Fact]
    public void The_request_parser_takes_any_bytes_without_throwing()
    {
        var headers = new (string, string)[32];
        string good = $"GET /{B}/k HTTP/1.1\r\nHost: h\r\nx-amz-date: 20261206T000000Z\r\n\r\n";
        Assert.True(FastGet.TryParse(Encoding.ASCII.GetBytes(good), headers, out _, out var target, out int n));
        Assert.Equal($"/{B}/k", target);
        Assert.Equal(2, n);
        foreach (var odd in new[]
                 {
                     "GET HTTP/1.1\r\n\r\n\r\n", "GET HTTP/1.1\r\nHost: h\r\n\r\n", "HEAD HTTP/1.1\r\nHost: h\r\n\r\n",
                     "GET  HTTP/1.1\r\nHost: h\r\n\r\n", "HEAD HTTP/1.1\r\n\r\n\r\n",
                     "GET / HTTP/1.1\r\n: v\r\n\r\n", "GET / HTTP/1.1\r\nHost h\r\n\r\n", "GET / HTTP/1.1\r\n\r\n\r\n\r\n",
                     "GET / HTTP/1.0\r\nHost: h\r\n\r\n", "GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\nHost: h\n\n\r\n\r\n",
                     "GET / HTTP/1.1\r\n Host: h\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\u0001\r\n\r\n",
                 })
            Assert.False(FastGet.TryParse(Encoding.Latin1.GetBytes(odd), headers, out _, out _, out _), odd);
        // Random bytes, and the good request with bytes changed at random: never an exception.
        var random = new Random(15);
        for (int i = 0; i < 20000; i++)
        {
            byte[] data;
            if (i % 2 == 0)
            {
                data = new byte[random.Next(0, 200)];
                random.NextBytes(data);
                if (data.Length >= 4 && i % 4 == 0) "\r\n\r\n"u8.CopyTo(data.AsSpan(data.Length - 4));
            }
            else
            {
                data = Encoding.ASCII.GetBytes(good);
                for (int k = random.Next(1, 4); k > 0; k--) data[random.Next(data.Length)] = (byte)random.Next(256);
            }
            FastGet.TryParse(data, headers, out _, out _, out _);
        }
    }

    [Fact]
    public async Task Garbage_on_a_connection_gets_kestrels_answer_and_the_gateway_goes_on()
    {
        var data = await PutAsync("garbage/k", 77, 12);
        var random = new Random(16);
        for (int i = 0; i < 30; i++)
        {
            using var c = new Conn(f.Url);
            var junk = new byte[random.Next(1, 300)];
            random.NextBytes(junk);
            if (i % 3 == 0) junk = Encoding.Latin1.GetBytes("GET HTTP/1.1\r\nHost: " + Convert.ToHexString(junk));
            c.Send(junk.Concat("\r\n\r\n"u8.ToArray()).ToArray());
            try
            {
                var r = c.Read();
                Assert.InRange(r.Status, 400, 599);
            }
            catch (Exception e) when (e is IOException or SocketException) { } // Kestrel may simply close
        }
        using var ok = new Conn(f.Url);
        ok.Send(Request("GET", $"/{B}/garbage/k"));
        Assert.Equal(data, ok.Read().Body);
    }

    [Fact]
    public async Task Concurrent_overwrites_and_reads_never_mix_versions()
    {
        const int Versions = 5;
        var bodies = Enumerable.Range(0, Versions).Select(v => S3Assert.Bytes(2000 + v, 100 + v)).ToArray();
        var etags = bodies.ToDictionary(b => "\"" + S3Assert.Md5Hex(b) + "\"", b => b);
        await PutAsync("race/k", bodies[0].Length, 100);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(6));
        long before = Answered;
        var writer = Task.Run(async () =>
        {
            using var s3 = f.S3();
            for (int i = 1; !cts.IsCancellationRequested; i++)
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "race/k", InputStream = new MemoryStream(bodies[i % Versions]) });
        });
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            using var c = new Conn(f.Url);
            int n = 0;
            while (!cts.IsCancellationRequested)
            {
                c.Send(Request("GET", $"/{B}/race/k"));
                var r = c.Read();
                if (r.Status == 404) continue; // between a delete of the old file and the new one: not here (overwrite), but harmless
                Assert.Equal(200, r.Status);
                Assert.True(etags.TryGetValue(r.H("ETag")!, out var expected), "unknown ETag " + r.H("ETag"));
                Assert.Equal(expected, r.Body);
                n++;
            }
            return n;
        })).ToArray();
        await writer;
        var counts = await Task.WhenAll(readers);
        Assert.All(counts, n => Assert.True(n > 10));
        Assert.True(Answered > before, "no read was answered below Kestrel");
    }
}

public sealed class FastGetShutdownFixture : GatewayFixture
{
    protected override string Net => "127.0.129";
}

/// <summary>A gateway stopped while its transport answers GETs itself: every answer arrives whole or not at all.</summary>
public class FastGetShutdownTests(FastGetShutdownFixture f) : IClassFixture<FastGetShutdownFixture>
{
    [Fact]
    public async Task Stopping_the_gateway_under_fast_gets_cuts_no_answer_short()
    {
        using (var s3 = f.S3())
        {
            await s3.PutBucketAsync("stopping");
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = "stopping", Key = "k", InputStream = new MemoryStream(S3Assert.Bytes(5000, 1)) });
            using var warm = await s3.GetObjectAsync("stopping", "k");
            await S3Assert.ReadAll(warm.ResponseStream);
        }
        var data = S3Assert.Bytes(5000, 1);
        long before = f.Gateway.FastGet!.Answered;
        int whole = 0, cut = 0;
        using var stop = new CancellationTokenSource();
        var loops = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var uri = new Uri(f.Url);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 20000 };
            await socket.ConnectAsync(IPAddress.Parse(uri.Host), uri.Port);
            using var stream = new NetworkStream(socket);
            var buffer = new byte[65536];
            while (true)
            {
                using var req = RawS3.Build(f, HttpMethod.Get, "/stopping/k", null, [], payloadHash: "UNSIGNED-PAYLOAD");
                string text = $"GET /stopping/k HTTP/1.1\r\nHost: {uri.Authority}\r\n"
                    + string.Concat(req.Headers.Where(h => h.Key != "Host").Select(h => $"{h.Key}: {string.Join(",", h.Value)}\r\n")) + "\r\n";
                try { await stream.WriteAsync(Encoding.ASCII.GetBytes(text)); }
                catch (IOException) { return; }
                // Read one answer: head, then Content-Length bytes; a close before the head is fine, inside the body is not.
                var got = new List<byte>();
                int headEnd = -1;
                while (headEnd < 0)
                {
                    int n;
                    try { n = await stream.ReadAsync(buffer); }
                    catch (IOException) { n = 0; }
                    if (n == 0)
                    {
                        if (got.Count > 0) Interlocked.Increment(ref cut);
                        return;
                    }
                    got.AddRange(buffer.AsSpan(0, n).ToArray());
                    headEnd = Encoding.Latin1.GetString(got.ToArray()).IndexOf("\r\n\r\n", StringComparison.Ordinal);
                }
                string head = Encoding.Latin1.GetString(got.ToArray(), 0, headEnd);
                Assert.StartsWith("HTTP/1.1 200 ", head, StringComparison.Ordinal);
                while (got.Count < headEnd + 4 + data.Length)
                {
                    int n;
                    try { n = await stream.ReadAsync(buffer); }
                    catch (IOException) { n = 0; }
                    if (n == 0)
                    {
                        Interlocked.Increment(ref cut);
                        return;
                    }
                    got.AddRange(buffer.AsSpan(0, n).ToArray());
                }
                Assert.Equal(data, got.GetRange(headEnd + 4, data.Length).ToArray());
                Interlocked.Increment(ref whole);
                if (head.Contains("Connection: close", StringComparison.OrdinalIgnoreCase)) return;
            }
        })).ToArray();
        await Task.Delay(1500);
        var stopping = f.Gateway.StopAsync();
        Assert.Same(stopping, await Task.WhenAny(stopping, Task.Delay(TimeSpan.FromSeconds(30))));
        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, cut);
        Assert.True(whole > 100, $"only {whole} answers");
        Assert.True(f.Gateway.FastGet.Answered - before > 50, "the answers did not come from the transport");
    }
}

public sealed class GatewayStatusFixture : GatewayFixture
{
    protected override string Net => "127.0.130";
    protected override void Configure(GatewayOptions options) => options.StatusListen = Net + ".1:0";
}

/// <summary>The gateway's status port (status_listen): request histogram by operation and status, fast_get answers,
/// the content cache's size, /healthz and /readyz.</summary>
public class GatewayStatusTests(GatewayStatusFixture f) : IClassFixture<GatewayStatusFixture>
{
    [Fact]
    public async Task Metrics_count_requests_by_operation_and_status_including_fast_answers()
    {
        using var s3 = f.S3();
        await s3.PutBucketAsync("metered");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "metered", Key = "k", ContentBody = "counted" });
        for (int i = 0; i < 5; i++)
        {
            using var get = await s3.GetObjectAsync("metered", "k");
            await S3Assert.ReadAll(get.ResponseStream);
            await Task.Delay(100);
        }
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync("metered", "missing"));

        using var http = new HttpClient();
        string status = $"http://{f.Gateway.StatusEndPoint}";
        string metrics = await http.GetStringAsync(status + "/metrics");
        long Value(string series)
        {
            var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal))
                ?? throw new Xunit.Sdk.XunitException($"no series {series} in:\n{metrics}");
            return (long)double.Parse(line[(series.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
        }
        Assert.Equal(1, Value("mogilefs_gateway_request_duration_seconds_count{operation=\"PutObject\",status=\"200\"}"));
        Assert.Equal(5, Value("mogilefs_gateway_request_duration_seconds_count{operation=\"GetObject\",status=\"200\"}"));
        Assert.Equal(1, Value("mogilefs_gateway_request_duration_seconds_count{operation=\"GetObject\",status=\"404\"}"));
        long fast = Value("mogilefs_gateway_fast_get_answers_total{}");
        Assert.InRange(fast, 1, 4); // the first GET fills the caches through Kestrel
        Assert.True(Value("mogilefs_gateway_content_cache_bytes{}") >= "counted".Length);

        Assert.Equal("ok\n", await http.GetStringAsync(status + "/healthz"));
        using var ready = await http.GetAsync(status + "/readyz");
        string body = await ready.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("database", body, StringComparison.Ordinal);
        Assert.Contains("trackers", body, StringComparison.Ordinal);
    }
}
