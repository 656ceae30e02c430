using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace MogileFS.Client.Tests;

/// <summary>The client library against a real tracker, real storage nodes and a real SQLite database.</summary>
[Collection(ClusterCollection.Name)]
public class ClientClusterTests(ClusterFixture fx)
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1024 * 1024)]
    public async Task Store_and_fetch_round_trip(int size)
    {
        using var client = fx.Client();
        var data = RandomNumberGenerator.GetBytes(size);
        var key = $"rt/{size}";
        var stored = await client.StoreAsync(key, new MemoryStream(data), new StoreOptions { Class = "c1", Checksum = ChecksumAlgorithm.Md5 });
        Assert.Equal(size, stored.Length);
        Assert.Equal("MD5:" + Convert.ToHexStringLower(MD5.HashData(data)), stored.Checksum);
        Assert.Equal(data, await client.GetBytesAsync(key));

        var info = await client.FileInfoAsync(key, includeDevices: true);
        Assert.NotNull(info);
        Assert.Equal(size, info.Length);
        Assert.Equal("c1", info.Class);
        Assert.Equal(stored.Fid, info.Fid);
        Assert.Contains(stored.DevId, info.DevIds!);
    }

    [Fact]
    public async Task Store_from_a_stream_of_unknown_length_uses_chunked_upload()
    {
        using var client = fx.Client();
        var data = RandomNumberGenerator.GetBytes(300_000);
        await client.StoreAsync("chunked/1", new NonSeekableStream(new MemoryStream(data)));
        Assert.Equal(data, await client.GetBytesAsync("chunked/1"));
    }

    [Fact]
    public async Task Streams_200_MB_through_both_directions_with_bounded_memory()
    {
        const long size = 200L * 1024 * 1024;
        using var client = fx.Client();
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                try { await Task.Delay(20, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        var source = new PatternStream(size, seed: 7);
        await client.StoreAsync("big/200mb", source, new StoreOptions { Length = size, Checksum = ChecksumAlgorithm.Md5 });
        using var sink = new HashingSink();
        long n = await client.FetchAsync("big/200mb", sink);
        sampling.Cancel();
        await sampler;
        Assert.Equal(size, n);
        Assert.Equal(new PatternStream(size, seed: 7).Sha256(), sink.Hash());
        // Neither side may hold the file: the managed heap stays far below its size.
        Assert.True(peak < 96L * 1024 * 1024, $"managed heap peaked at {peak / 1024 / 1024} MB");
        Assert.True(await client.DeleteAsync("big/200mb"));
    }

    [Fact]
    public async Task Fails_over_when_the_first_tracker_is_down()
    {
        // A tracker address that refuses connections, listed first, then the live trackers.
        var dead = new TcpListener(IPAddress.Parse("127.0.3.1"), 0);
        dead.Start();
        var deadAddress = dead.LocalEndpoint.ToString()!;
        dead.Stop();
        using var client = fx.Client([deadAddress, .. fx.TrackerAddresses]);
        for (int i = 0; i < 5; i++)
        {
            await client.StoreBytesAsync($"failover/{i}", new byte[] { 1, 2, 3 });
            Assert.Equal(new byte[] { 1, 2, 3 }, await client.GetBytesAsync($"failover/{i}"));
        }
    }

    [Fact]
    public async Task Fetch_tries_the_next_path_when_the_first_node_is_down()
    {
        using var client = fx.Client();
        var data = RandomNumberGenerator.GetBytes(50_000);
        var stored = await client.StoreAsync("twocopies/1", new MemoryStream(data));
        // Replication is a later issue: make the second copy by hand on a device of another host.
        var cluster = fx.Cluster;
        var firstNode = cluster.NodeForUrl(stored.Path)!;
        var otherNode = cluster.Nodes.First(n => n != firstNode);
        int otherDev = otherNode.Spec.Devices[0];
        var relative = new Uri(stored.Path).AbsolutePath.Substring($"/dev{stored.DevId}".Length);
        var copy = otherNode.PathFor($"/dev{otherDev}{relative}");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        await File.WriteAllBytesAsync(copy, data);
        await cluster.ExecuteAsync($"INSERT INTO file_on (fid, devid) VALUES ({stored.Fid}, {otherDev})");
        var copyUrl = stored.Path.Replace($"/dev{stored.DevId}/", $"/dev{otherDev}/")
            .Replace(new Uri(stored.Path).Host, otherNode.Ip);

        await cluster.StopNodeAsync(firstNode);
        try
        {
            // The first path names the stopped node; the client must go on to the copy.
            var ms = new MemoryStream();
            await client.FetchPathsAsync("twocopies/1", [stored.Path, copyUrl], ms, new FetchOptions(), default);
            Assert.Equal(data, ms.ToArray());
            Assert.Equal(data, await client.GetBytesAsync("twocopies/1"));
        }
        finally
        {
            await cluster.StartNodeAsync(firstNode);
        }
    }

    [Fact]
    public async Task A_download_cut_off_half_way_resumes_on_the_next_copy()
    {
        using var client = fx.Client();
        var data = RandomNumberGenerator.GetBytes(200_000);
        var stored = await client.StoreAsync("resume/1", new MemoryStream(data));
        // A node that announces the whole length, sends half and hangs up.
        var fake = new TcpListener(IPAddress.Loopback, 0);
        fake.Start();
        var serve = Task.Run(async () =>
        {
            using var c = await fake.AcceptTcpClientAsync();
            var s = c.GetStream();
            var buf = new byte[4096];
            _ = await s.ReadAsync(buf);
            await s.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.0 200 OK\r\nContent-Length: {data.Length}\r\n\r\n"));
            await s.WriteAsync(data.AsMemory(0, data.Length / 2));
        });
        var brokenUrl = $"http://127.0.0.1:{((IPEndPoint)fake.LocalEndpoint).Port}/dev1/x.fid";
        var ms = new NonSeekableStream(new MemoryStream());
        await client.FetchPathsAsync("resume/1", [brokenUrl, stored.Path], ms, new FetchOptions(), default);
        await serve;
        fake.Stop();
        Assert.Equal(data, ((MemoryStream)ms.Inner).ToArray());
    }

    [Fact]
    public async Task Rename_delete_update_class_list_and_errors()
    {
        using var client = fx.Client();
        for (int i = 0; i < 5; i++) await client.StoreBytesAsync($"ops/{i}", new byte[] { (byte)i });
        Assert.True(await client.RenameAsync("ops/0", "ops/renamed"));
        Assert.False(await client.RenameAsync("ops/missing", "ops/x"));
        var e = await Assert.ThrowsAsync<MogileFSTrackerException>(() => client.RenameAsync("ops/1", "ops/2"));
        Assert.Equal("key_exists", e.ErrorCode);
        await client.UpdateClassAsync("ops/1", "c1");
        Assert.Equal("c1", (await client.FileInfoAsync("ops/1"))!.Class);
        Assert.True(await client.DeleteAsync("ops/2"));
        Assert.False(await client.DeleteAsync("ops/2"));
        Assert.Null(await client.FileInfoAsync("ops/2"));
        await Assert.ThrowsAsync<MogileFSTrackerException>(() => client.GetBytesAsync("ops/2"));

        var keys = new List<string>();
        await foreach (var k in client.ListKeysAsync("ops/", pageSize: 2)) keys.Add(k);
        Assert.Equal(["ops/1", "ops/3", "ops/4", "ops/renamed"], keys);
        Assert.Empty((await client.ListKeysPageAsync("nothing-here/", null)).Keys);

        var debug = await client.FileDebugAsync("ops/1");
        Assert.Equal("ops/1", debug["fid_dkey"]);

        var bad = await Assert.ThrowsAsync<MogileFSTrackerException>(() =>
            client.StoreBytesAsync("ops/x", new byte[] { 1 }, "no-such-class"));
        Assert.Equal("unreg_class", bad.ErrorCode);
    }

    [Fact]
    public async Task Admin_api_round_trip()
    {
        // One tracker: another tracker sees metadata changes only after its next cache refresh.
        using var admin = new MogileFSAdmin(new MogileFSClientOptions { Trackers = [fx.TrackerAddresses[0]] });
        await admin.CreateDomainAsync("admindom");
        await admin.CreateClassAsync("admindom", "thumbs", 3, hashType: "MD5");
        var domains = await admin.GetDomainsAsync();
        Assert.Equal(3, domains["admindom"].Classes["thumbs"].MinDevCount);
        Assert.Equal("MD5", domains["admindom"].Classes["thumbs"].HashType);
        Assert.True(domains["admindom"].Classes.ContainsKey("default"));
        await admin.UpdateClassAsync("admindom", "thumbs", 1);
        Assert.Equal(1, (await admin.GetDomainsAsync())["admindom"].Classes["thumbs"].MinDevCount);
        await admin.DeleteClassAsync("admindom", "thumbs");
        await admin.DeleteDomainAsync("admindom");
        Assert.False((await admin.GetDomainsAsync()).ContainsKey("admindom"));

        var hosts = await admin.GetHostsAsync();
        Assert.Equal(["h1", "h2", "h3"], hosts.Select(h => h.HostName));
        var devices = await admin.GetDevicesAsync();
        Assert.Equal([1, 2, 3, 4, 5], devices.Select(d => d.DevId));
        Assert.All(devices, d => Assert.Equal("alive", d.Status));

        await admin.SetServerSettingAsync("memcache_ttl", "99");
        Assert.Equal("99", (await admin.GetServerSettingsAsync())["memcache_ttl"]);
        var ex = await Assert.ThrowsAsync<MogileFSTrackerException>(() => admin.SetServerSettingAsync("nope", "1"));
        Assert.Equal("not_writable", ex.ErrorCode);

        Assert.True(await admin.AddSlaveAsync("s1", "DBI:Pg:dbname=x", "u", "p"));
        Assert.False(await admin.AddSlaveAsync("s1", "DBI:Pg:dbname=x", "u", "p"));
        Assert.Equal("DBI:Pg:dbname=x", (await admin.ListSlavesAsync()).Single().Dsn);
        Assert.True(await admin.DeleteSlaveAsync("s1"));
        Assert.Empty(await admin.ListSlavesAsync());

        using var client = fx.Client(fx.TrackerAddresses[0]);
        await client.StoreBytesAsync("fids/1", new byte[] { 9 });
        var fids = new List<FidInfo>();
        await foreach (var f in admin.EnumerateFidsAsync()) fids.Add(f);
        Assert.Contains(fids, f => f.Key == "fids/1" && f.Domain == "testdom" && f.Length == 1);
        Assert.Equal(fids.Select(f => f.Fid).Order(), fids.Select(f => f.Fid));

        var status = await admin.FsckStatusAsync();
        Assert.True(status.ContainsKey("running"));
    }
}
