using System.Net;
using System.Net.Http.Headers;
using System.Text;
using MogileFS.Gateway.ShortUrls;

namespace MogileFS.Gateway.Tests;

/// <summary>A gateway with short-URL prefixes: /dl/ (read-only) and /rw/ (read-write, class c1) on testdom, /none/ on a missing domain.</summary>
public class ShortUrlFixture : GatewayFixture
{
    protected override string Net => "127.0.122";

    protected override void Configure(GatewayOptions options)
    {
        options.Extra["short_url"] =
        [
            "/dl/ domain=testdom",
            "/rw/ domain=testdom class=c1 methods=get,put,delete",
            "/none/ domain=no-such-domain",
        ];
    }

    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
}

/// <summary>The same prefixes on other addresses, for the tests that stop storage nodes.</summary>
public sealed class ShortUrlNodeFixture : ShortUrlFixture
{
    protected override string Net => "127.0.123";
}

/// <summary>
/// Plain short URLs (nginx-mogilefs-module's job) served by the gateway against a real cluster:
/// GET/HEAD with types, ranges and If-Modified-Since, the module's status codes, PUT/DELETE when
/// enabled, and reading from the next copy when a storage node is down.
/// </summary>
public class ShortUrlTests(ShortUrlFixture f) : IClassFixture<ShortUrlFixture>
{
    private async Task<byte[]> StoreAsync(string key, int size, string? @class = null)
    {
        var data = S3Assert.Bytes(size, key.Length);
        using var mog = f.Mogile("testdom");
        await mog.StoreBytesAsync(key, data, @class);
        return data;
    }

    [Fact]
    public async Task Get_and_head_serve_the_key_with_its_type_length_and_date()
    {
        var data = await StoreAsync("pics/cat.jpg", 20_000);
        using var get = await f.Http.GetAsync(f.Url + "/dl/pics/cat.jpg");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/jpeg", get.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(get.Content.Headers.LastModified);
        Assert.Contains("bytes", get.Headers.AcceptRanges);

        using var head = await f.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, f.Url + "/dl/pics/cat.jpg"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(20_000, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        // Escaped characters are decoded into the key; the query string is not part of it.
        await StoreAsync("with space/ü.bin", 10);
        using var escaped = await f.Http.GetAsync(f.Url + "/dl/with%20space/%C3%BC.bin?x=1");
        Assert.Equal(HttpStatusCode.OK, escaped.StatusCode);
        Assert.Equal("application/octet-stream", escaped.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Ranges_and_if_modified_since_work()
    {
        var data = await StoreAsync("range/file.bin", 1000);
        var req = new HttpRequestMessage(HttpMethod.Get, f.Url + "/dl/range/file.bin");
        req.Headers.Range = new RangeHeaderValue(10, 19);
        using var part = await f.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(data[10..20], await part.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes 10-19/1000", part.Content.Headers.ContentRange?.ToString());

        req = new HttpRequestMessage(HttpMethod.Get, f.Url + "/dl/range/file.bin");
        req.Headers.Range = new RangeHeaderValue(null, 5);
        using var suffix = await f.Http.SendAsync(req);
        Assert.Equal(data[995..], await suffix.Content.ReadAsByteArrayAsync());

        req = new HttpRequestMessage(HttpMethod.Get, f.Url + "/dl/range/file.bin");
        req.Headers.Range = new RangeHeaderValue(5000, null);
        using var beyond = await f.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);

        using var first = await f.Http.GetAsync(f.Url + "/dl/range/file.bin");
        var lastModified = first.Content.Headers.LastModified!.Value;
        req = new HttpRequestMessage(HttpMethod.Get, f.Url + "/dl/range/file.bin");
        req.Headers.IfModifiedSince = lastModified;
        using var notModified = await f.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        req = new HttpRequestMessage(HttpMethod.Get, f.Url + "/dl/range/file.bin");
        req.Headers.IfModifiedSince = lastModified.AddHours(-1);
        using var modified = await f.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, modified.StatusCode);
        Assert.Equal(data, await modified.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Errors_are_the_modules_status_codes()
    {
        using var missing = await f.Http.GetAsync(f.Url + "/dl/no/such/key");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var noDomain = await f.Http.GetAsync(f.Url + "/none/anything");
        Assert.Equal(HttpStatusCode.NotFound, noDomain.StatusCode);
        using var empty = await f.Http.GetAsync(f.Url + "/dl/");
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        using var put = await f.Http.PutAsync(f.Url + "/dl/x", new ByteArrayContent([1, 2, 3]));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.StatusCode);
        Assert.Equal(["GET", "HEAD"], put.Content.Headers.Allow.Select(a => a.Trim()));
        using var delete = await f.Http.DeleteAsync(f.Url + "/dl/x");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);
        using var head = await f.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, f.Url + "/dl/no/such/key"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        // Paths outside the prefixes are S3's (here: anonymous, so AccessDenied).
        using var s3 = await f.Http.GetAsync(f.Url + "/testdom/x");
        Assert.Equal(HttpStatusCode.Forbidden, s3.StatusCode);
    }

    [Fact]
    public async Task Put_and_delete_when_enabled()
    {
        var data = Encoding.UTF8.GetBytes("uploaded by short URL");
        using var put = await f.Http.PutAsync(f.Url + "/rw/up/file.txt", new ByteArrayContent(data));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var mog = f.Mogile("testdom");
        Assert.Equal(data, await mog.GetBytesAsync("up/file.txt"));
        Assert.Equal("c1", (await mog.FileInfoAsync("up/file.txt"))!.Class);
        using var get = await f.Http.GetAsync(f.Url + "/rw/up/file.txt");
        Assert.Equal("text/plain", get.Content.Headers.ContentType?.MediaType);
        // The same key through S3 (the domain is a bucket).
        using (var s3 = f.S3())
        using (var obj = await s3.GetObjectAsync("testdom", "up/file.txt"))
            Assert.Equal(data, await S3Assert.ReadAll(obj.ResponseStream));

        // A client that sends less than its Content-Length and hangs up stores nothing.
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(f.Gateway.EndPoint);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"PUT /rw/up/short.bin HTTP/1.1\r\nHost: {f.Gateway.EndPoint}\r\nContent-Length: 100000\r\n\r\n"));
            await stream.WriteAsync(new byte[1000]);
            await stream.FlushAsync();
        }
        await Task.Delay(500);
        Assert.Null(await mog.FileInfoAsync("up/short.bin"));

        using var del = await f.Http.DeleteAsync(f.Url + "/rw/up/file.txt");
        Assert.Equal(HttpStatusCode.NoContent, del.StatusCode);
        using var again = await f.Http.DeleteAsync(f.Url + "/rw/up/file.txt");
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        using var gone = await f.Http.GetAsync(f.Url + "/rw/up/file.txt");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var noLength = await f.Http.SendAsync(new HttpRequestMessage(HttpMethod.Put, f.Url + "/rw/up/chunked")
        {
            Content = new StreamContent(new MemoryStream(data)) { Headers = { ContentLength = null } },
            Headers = { TransferEncodingChunked = true },
        });
        Assert.Equal(HttpStatusCode.LengthRequired, noLength.StatusCode);
    }

    [Fact]
    public void Mapping_lines_parse_and_bad_ones_name_the_problem()
    {
        var m = ShortUrlMapping.Parse("/files domain=photos class=big methods=get,put noverify=1");
        Assert.Equal("/files/", m.Prefix);
        Assert.Equal("photos", m.Domain);
        Assert.Equal("big", m.Class);
        Assert.True(m.Allows("HEAD") && m.Allows("PUT") && !m.Allows("DELETE"));
        Assert.True(m.NoVerify);
        Assert.Contains("domain", Assert.Throws<FormatException>(() => ShortUrlMapping.Parse("/x/ class=a")).Message);
        Assert.Contains("unknown method", Assert.Throws<FormatException>(() => ShortUrlMapping.Parse("/x/ domain=d methods=post")).Message);
        Assert.Contains("path prefix", Assert.Throws<FormatException>(() => ShortUrlMapping.Parse("x domain=d")).Message);
        var settings = Configuration.GatewayCommandLine.Parse(
            ["--trackers=127.0.0.1:7001", "--db_dsn=DBI:SQLite:dbname=/tmp/x", "--short_url=/a/ domain=d", "--short_url=/b/ domain=e methods=get,delete"],
            "/nonexistent.conf");
        Assert.Equal(2, settings.Options.Extra["short_url"].Count);
        Assert.Throws<Configuration.GatewayUsageException>(() => Configuration.GatewayCommandLine.Parse(
            ["--trackers=127.0.0.1:7001", "--db_dsn=DBI:SQLite:dbname=/tmp/x", "--short_url=/a/"], "/nonexistent.conf"));
    }
}

/// <summary>Short URLs while storage nodes are down: the next copy serves, and with none left the answer is 503.</summary>
public class ShortUrlNodeDownTests(ShortUrlNodeFixture f) : IClassFixture<ShortUrlNodeFixture>
{
    /// <summary>Waits until the key has two copies and returns the two nodes holding them.</summary>
    private async Task<List<MogileFS.TestSupport.Cluster.StorageNodeHandle>> TwoCopiesAsync(MogileFS.Client.MogileFSClient mog, string key)
    {
        IReadOnlyList<string> paths = [];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((paths = await mog.GetPathsAsync(key, new MogileFS.Client.GetPathsOptions { NoVerify = true })).Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the file never got its second copy");
            await f.Cluster.QueryAsync("do_monitor_round");
            await Task.Delay(200);
        }
        var nodes = paths.Select(p => f.Cluster.NodeForUrl(p)!).Distinct().ToList();
        Assert.Equal(2, nodes.Count);
        return nodes;
    }

    // S3 GETs of files larger than the content cache stream from the node straight into the response's
    // buffers (issue 15, item 7): a copy that cannot be read must still leave the next one to serve it whole.
    [Fact]
    public async Task An_S3_get_of_a_large_object_streams_from_the_next_copy_when_a_node_is_down()
    {
        var data = S3Assert.Bytes(1_500_000, 7);
        using var mog = f.Mogile("testdom");
        await mog.StoreBytesAsync("copies/large.bin", data, "c1");
        var nodes = await TwoCopiesAsync(mog, "copies/large.bin");
        using var s3 = f.S3();
        try
        {
            await f.Cluster.StopNodeAsync(nodes[0]);
            using (var whole = await s3.GetObjectAsync("testdom", "copies/large.bin"))
            using (var ms = new MemoryStream())
            {
                await whole.ResponseStream.CopyToAsync(ms);
                Assert.Equal(data, ms.ToArray());
            }
            using (var part = await s3.GetObjectAsync(new Amazon.S3.Model.GetObjectRequest
                   { BucketName = "testdom", Key = "copies/large.bin", ByteRange = new Amazon.S3.Model.ByteRange(300_000, 1_299_999) }))
            using (var ms = new MemoryStream())
            {
                await part.ResponseStream.CopyToAsync(ms);
                Assert.Equal(data[300_000..1_300_000], ms.ToArray());
            }
        }
        finally
        {
            foreach (var n in nodes) await f.Cluster.StartNodeAsync(n);
        }
    }

    [Fact]
    public async Task A_down_node_is_skipped_and_with_every_copy_down_the_answer_is_503()
    {
        var data = S3Assert.Bytes(300_000, 42);
        using var mog = f.Mogile("testdom");
        await mog.StoreBytesAsync("copies/two.bin", data, "c1");
        // Class c1 wants two copies: wait for the replicator.
        IReadOnlyList<string> paths = [];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((paths = await mog.GetPathsAsync("copies/two.bin", new MogileFS.Client.GetPathsOptions { NoVerify = true })).Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the file never got its second copy");
            await f.Cluster.QueryAsync("do_monitor_round");
            await Task.Delay(200);
        }
        var nodes = paths.Select(p => f.Cluster.NodeForUrl(p)!).Distinct().ToList();
        Assert.Equal(2, nodes.Count);
        try
        {
            await f.Cluster.StopNodeAsync(nodes[0]);
            using (var get = await f.Http.GetAsync(f.Url + "/dl/copies/two.bin"))
            {
                Assert.Equal(HttpStatusCode.OK, get.StatusCode);
                Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
            }
            var req = new HttpRequestMessage(HttpMethod.Get, f.Url + "/dl/copies/two.bin");
            req.Headers.Range = new RangeHeaderValue(100, 199);
            using (var part = await f.Http.SendAsync(req))
                Assert.Equal(data[100..200], await part.Content.ReadAsByteArrayAsync());

            await f.Cluster.StopNodeAsync(nodes[1]);
            using var none = await f.Http.GetAsync(f.Url + "/dl/copies/two.bin");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
        }
        finally
        {
            foreach (var n in nodes) await f.Cluster.StartNodeAsync(n);
        }
    }
}
