using System.Diagnostics;
using System.Security.Cryptography;
using MogileFS.Fsck.Tests.Support;
using MogileFS.TestSupport.Cluster;
using MogileFS.Store;
using MogileFS.TestSupport;

namespace MogileFS.Fsck.Tests;

/// <summary>Background scrubbing (ours): bit rot is found and repaired without anyone starting fsck.</summary>
public sealed class ScrubTests
{
    [Fact]
    public async Task ScrubbingFindsAFlippedByteWithoutFsckStart_AtTheConfiguredRate()
    {
        await using var c = await TestCluster.StartAsync(ClusterOptions.ForJobs with
        {
            Database = DatabaseKind.Sqlite,
            Nodes = [new NodeSpec("h1", "127.0.62.1", 1), new NodeSpec("h2", "127.0.62.2", 2)],
        });
        await c.SetupAsync("d", ("c2", 2, null));
        await c.QueryOkAsync("create_class domain=d&class=md5c&mindevcount=2&hashtype=MD5");
        await c.Tracker.Services.Metadata.ReloadAsync(default);
        var files = new Dictionary<long, byte[]>();
        for (int i = 0; i < 8; i++)
        {
            var data = new byte[6000];
            new Random(i).NextBytes(data);
            long fid = i == 3 ? await c.StoreWithChecksumAsync("d", "k" + i, data, "md5c") : await c.StoreFileAsync("d", "k" + i, data, "c2");
            files[fid] = data;
        }
        foreach (var (fid, data) in files) await c.WaitHealthyAsync(fid, 2, data);
        long rotFid = files.Keys.Order().ElementAt(3);
        var devs = await c.DevidsOfAsync(rotFid);
        var bad = (byte[])files[rotFid].Clone();
        bad[4000] ^= 0x01;
        await File.WriteAllBytesAsync(c.FileOnDisk(rotFid, devs[1]), bad);

        // 8 files × 2 copies × 6000 bytes = 96000 bytes at 32 KiB/s: a pass cannot take less than ~2 s.
        var sw = Stopwatch.StartNew();
        await c.QueryOkAsync("set_server_setting key=scrub_rate&value=32k");
        await TestCluster.WaitUntilAsync(async () => await c.SettingAsync("scrub_passes") == "1", TimeSpan.FromSeconds(60), "one scrub pass");
        sw.Stop();
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(1.5), $"scrub pass took {sw.Elapsed}, faster than the rate allows");
        Assert.Null(await c.SettingAsync("fsck_host"));

        var log = await c.FsckLogAsync();
        Assert.Equal([("BSUM", (int?)devs[1]), ("REPL", null)], log.Where(e => e.Fid == rotFid).Select(e => (e.Code, e.DevId)));
        Assert.All(log, e => Assert.Equal(rotFid, e.Fid));
        await c.WaitHealthyAsync(rotFid, 2, files[rotFid]);
        Assert.Equal("MD5:" + Convert.ToHexStringLower(MD5.HashData(files[rotFid])), (await c.QueryOkAsync("file_info domain=d&key=k3"))["checksum"]);

        Assert.StartsWith("ERR invalid_format", await c.QueryAsync("set_server_setting key=scrub_rate&value=fast"));
        await c.QueryOkAsync("set_server_setting key=scrub_rate&value=0");
        Assert.Equal("0", await c.SettingAsync("scrub_rate"));
    }
}

public sealed class JobVisibilityTests
{
    [Fact]
    public async Task FsckWorkersShowInJobsAndFollowWant()
    {
        await using var c = await TestCluster.StartAsync(ClusterOptions.ForJobs with
        {
            Database = DatabaseKind.Sqlite,
            Nodes = [new NodeSpec("h1", "127.0.63.1", 1)],
        });
        await c.SetupAsync("d");
        async Task<string> Admin(string cmd)
        {
            await using var client = await TrackerClient.ConnectAsync(c.Tracker.EndPoint);
            await client.SendAsync(cmd + "\r\n");
            var sb = new System.Text.StringBuilder();
            while (true)
            {
                var line = await client.ReadLineAsync(TimeSpan.FromSeconds(10)) ?? throw new IOException("closed");
                string text = System.Text.Encoding.ASCII.GetString(line).TrimEnd('\r', '\n');
                if (text == ".") return sb.ToString();
                sb.Append(text).Append('\n');
                if (text.StartsWith("Now desiring", StringComparison.Ordinal) || text.StartsWith("ERR", StringComparison.Ordinal)) return sb.ToString();
            }
        }
        string jobs = "";
        await TestCluster.WaitUntilAsync(async () =>
        {
            jobs = await Admin("!jobs");
            return jobs.Contains("fsck count 1", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), "fsck workers in !jobs");
        // As 2.73: rebalance moves are done by the replicate workers' count, no job of their own.
        Assert.DoesNotContain("rebalance", jobs);
        Assert.Contains("replicate count 1", jobs);
        Assert.StartsWith("Now desiring 2 children doing 'fsck'", await Admin("!want 2 fsck"));
        await TestCluster.WaitUntilAsync(async () => (await Admin("!jobs")).Contains("fsck count 2", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "two fsck workers");
    }
}
