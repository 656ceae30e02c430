using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using MogileFS.Gateway.Mogile;
using MogileFS.TestSupport;

namespace MogileFS.Gateway.Tests;

/// <summary>Skipped unless the tests run as root (to hand files to another owner).</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Processes.IsRoot) Skip = "needs root";
    }
}

/// <summary>A gateway whose <c>local_storage</c> maps every node to its real docroot, with local writes on.</summary>
public sealed class LocalWriteFixture : GatewayFixture
{
    protected override string Net => "127.0.127";

    protected override void Configure(GatewayOptions options)
    {
        // One copy per file: no replica appears while a test looks at the disks.
        options.DefaultClass = "single";
        options.Extra["short_url"] = ["/w/ domain=localwrites class=single methods=get,put,delete"];
        foreach (var node in Cluster.Nodes) LocalStorage.Add(options, $"{node.Ip}:{Cluster.HttpPort}={node.DocRoot}");
    }

    public LocalStorage Local => Gateway.Context.Mogile.Local!;

    public List<KeyValuePair<string, string>> RealRoots =>
        [.. Cluster.Nodes.Select(n => KeyValuePair.Create($"{n.Ip}:{Cluster.HttpPort}", n.DocRoot))];

    /// <summary>The device directories of every node.</summary>
    public IEnumerable<string> DeviceDirectories =>
        Cluster.Nodes.SelectMany(n => n.Spec.Devices.Select(d => Path.Combine(n.DocRoot, "dev" + d)));

    /// <summary>Files stored since <paramref name="before"/> was taken. (Files may also have gone meanwhile: the tracker's
    /// delete job removes those of earlier tests' deletes and overwrites whenever it gets to them.)</summary>
    public SortedSet<string> NewFiles(SortedSet<string> before) => new(StoredFiles().Except(before), StringComparer.Ordinal);

    /// <summary>Every stored file and temp file on every node (the nodes' usage files aside).</summary>
    public SortedSet<string> StoredFiles() =>
        new(Cluster.Nodes.SelectMany(n => Directory.EnumerateFiles(n.DocRoot, "*", SearchOption.AllDirectories))
            .Where(p => p.EndsWith(".fid", StringComparison.Ordinal) || p.EndsWith(".tmp", StringComparison.Ordinal)), StringComparer.Ordinal);
}

/// <summary>
/// Writes into the docroots of nodes on this host (docs/s3.md, "Copies on this host"): PUTs, parts and short-URL PUTs
/// are written by the gateway itself, give the same bytes and ETags, and every way a local write can go wrong ends as
/// the HTTP write would: the node over HTTP when the file cannot be created, the same S3 error otherwise, and never a
/// file under its final name that is not whole.
/// </summary>
public class LocalWriteTests(LocalWriteFixture f) : IClassFixture<LocalWriteFixture>, IAsyncLifetime
{
    private const string B = "localwrites";

    public async Task InitializeAsync()
    {
        using var s3 = f.S3();
        try { await s3.PutBucketAsync(B); }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { }
        string reply = await f.Cluster.QueryAsync($"create_class domain={B}&class=single&mindevcount=1");
        Assert.True(reply.StartsWith("OK", StringComparison.Ordinal) || reply.Contains("class_exists", StringComparison.Ordinal), reply);
        f.Local.Writes = true;
        f.Local.NamedTempFiles = false;
        f.Local.Remap(f.RealRoots);
    }

    public Task DisposeAsync()
    {
        f.Local.Writes = true;
        f.Local.NamedTempFiles = false;
        f.Local.Remap(f.RealRoots);
        return Task.CompletedTask;
    }

    /// <summary>The one copy of <paramref name="key"/> on its node's disk.</summary>
    private async Task<string> FileOfAsync(string key)
    {
        using var mog = f.Mogile(B);
        var url = Assert.Single(await mog.GetPathsAsync(key));
        return f.Cluster.NodeForUrl(url)!.PathFor(new Uri(url).AbsolutePath);
    }

    private async Task AssertReadableAsync(string key, byte[] data)
    {
        byte[] fetched;
        using (var mog = f.Mogile(B)) fetched = await mog.GetBytesAsync(key);
        Assert.True(data.AsSpan().SequenceEqual(fetched), "mogfetch should give the bytes");
        using var s3 = f.S3();
        using var get = await s3.GetObjectAsync(B, key);
        var body = await S3Assert.ReadAll(get.ResponseStream);
        Assert.True(data.AsSpan().SequenceEqual(body), "S3 GET should give the bytes");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(20)) Assert.Fail("timed out waiting until " + what);
            await Task.Delay(20);
        }
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1024, false)]
    [InlineData((3 << 20) + 1, false)]
    [InlineData(1024, true)]
    [InlineData((3 << 20) + 1, true)]
    public async Task A_put_is_written_into_the_nodes_docroot_and_reads_back_everywhere(int size, bool namedTempFiles)
    {
        f.Local.NamedTempFiles = namedTempFiles;
        var data = S3Assert.Bytes(size, seed: size + (namedTempFiles ? 1 : 0));
        string key = $"put/{size}/{namedTempFiles}";
        long writes = f.Local.LocalWrites, fallbacks = f.Local.LocalWriteFallbacks;
        using var s3 = f.S3();
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = key, InputStream = new MemoryStream(data) });
        Assert.Equal("\"" + S3Assert.Md5Hex(data) + "\"", put.ETag);
        Assert.Equal(writes + 1, f.Local.LocalWrites);
        Assert.Equal(fallbacks, f.Local.LocalWriteFallbacks);

        var file = await FileOfAsync(key);
        var onDisk = await File.ReadAllBytesAsync(file);
        Assert.True(data.AsSpan().SequenceEqual(onDisk));
        // Mode 0644 (less the umask) as mogstored makes it, and no temp file left beside it.
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(file);
            Assert.True(mode.HasFlag(UnixFileMode.UserRead | UnixFileMode.UserWrite), mode.ToString());
            Assert.Equal((UnixFileMode)0, mode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead));
        }
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(file)!, "*.tmp"));
        await AssertReadableAsync(key, data);
    }

    [Fact]
    public async Task A_multipart_upload_with_local_writes_gives_the_object_and_its_etag()
    {
        byte[][] parts = [S3Assert.Bytes(5 << 20, 1), S3Assert.Bytes(5 << 20, 2), S3Assert.Bytes(777_777, 3)];
        const string key = "multipart/object.bin";
        long writes = f.Local.LocalWrites;
        using var s3 = f.S3();
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = B, Key = key });
        var etags = new List<PartETag>();
        for (int i = 0; i < parts.Length; i++)
        {
            var r = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = B, Key = key, UploadId = init.UploadId, PartNumber = i + 1, InputStream = new MemoryStream(parts[i]),
            });
            Assert.Equal("\"" + S3Assert.Md5Hex(parts[i]) + "\"", r.ETag);
            etags.Add(new PartETag(i + 1, r.ETag));
        }
        Assert.Equal(writes + parts.Length, f.Local.LocalWrites);
        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = B, Key = key, UploadId = init.UploadId, PartETags = etags,
        });
        string expected = Convert.ToHexStringLower(MD5.HashData(parts.SelectMany(p => MD5.HashData(p)).ToArray())) + "-3";
        Assert.Equal("\"" + expected + "\"", done.ETag);
        await AssertReadableAsync(key, [.. parts.SelectMany(p => p)]);
    }

    [Fact]
    public async Task A_short_url_put_is_written_locally()
    {
        var data = S3Assert.Bytes(2 << 20, seed: 5);
        long writes = f.Local.LocalWrites;
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using (var put = await http.PutAsync($"{f.Url}/w/short/file.bin", new ByteArrayContent(data)))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(writes + 1, f.Local.LocalWrites);
        Assert.Equal(data, await http.GetByteArrayAsync($"{f.Url}/w/short/file.bin"));
        using var mog = f.Mogile(B);
        Assert.Equal(data, await mog.GetBytesAsync("short/file.bin"));
    }

    [Fact]
    public async Task A_wrong_content_md5_is_bad_digest_and_leaves_no_file_for_puts_and_parts()
    {
        var before = f.StoredFiles();
        long writes = f.Local.LocalWrites, started = f.Local.LocalWritesStarted;
        using var s3 = f.S3();
        await S3Assert.Fails("BadDigest", HttpStatusCode.BadRequest, () => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = B, Key = "md5/bad", InputStream = new MemoryStream(S3Assert.Bytes(100_000, 9)),
            MD5Digest = Convert.ToBase64String(MD5.HashData("something else"u8)),
        }));
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = B, Key = "md5/part" });
        await S3Assert.Fails("BadDigest", HttpStatusCode.BadRequest, () => s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = B, Key = "md5/part", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream(S3Assert.Bytes(100_000, 9)),
            MD5Digest = Convert.ToBase64String(MD5.HashData("something else"u8)),
        }));
        Assert.Equal(started + 2, f.Local.LocalWritesStarted);
        Assert.Equal(writes, f.Local.LocalWrites);
        Assert.Empty(f.NewFiles(before));
        await s3.AbortMultipartUploadAsync(B, "md5/part", init.UploadId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_goes_away_mid_body_leaves_nothing(bool namedTempFiles)
    {
        f.Local.NamedTempFiles = namedTempFiles;
        var before = f.StoredFiles();
        long started = f.Local.LocalWritesStarted, writes = f.Local.LocalWrites;
        string key = $"cut/{namedTempFiles}";
        var data = S3Assert.Bytes(8 << 20, seed: 8);
        bool sawTempFile = false;
        var req = RawS3.Build(f, HttpMethod.Put, $"/{B}/{key}", null, [], payloadHash: "UNSIGNED-PAYLOAD");
        req.Content = new CutContent(data, 3 << 20, async () =>
        {
            await WaitUntilAsync(() => f.Local.LocalWritesStarted > started && f.Local.LocalWritesOpen > 0, "the local file exists");
            if (namedTempFiles)
            {
                await WaitUntilAsync(() => f.StoredFiles().Any(p => p.EndsWith(".tmp", StringComparison.Ordinal)), "the temp file appears");
                sawTempFile = true;
            }
        });
        using (var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }))
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.SendAsync(req));

        await WaitUntilAsync(() => f.Local.LocalWritesOpen == 0, "the gateway gives the file up");
        Assert.Equal(namedTempFiles, sawTempFile);
        Assert.Equal(writes, f.Local.LocalWrites);
        Assert.Empty(f.NewFiles(before));
        using var s3 = f.S3();
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, key));
    }

    [Theory]
    [InlineData("missing")]     // no device directory where the mapping says
    [InlineData("not-a-dir")]   // the device "directory" is a file
    [InlineData("escape")]      // a directory below the device is a symlink out of it
    public async Task A_file_that_cannot_be_created_locally_is_written_over_http(string fault)
    {
        using var dir = new TempDirectory("moggateway-fallback-");
        string outside = dir.CreateSubdirectory("outside");
        var roots = new List<KeyValuePair<string, string>>();
        for (int i = 0; i < f.Cluster.Nodes.Count; i++)
        {
            var node = f.Cluster.Nodes[i];
            string root = dir.CreateSubdirectory("n" + i);
            roots.Add(KeyValuePair.Create($"{node.Ip}:{f.Cluster.HttpPort}", root));
            foreach (int d in node.Spec.Devices)
            {
                string dev = Path.Combine(root, "dev" + d);
                switch (fault)
                {
                    case "not-a-dir": await File.WriteAllTextAsync(dev, "not a directory"); break;
                    case "escape":
                        Directory.CreateDirectory(dev);
                        Directory.CreateSymbolicLink(Path.Combine(dev, "0"), outside);
                        break;
                }
            }
        }
        await PutOverHttpAsync(roots, $"fallback/{fault}", fault switch
        {
            "escape" => "leads out of its device directory",
            "not-a-dir" => "device directory",
            _ => "device directory",
        });
        Assert.Empty(Directory.GetFileSystemEntries(outside));
    }

    [TmpfsFact]
    public async Task A_read_only_device_directory_is_written_over_http()
    {
        using var dir = new TempDirectory("moggateway-readonly-");
        var roots = new List<KeyValuePair<string, string>>();
        var mounted = new List<string>();
        try
        {
            for (int i = 0; i < f.Cluster.Nodes.Count; i++)
            {
                var node = f.Cluster.Nodes[i];
                string root = dir.CreateSubdirectory("n" + i);
                roots.Add(KeyValuePair.Create($"{node.Ip}:{f.Cluster.HttpPort}", root));
                foreach (int d in node.Spec.Devices)
                {
                    string dev = dir.CreateSubdirectory("n" + i, "dev" + d);
                    Assert.True(Tmpfs.Mount(dev, "ro,size=1m", out string err), err);
                    mounted.Add(dev);
                }
            }
            await PutOverHttpAsync(roots, "fallback/read-only", "Read-only file system");
        }
        finally
        {
            foreach (var m in mounted) Tmpfs.Unmount(m);
        }
    }

    /// <summary>With the nodes mapped to <paramref name="roots"/>, a PUT is written by the node over HTTP: the bytes are
    /// on the node's own disk, nothing under the mapped roots, and the reason is logged.</summary>
    private async Task PutOverHttpAsync(List<KeyValuePair<string, string>> roots, string key, string reason)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 };
        var existing = roots.SelectMany(r => Directory.EnumerateFiles(r.Value, "*", options)).Order().ToList();
        f.Local.Remap(roots);
        try
        {
            var data = S3Assert.Bytes(1 << 20, seed: key.Length);
            long writes = f.Local.LocalWrites, fallbacks = f.Local.LocalWriteFallbacks;
            using var s3 = f.S3();
            var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = key, InputStream = new MemoryStream(data) });
            Assert.Equal("\"" + S3Assert.Md5Hex(data) + "\"", put.ETag);
            Assert.Equal(writes, f.Local.LocalWrites);
            Assert.Equal(fallbacks + 1, f.Local.LocalWriteFallbacks);
            var onNode = await File.ReadAllBytesAsync(await FileOfAsync(key));
            Assert.True(data.AsSpan().SequenceEqual(onNode), "the node should have the file");
            Assert.Equal(existing, roots.SelectMany(r => Directory.EnumerateFiles(r.Value, "*", options)).Order().ToList());
            Assert.Contains(f.Cluster.Logs.Lines, l => l.Contains("local write", StringComparison.Ordinal) && l.Contains(reason, StringComparison.Ordinal));
            await AssertReadableAsync(key, data);
        }
        finally
        {
            f.Local.Remap(f.RealRoots);
        }
    }

    [RootFact]
    public async Task Files_belong_to_the_owner_of_the_device_directory()
    {
        var owners = f.DeviceDirectories.ToDictionary(d => d, Owner);
        try
        {
            foreach (var d in owners.Keys) Assert.Equal(0, Tmpfs.Run("chown", "4242:4343", d).Code);
            var data = S3Assert.Bytes(300_000, seed: 42);
            using var s3 = f.S3();
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "owner/file", InputStream = new MemoryStream(data) });
            Assert.Equal("4242:4343", Owner(await FileOfAsync("owner/file")));
            await AssertReadableAsync("owner/file", data);
        }
        finally
        {
            foreach (var (d, owner) in owners) Tmpfs.Run("chown", owner, d);
        }

        static string Owner(string path) => Tmpfs.Run("stat", "-c", "%u:%g", path).Output;
    }

    [TmpfsFact]
    public async Task A_full_disk_fails_the_put_as_over_http_and_leaves_nothing()
    {
        // The tracker sees the devices' real free space; the files' directories (devN/0/...) are on a 1 MiB tmpfs.
        var mounted = new List<string>();
        try
        {
            foreach (var dev in f.DeviceDirectories)
            {
                string zero = Path.Combine(dev, "0");
                Directory.CreateDirectory(zero);
                Assert.True(Tmpfs.Mount(zero, "size=1m", out string err), err);
                mounted.Add(zero);
            }
            var before = f.StoredFiles();
            using var s3 = f.S3();
            var errors = new List<string>();
            foreach (bool local in new[] { false, true })
            {
                f.Local.Writes = local;
                long started = f.Local.LocalWritesStarted;
                string key = $"full/{local}";
                var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = B, Key = key, InputStream = new MemoryStream(S3Assert.Bytes(3 << 20, seed: 3)),
                }));
                errors.Add($"{(int)e.StatusCode} {e.ErrorCode}");
                Assert.Equal(local ? started + 1 : started, f.Local.LocalWritesStarted);
                await WaitUntilAsync(() => f.Local.LocalWritesOpen == 0, "the gateway gives the file up");
                foreach (var m in mounted) Assert.Empty(Directory.GetFiles(m, "*", SearchOption.AllDirectories));
                await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, key));
            }
            Assert.Equal("503 ServiceUnavailable", errors[0]);
            Assert.Equal(errors[0], errors[1]);
            Assert.Contains(f.Cluster.Logs.Lines, l => l.Contains("local write failed", StringComparison.Ordinal) && l.Contains("No space left", StringComparison.Ordinal));
            Assert.Empty(f.NewFiles(before));
        }
        finally
        {
            f.Local.Writes = true;
            foreach (var m in mounted) Tmpfs.Unmount(m);
        }
    }

    /// <summary>Sends the first <paramref name="cut"/> bytes, waits for <paramref name="beforeCut"/>, then fails: the
    /// client's connection goes away in the middle of the body.</summary>
    private sealed class CutContent(byte[] data, int cut, Func<Task> beforeCut) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(data.AsMemory(0, cut));
            await stream.FlushAsync();
            await beforeCut();
            throw new IOException("the client goes away");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = data.Length;
            return true;
        }
    }
}
