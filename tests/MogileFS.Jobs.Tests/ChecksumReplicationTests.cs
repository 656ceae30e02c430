using System.Security.Cryptography;
using System.Text;
using MogileFS.TestSupport.Cluster;
using MogileFS.TestSupport;

namespace MogileFS.Jobs.Tests;

/// <summary>Replication of classes with a hash type (jobs.md §5.3, §11.2).</summary>
public sealed class ChecksumReplicationTests
{
    private static async Task AdminAsync(TestCluster c, string command)
    {
        await using var client = await TrackerClient.ConnectAsync(c.Tracker.EndPoint);
        await client.SendAsync(command + "\r\n");
        while (true)
        {
            var line = await client.ReadLineAsync(TimeSpan.FromSeconds(10)) ?? throw new IOException("closed");
            if (Encoding.ASCII.GetString(line).TrimEnd('\r', '\n') == ".") return;
        }
    }

    [Fact]
    public async Task CopiesAreVerifiedChecksumsStoredAndACorruptSourceIsNotSpread()
    {
        await using var c = await TestCluster.StartAsync(ClusterOptions.ForJobs with
        {
            Nodes = [new NodeSpec("h1", "127.0.46.1", 1), new NodeSpec("h2", "127.0.46.2", 2)],
        });
        await c.SetupAsync("testdom", ("sum", 2, null));
        await c.QueryOkAsync("update_class domain=testdom&class=sum&mindevcount=2&hashtype=MD5");
        await c.Tracker.Services.Metadata.ReloadAsync(default);
        await AdminAsync(c, "!want 0 replicate");

        byte[] a = Encoding.ASCII.GetBytes("with a checksum from the client");
        byte[] b = Encoding.ASCII.GetBytes("without a checksum from the client");
        byte[] bad = Encoding.ASCII.GetBytes("this one gets corrupted on disk!");
        long fa = await StoreWithChecksumAsync(c, "a", a);
        long fb = await c.StoreFileAsync("testdom", "b", b, "sum");
        long fbad = await StoreWithChecksumAsync(c, "bad", bad);
        Assert.Null(await c.ScalarAsync("SELECT checksum FROM checksum WHERE fid = @f", ("@f", fb)));

        // Corrupt the only copy of "bad" (same length): replication must refuse to spread it.
        int dev = (await c.DevidsOfAsync(fbad)).Single();
        var node = c.Nodes.First(n => n.Spec.Devices.Contains(dev));
        var corrupt = (byte[])bad.Clone();
        corrupt[0] ^= 0x20;
        await File.WriteAllBytesAsync(node.FilePath(dev, fbad), corrupt);

        await AdminAsync(c, "!want 1 replicate");
        await TestCluster.WaitUntilAsync(async () => (await c.DevidsOfAsync(fa)).Count == 2 && (await c.DevidsOfAsync(fb)).Count == 2
                                                     && await c.CountAsync("SELECT failcount FROM file_to_replicate WHERE fid = @f", ("@f", fbad)) >= 1,
            TimeSpan.FromSeconds(30), "replication of a and b, failure of bad\n" + c.Logs.Dump(10));

        foreach (var (fid, content) in new[] { (fa, a), (fb, b) })
        {
            foreach (var d in await c.DevidsOfAsync(fid))
                Assert.Equal(content, await File.ReadAllBytesAsync(c.Nodes.First(n => n.Spec.Devices.Contains(d)).FilePath(d, fid)));
        }
        // The replicator stored the checksum of "b" (class has MD5, no row yet) after its first copy.
        Assert.Equal(MD5.HashData(b), (byte[])(await c.ScalarAsync("SELECT checksum FROM checksum WHERE fid = @f", ("@f", fb)))!);
        // "bad": one copy, nothing left behind on the other node, the row waits with a back-off.
        Assert.Equal([dev], await c.DevidsOfAsync(fbad));
        await TestCluster.WaitUntilAsync(() => Task.FromResult(c.CopiesOnDisk(fbad).SequenceEqual([dev])), TimeSpan.FromSeconds(10), "no stray copy of the corrupt file");
        Assert.True(c.Logs.Lines.Any(l => l.Contains("checksum mismatch on GET", StringComparison.Ordinal)), c.Logs.Dump(10));
    }

    private static async Task<long> StoreWithChecksumAsync(TestCluster c, string key, byte[] content)
    {
        var open = await c.QueryOkAsync($"create_open domain=testdom&key={key}&class=sum&fid=0");
        (await TestCluster.Http.PutAsync(open["path"], new ByteArrayContent(content))).EnsureSuccessStatusCode();
        string hex = Convert.ToHexStringLower(MD5.HashData(content));
        await c.QueryOkAsync($"create_close domain=testdom&key={key}&fid={open["fid"]}&devid={open["devid"]}&size={content.Length}&path={Uri.EscapeDataString(open["path"])}&checksum=MD5:{hex}");
        return long.Parse(open["fid"]);
    }
}
