using MogileFS.Core.Model;
using System.Security.Cryptography;
using System.Text;
using MogileFS.Tracker.Commands.Files;
using MogileFS.Tracker.Storage;

namespace MogileFS.Tracker.Tests.Files;

public class StorageNodeClientTests
{
    private static StorageNodeClient Client(FakeStorageNode n, double timeout = 2)
        => new(TimeSpan.FromSeconds(timeout), TimeSpan.FromSeconds(timeout), n.SidePort);

    [Fact]
    public async Task Head_reports_size_missing_and_cantreach()
    {
        await using var node = new FakeStorageNode();
        using var c = Client(node);
        node.Files["/dev1/0/000/000/0000000001.fid"] = Encoding.ASCII.GetBytes("hello world");
        var r = await c.HeadAsync(node.Ip, node.HttpPort, "/dev1/0/000/000/0000000001.fid");
        Assert.Equal(HeadStatus.Ok, r.Status);
        Assert.Equal(11, r.Size);
        r = await c.HeadAsync(node.Ip, node.HttpPort, "/dev1/0/000/000/0000000002.fid");
        Assert.Equal(HeadStatus.Missing, r.Status);
        node.HeadStatusOverride = 500;
        r = await c.HeadAsync(node.Ip, node.HttpPort, "/dev1/0/000/000/0000000001.fid");
        Assert.Equal(HeadStatus.CantReach, r.Status);
        Assert.Contains("500", r.Error);
    }

    [Fact]
    public async Task Head_times_out_after_node_timeout()
    {
        await using var node = new FakeStorageNode { HttpDelay = TimeSpan.FromSeconds(5) };
        using var c = Client(node, 0.3);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var r = await c.HeadAsync(node.Ip, node.HttpPort, "/dev1/x.fid");
        Assert.Equal(HeadStatus.CantReach, r.Status);
        Assert.Contains("timed out", r.Error);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task Head_on_closed_port_is_cantreach()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        using var c = new StorageNodeClient(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), port);
        var r = await c.HeadAsync("127.0.0.1", port, "/dev1/x.fid");
        Assert.Equal(HeadStatus.CantReach, r.Status);
        var d = await c.DigestAsync("127.0.0.1", port, "/dev1/x.fid", HashType.MD5, 10);
        Assert.Equal(DigestStatus.Failed, d.Status);
    }

    [Fact]
    public async Task Head_without_content_length_is_cantreach()
    {
        await using var node = new FakeStorageNode { HeadOmitsLength = true };
        using var c = Client(node);
        node.Files["/a"] = new byte[3];
        Assert.Equal(HeadStatus.CantReach, (await c.HeadAsync(node.Ip, node.HttpPort, "/a")).Status);
    }

    [Fact]
    public async Task Digest_uses_side_channel_then_falls_back_to_http()
    {
        await using var node = new FakeStorageNode();
        using var c = Client(node);
        var data = Encoding.ASCII.GetBytes("hello world");
        node.Files["/dev1/f.fid"] = data;
        var r = await c.DigestAsync(node.Ip, node.HttpPort, "/dev1/f.fid", HashType.MD5, data.Length);
        Assert.Equal(DigestStatus.Ok, r.Status);
        Assert.Equal("5eb63bbbe01eeed093cb22bb8f5acdc3", Convert.ToHexStringLower(r.Digest!));
        Assert.Contains("MD5 /dev1/f.fid", node.SideRequests);
        Assert.DoesNotContain("GET /dev1/f.fid", node.Requests);

        // the pooled connection is reused
        r = await c.DigestAsync(node.Ip, node.HttpPort, "/dev1/f.fid", HashType.SHA1, data.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(data)), Convert.ToHexStringLower(r.Digest!));

        node.SideChannelUnsupported = true;
        r = await c.DigestAsync(node.Ip, node.HttpPort, "/dev1/f.fid", HashType.MD5, data.Length);
        Assert.Equal(DigestStatus.Ok, r.Status);
        Assert.Equal("5eb63bbbe01eeed093cb22bb8f5acdc3", Convert.ToHexStringLower(r.Digest!));
        Assert.Contains("GET /dev1/f.fid", node.Requests);

        node.SideChannelUnsupported = false;
        node.SideChannelDrops = true;
        r = await c.DigestAsync(node.Ip, node.HttpPort, "/dev1/f.fid", HashType.MD5, data.Length);
        Assert.Equal(DigestStatus.Ok, r.Status);

        node.SideChannelDrops = false;
        r = await c.DigestAsync(node.Ip, node.HttpPort, "/dev1/missing.fid", HashType.MD5, 0);
        Assert.Equal(DigestStatus.Missing, r.Status);
    }

    [Theory]
    [InlineData("/p MD5=5eb63bbbe01eeed093cb22bb8f5acdc3", DigestStatus.Ok)]
    [InlineData("/p MD5=5EB63BBBE01EEED093CB22BB8F5ACDC3", DigestStatus.Failed)] // hex must be lower case
    [InlineData("/p MD5=-1", DigestStatus.Missing)]
    [InlineData("ERROR: unknown command: md5", DigestStatus.Failed)]
    [InlineData("ERR read /p at 0 failed", DigestStatus.Failed)]
    [InlineData("/q MD5=5eb63bbbe01eeed093cb22bb8f5acdc3", DigestStatus.Failed)]
    public void Side_channel_reply_parsing(string line, DigestStatus expected)
        => Assert.Equal(expected, StorageNodeClient.ParseDigestLine(line, "/p", HashType.MD5).Status);

    [Fact]
    public async Task Copy_streams_get_to_put_and_checks_length()
    {
        await using var a = new FakeStorageNode();
        await using var b = new FakeStorageNode();
        using var c = Client(a);
        a.Files["/dev1/f.fid"] = Encoding.ASCII.GetBytes("on one device only");
        var ok = await c.CopyAsync($"http://{a.Ip}:{a.HttpPort}/dev1/f.fid", $"http://{b.Ip}:{b.HttpPort}/dev3/f.fid", 18, null);
        Assert.Equal(CopyStatus.Ok, ok.Status);
        Assert.Equal("on one device only", Encoding.ASCII.GetString(b.Files["/dev3/f.fid"]));

        var wrong = await c.CopyAsync($"http://{a.Ip}:{a.HttpPort}/dev1/f.fid", $"http://{b.Ip}:{b.HttpPort}/dev3/g.fid", 5, null);
        Assert.Equal(CopyStatus.SourceError, wrong.Status);
        var missing = await c.CopyAsync($"http://{a.Ip}:{a.HttpPort}/dev1/nope.fid", $"http://{b.Ip}:{b.HttpPort}/dev3/g.fid", 5, null);
        Assert.Equal(CopyStatus.SourceError, missing.Status);
        b.PutStatus = 500;
        var dest = await c.CopyAsync($"http://{a.Ip}:{a.HttpPort}/dev1/f.fid", $"http://{b.Ip}:{b.HttpPort}/dev3/h.fid", 18, null);
        Assert.Equal(CopyStatus.DestinationError, dest.Status);
        Assert.False(b.Files.ContainsKey("/dev3/g.fid"));
    }

    [Fact]
    public async Task Vivifier_remembers_unsupported_mkcol_per_device()
    {
        await using var node = new FakeStorageNode { MkcolStatus = 400 };
        using var c = Client(node);
        var v = new DirectoryVivifier(c);
        await v.EnsureAsync(1, node.Ip, node.HttpPort, 1004, false);
        Assert.Equal(new[] { "MKCOL /dev1/0/" }, node.Requests.ToArray());
        for (long fid = 1005; fid < 5000; fid += 333) await v.EnsureAsync(1, node.Ip, node.HttpPort, fid, false);
        Assert.Single(node.Requests);
        // another device on the same node is asked separately
        await v.EnsureAsync(2, node.Ip, node.HttpPort, 1004, false);
        Assert.Equal(2, node.Requests.Count);
    }

    [Fact]
    public async Task Vivifier_remembers_created_leaf_directories()
    {
        await using var node = new FakeStorageNode { MkcolStatus = 201 };
        using var c = Client(node);
        var v = new DirectoryVivifier(c);
        Assert.True(await v.EnsureAsync(3, node.Ip, node.HttpPort, 1004, false));
        Assert.Equal(new[] { "MKCOL /dev3/0/", "MKCOL /dev3/0/000/", "MKCOL /dev3/0/000/001/" }, node.Requests.ToArray());
        await v.EnsureAsync(3, node.Ip, node.HttpPort, 1999, false);  // same leaf
        Assert.Equal(3, node.Requests.Count);
        await v.EnsureAsync(3, node.Ip, node.HttpPort, 2000, false);  // next leaf
        Assert.Equal(6, node.Requests.Count);
        await v.EnsureAsync(3, node.Ip, node.HttpPort, 3000, true);   // skip_mkcol
        Assert.Equal(6, node.Requests.Count);

        node.MkcolStatus = 405; // "exists" on WebDAV servers
        await v.EnsureAsync(4, node.Ip, node.HttpPort, 1004, false);
        await v.EnsureAsync(4, node.Ip, node.HttpPort, 1005, false);
        Assert.Equal(9, node.Requests.Count);

        node.MkcolStatus = 409; // failures are retried next time
        Assert.False(await v.EnsureAsync(5, node.Ip, node.HttpPort, 1004, false));
        Assert.False(await v.EnsureAsync(5, node.Ip, node.HttpPort, 1004, false));
        Assert.Equal(15, node.Requests.Count);
    }
}
