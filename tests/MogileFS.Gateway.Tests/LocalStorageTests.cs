using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using MogileFS.Gateway.Mogile;

namespace MogileFS.Gateway.Tests;

/// <summary>
/// A gateway whose <c>local_storage</c> maps each storage node to a docroot of the test's own (not the node's), so
/// a test decides what "the local file" is: a marked copy (same length, other bytes: getting those bytes proves
/// the local read), no file, a short file, a file that changes under a transfer. The nodes keep serving the real
/// files over HTTP.
/// </summary>
public sealed class LocalCopyFixture : GatewayFixture, IAsyncLifetime
{
    protected override string Net => "127.0.125";
    public string Roots { get; } = Path.Combine(Path.GetTempPath(), "mogfs-local-" + Guid.NewGuid().ToString("N")[..12]);

    protected override void Configure(GatewayOptions options)
    {
        // One copy per file: no replica appears (over HTTP only) while a test has marked the local ones.
        options.DefaultClass = "single";
        options.Extra["short_url"] = ["/s/ domain=localcopies"];
        // These roots are not the nodes' own: writes go to the nodes over HTTP (LocalWriteTests covers local writes).
        options.LocalStorageWrites = false;
        for (int i = 0; i < Cluster.Nodes.Count; i++)
        {
            var root = Path.Combine(Roots, "n" + i);
            Directory.CreateDirectory(root);
            LocalStorage.Add(options, $"{Cluster.Nodes[i].Ip}:{Cluster.HttpPort}={root}");
        }
    }

    /// <summary>Where the gateway looks for the local file of storage URL <paramref name="url"/>.</summary>
    public string LocalFile(string url)
    {
        var node = Cluster.NodeForUrl(url) ?? throw new InvalidOperationException("no node for " + url);
        int i = Cluster.Nodes.ToList().IndexOf(node);
        return Path.Combine(Roots, "n" + i, new Uri(url).AbsolutePath.TrimStart('/'));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        try { Directory.Delete(Roots, recursive: true); } catch (IOException) { }
    }
}

/// <summary>local_storage (docs/s3.md, "Copies on this host"): reads from the disk with sendfile, and every way the
/// local file can be wrong ends in the right bytes over HTTP or a cut connection, never in wrong or mixed bytes.</summary>
public class LocalStorageTests(LocalCopyFixture f) : IClassFixture<LocalCopyFixture>, IAsyncLifetime
{
    private const string B = "localcopies";
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMinutes(2) };

    public async Task InitializeAsync()
    {
        using var s3 = f.S3();
        foreach (var b in new[] { B, GatewayFixture.PublicBucket })
        {
            try { await s3.PutBucketAsync(b); }
            catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { }
            string reply = await f.Cluster.QueryAsync($"create_class domain={b}&class=single&mindevcount=1");
            Assert.True(reply.StartsWith("OK", StringComparison.Ordinal) || reply.Contains("class_exists", StringComparison.Ordinal), reply);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<IReadOnlyList<string>> PutAsync(string bucket, string key, byte[] data)
    {
        using var s3 = f.S3();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(data) });
        using var mog = f.Mogile(bucket);
        return await mog.GetPathsAsync(key);
    }

    /// <summary>Puts a marked copy (the data with every byte inverted) as the local file of every copy.</summary>
    private async Task<byte[]> MarkLocalCopiesAsync(IEnumerable<string> urls, byte[] data)
    {
        var marked = data.Select(b => (byte)~b).ToArray();
        foreach (var url in urls)
        {
            var file = f.LocalFile(url);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllBytesAsync(file, marked);
        }
        return marked;
    }

    private async Task<(HttpStatusCode Status, byte[] Body, HttpResponseMessage Response)> GetAsync(string key, string? range = null)
    {
        var req = RawS3.Build(f, HttpMethod.Get, $"/{B}/{key}", null, []);
        if (range != null) req.Headers.Range = RangeHeaderValue.Parse(range);
        var res = await Http.SendAsync(req);
        return (res.StatusCode, await res.Content.ReadAsByteArrayAsync(), res);
    }

    [Theory]
    [InlineData(1024)]               // content-cache size: read from the disk into the cache
    [InlineData(300 * 1024)]         // just over the content cache: sendfile
    [InlineData(3 << 20)]
    [InlineData(64 << 20)]
    public async Task Copies_on_this_host_are_read_from_the_disk_whole_and_in_ranges(int size)
    {
        var data = S3Assert.Bytes(size, seed: size);
        string key = $"read/{size}";
        var marked = await MarkLocalCopiesAsync(await PutAsync(B, key, data), data);

        var (status, body, res) = await GetAsync(key);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(size, res.Content.Headers.ContentLength);
        Assert.True(marked.AsSpan().SequenceEqual(body), $"the whole object should be the local (marked) file's bytes: got {body.Length} {Convert.ToHexString(body.AsSpan(0, 8))}..{Convert.ToHexString(body.AsSpan(body.Length - 8))}, marked {Convert.ToHexString(marked.AsSpan(0, 8))}..{Convert.ToHexString(marked.AsSpan(body.Length - 8))} data {Convert.ToHexString(data.AsSpan(0, 8))} mismatch at {marked.AsSpan().CommonPrefixLength(body)}");
        Assert.True(f.Recorder.SawSpliceTransport);

        foreach (var (range, from, length) in new (string, int, int)[]
        {
            ("bytes=0-0", 0, 1), ("bytes=7-7", 7, 1), ($"bytes={size - 1}-", size - 1, 1), ("bytes=-100", size - 100, 100),
            ($"bytes={size / 3}-{size / 3 + size / 4}", size / 3, size / 4 + 1), ("bytes=1000-", 1000, size - 1000),
        })
        {
            (status, body, res) = await GetAsync(key, range);
            Assert.Equal(HttpStatusCode.PartialContent, status);
            Assert.Equal($"bytes {from}-{from + length - 1}/{size}", res.Content.Headers.ContentRange?.ToString());
            Assert.True(marked.AsSpan(from, length).SequenceEqual(body), $"range {range}");
        }
    }

    [Theory]
    [InlineData("missing", 1024)]
    [InlineData("missing", 2 << 20)]
    [InlineData("short", 1024)]
    [InlineData("short", 2 << 20)]
    [InlineData("longer", 2 << 20)]
    [InlineData("directory", 2 << 20)]
    [InlineData("dangling-link", 2 << 20)]
    public async Task A_local_file_that_is_missing_short_or_replaced_is_read_over_http(string fault, int size)
    {
        var data = S3Assert.Bytes(size, seed: size + fault.Length);
        string key = $"fallback/{fault}/{size}";
        var urls = await PutAsync(B, key, data);
        foreach (var url in urls)
        {
            var file = f.LocalFile(url);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            switch (fault)
            {
                case "short": await File.WriteAllBytesAsync(file, data[..(size / 2)]); break;
                case "longer": await File.WriteAllBytesAsync(file, [.. data, 1, 2, 3]); break;
                case "directory": Directory.CreateDirectory(file); break;
                case "dangling-link":
                    File.CreateSymbolicLink(file, Path.Combine(f.Roots, "nowhere", Guid.NewGuid().ToString("N")));
                    break;
            }
        }
        var (status, body, _) = await GetAsync(key);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(data.AsSpan().SequenceEqual(body), "the bytes should come from the node over HTTP");
        var (rstatus, rbody, _) = await GetAsync(key, "bytes=10-19");
        Assert.Equal(HttpStatusCode.PartialContent, rstatus);
        Assert.Equal(data[10..20], rbody);
        Assert.Contains(f.Cluster.Logs.Lines, l => l.Contains("local copy", StringComparison.Ordinal) && l.Contains(new Uri(urls[0]).AbsolutePath, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("overwrite")]
    [InlineData("delete")]
    public async Task A_key_overwritten_or_deleted_during_a_local_get_still_gives_the_old_file_whole(string change)
    {
        int size = 48 << 20;
        var data = S3Assert.Bytes(size, seed: 48 + change.Length);
        string key = $"change/{change}";
        var urls = await PutAsync(B, key, data);
        var marked = await MarkLocalCopiesAsync(urls, data);

        var req = RawS3.Build(f, HttpMethod.Get, $"/{B}/{key}", null, []);
        using var res = await Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        await using var stream = await res.Content.ReadAsStreamAsync();
        var body = new byte[size];
        await stream.ReadExactlyAsync(body.AsMemory(0, 1 << 20));

        using (var s3 = f.S3())
        {
            if (change == "overwrite")
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = key, InputStream = new MemoryStream(S3Assert.Bytes(size, seed: 7)) });
            else
                await s3.DeleteObjectAsync(B, key);
        }
        // What MogileFS's delete job would do to the old file, on every copy, local and remote.
        foreach (var url in urls)
        {
            File.Delete(f.LocalFile(url));
            File.Delete(f.Cluster.NodeForUrl(url)!.PathFor(new Uri(url).AbsolutePath));
        }
        await stream.ReadExactlyAsync(body.AsMemory(1 << 20));
        Assert.Equal(0, await stream.ReadAsync(new byte[1]));
        Assert.True(marked.AsSpan().SequenceEqual(body), "the body should be the old file's bytes, all of them");

        if (change == "overwrite")
        {
            var (status, after, _) = await GetAsync(key);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(S3Assert.Md5Hex(S3Assert.Bytes(size, seed: 7)), S3Assert.Md5Hex(after));
        }
        else
        {
            Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(key)).Status);
        }
    }

    [Fact]
    public async Task A_local_file_cut_short_during_a_transfer_cuts_the_connection()
    {
        int size = 64 << 20;
        var data = S3Assert.Bytes(size, seed: 64);
        string key = "truncated/during";
        var urls = await PutAsync(B, key, data);
        await MarkLocalCopiesAsync(urls, data);

        var req = RawS3.Build(f, HttpMethod.Get, $"/{B}/{key}", null, []);
        using var res = await Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await res.Content.ReadAsStreamAsync();
        var buffer = new byte[1 << 20];
        await stream.ReadExactlyAsync(buffer);
        // Not something MogileFS does (its files never change), but a disk or an operator might.
        foreach (var url in urls)
            using (var fs = new FileStream(f.LocalFile(url), FileMode.Open, FileAccess.Write)) fs.SetLength(size / 2);
        long got = buffer.Length;
        var error = await Record.ExceptionAsync(async () =>
        {
            for (int n; (n = await stream.ReadAsync(buffer)) > 0;) got += n;
        });
        Assert.True(error is IOException or HttpRequestException, $"the transfer should fail, it ended after {got} bytes with {error?.GetType().Name ?? "no error"}");
        Assert.True(got < size);
    }

    [Fact]
    public async Task Pipelined_gets_on_one_connection_come_back_in_order_and_whole()
    {
        var bodies = new List<byte[]>();
        var keys = new List<string>();
        foreach (var (size, name) in new[] { (2 << 20, "a"), (1000, "small"), (300 * 1024, "b"), (1 << 20, "c") })
        {
            var data = S3Assert.Bytes(size, seed: size);
            var urls = await PutAsync(GatewayFixture.PublicBucket, "pipelined/" + name, data);
            bodies.Add(await MarkLocalCopiesAsync(urls, data));
            keys.Add("pipelined/" + name);
        }
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(f.Gateway.EndPoint);
        await using var net = new NetworkStream(socket);
        var requests = new StringBuilder();
        foreach (var k in keys) requests.Append($"GET /{GatewayFixture.PublicBucket}/{k} HTTP/1.1\r\nHost: gw\r\n\r\n");
        requests.Append($"GET /{GatewayFixture.PublicBucket}/{keys[0]} HTTP/1.1\r\nHost: gw\r\nRange: bytes=5-9\r\n\r\n");
        await net.WriteAsync(Encoding.ASCII.GetBytes(requests.ToString()));

        var reader = new ResponseReader(net);
        for (int i = 0; i < keys.Count; i++)
        {
            var (status, body) = await reader.ReadAsync();
            Assert.Equal(200, status);
            Assert.True(bodies[i].AsSpan().SequenceEqual(body), $"response {i} ({keys[i]})");
        }
        var (rs, rb) = await reader.ReadAsync();
        Assert.Equal(206, rs);
        Assert.Equal(bodies[0][5..10], rb);
    }

    [Fact]
    public async Task Short_urls_read_local_copies_with_the_nodes_headers()
    {
        int size = 1 << 20;
        var data = S3Assert.Bytes(size, seed: 99);
        var urls = await PutAsync(B, "short/one.bin", data);
        var marked = await MarkLocalCopiesAsync(urls, data);
        var real = f.Cluster.NodeForUrl(urls[0])!.PathFor(new Uri(urls[0]).AbsolutePath);
        File.SetLastWriteTimeUtc(f.LocalFile(urls[0]), File.GetLastWriteTimeUtc(real));
        using var node = await Http.GetAsync(urls[0]);

        using var whole = await Http.GetAsync($"{f.Url}/s/short/one.bin");
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(marked, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(node.Content.Headers.LastModified, whole.Content.Headers.LastModified);
        Assert.Equal(size, whole.Content.Headers.ContentLength);
        Assert.Equal("bytes", whole.Headers.AcceptRanges.Single());
        Assert.Equal("application/octet-stream", whole.Content.Headers.ContentType?.MediaType);

        foreach (var (range, from, length) in new[] { ("bytes=5-9", 5, 5), ("bytes=-3", size - 3, 3), ($"bytes={size - 10}-", size - 10, 10), ("bytes=0-99999999", 0, size) })
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, $"{f.Url}/s/short/one.bin");
            req.Headers.TryAddWithoutValidation("Range", range);
            using var res = await Http.SendAsync(req);
            Assert.Equal(HttpStatusCode.PartialContent, res.StatusCode);
            Assert.Equal($"bytes {from}-{from + length - 1}/{size}", res.Content.Headers.ContentRange?.ToString());
            Assert.Equal(marked[from..(from + length)], await res.Content.ReadAsByteArrayAsync());
        }
        // Ranges a node would refuse or ignore are left to the node: its answers stay its own.
        using (var req = new HttpRequestMessage(HttpMethod.Get, $"{f.Url}/s/short/one.bin"))
        {
            req.Headers.TryAddWithoutValidation("Range", $"bytes={size}-");
            using var res = await Http.SendAsync(req);
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, res.StatusCode);
        }
        using (var req = new HttpRequestMessage(HttpMethod.Get, $"{f.Url}/s/short/one.bin"))
        {
            req.Headers.TryAddWithoutValidation("Range", "bytes=x-y");
            using var res = await Http.SendAsync(req);
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            Assert.Equal(data, await res.Content.ReadAsByteArrayAsync());
        }
        using (var head = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"{f.Url}/s/short/one.bin")))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(size, head.Content.Headers.ContentLength);
        }
        using (var req = new HttpRequestMessage(HttpMethod.Get, $"{f.Url}/s/short/one.bin"))
        {
            req.Headers.IfModifiedSince = node.Content.Headers.LastModified;
            using var res = await Http.SendAsync(req);
            Assert.Equal(HttpStatusCode.NotModified, res.StatusCode);
        }
        // A missing local file: the node over HTTP, as without local_storage.
        File.Delete(f.LocalFile(urls[0]));
        using var fallback = await Http.GetAsync($"{f.Url}/s/short/one.bin");
        Assert.Equal(data, await fallback.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/../outside/file")]
    [InlineData("/dev1/../../outside/file")]
    [InlineData("/dev1/%2e%2e/%2e%2e/outside/file")]
    [InlineData("/dev1/..%2f..%2foutside/file")]
    [InlineData("/dev1/./0/file")]
    [InlineData("/dev1\\..\\..\\outside\\file")]
    [InlineData("/dev1/file?x=1")]
    [InlineData("/")]
    public void A_copy_url_that_would_leave_the_docroot_is_refused(string path)
    {
        var dir = Path.Combine(f.Roots, "escape-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(dir, "root", "dev1", "0"));
        Directory.CreateDirectory(Path.Combine(dir, "outside"));
        File.WriteAllText(Path.Combine(dir, "outside", "file"), "secret");
        File.WriteAllText(Path.Combine(dir, "root", "dev1", "0", "file"), "secret");
        var options = new GatewayOptions();
        LocalStorage.Add(options, $"127.0.0.1:7500={Path.Combine(dir, "root")}");
        var local = LocalStorage.From(options)!;

        Assert.Equal(LocalStorage.Result.Failed, local.Open("http://127.0.0.1:7500" + path, 6, out var file, out var why));
        Assert.Null(file);
        Assert.Contains("docroot", why);
        // The plain path to the same file is fine, and other nodes are not local.
        Assert.Equal(LocalStorage.Result.Opened, local.Open("http://127.0.0.1:7500/dev1/0/file", 6, out file, out _));
        file!.Dispose();
        Assert.Equal(LocalStorage.Result.NotLocal, local.Open("http://127.0.0.2:7500/dev1/0/file", 6, out _, out _));
        Assert.Equal(LocalStorage.Result.Missing, local.Open("http://127.0.0.1:7500/dev1/0/nofile", 6, out _, out _));
    }

    /// <summary>Reads HTTP/1.1 responses with Content-Length bodies off a stream, one after the other.</summary>
    private sealed class ResponseReader(Stream s)
    {
        private readonly byte[] _buf = new byte[64 * 1024];
        private int _start, _end;

        public async Task<(int Status, byte[] Body)> ReadAsync()
        {
            var head = new StringBuilder();
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal)) head.Append((char)await ByteAsync());
            var lines = head.ToString().Split("\r\n");
            int status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            long length = long.Parse(lines.First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var body = new byte[length];
            for (int i = 0; i < length; i++) body[i] = await ByteAsync();
            return (status, body);
        }

        private async ValueTask<byte> ByteAsync()
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await s.ReadAsync(_buf);
                if (_end == 0) throw new EndOfStreamException();
            }
            return _buf[_start++];
        }
    }
}

/// <summary>A gateway with local_storage mapping every node to its real docroot.</summary>
public sealed class LocalDiskFixture : GatewayFixture
{
    protected override string Net => "127.0.126";

    protected override void Configure(GatewayOptions options)
    {
        foreach (var node in Cluster.Nodes) LocalStorage.Add(options, $"{node.Ip}:{Cluster.HttpPort}={node.DocRoot}");
    }
}

/// <summary>The AWS SDK's object tests again, with every copy read from the local disk.</summary>
public class LocalDiskObjectTests(LocalDiskFixture f) : ObjectTests(f), IClassFixture<LocalDiskFixture>;

/// <summary>The AWS SDK's range and condition tests again, with every copy read from the local disk.</summary>
public class LocalDiskRangeAndConditionTests(LocalDiskFixture f) : RangeAndConditionTests(f), IClassFixture<LocalDiskFixture>;
