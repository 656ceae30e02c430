using System.Text;
using MogileFS.TestSupport.Cluster;

namespace MogileFS.Jobs.Tests;

/// <summary>
/// Issue 16: the opt-in server setting <c>auto_mark_dead_after</c> marks a device dead once the
/// monitor has seen it unreachable that long, so a storage node lost for good is re-replicated
/// without an operator. Off by default: then a lost node's devices stay alive, as in 2.73.
/// </summary>
public sealed class AutoDeadTests
{
    private static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);

    private static Task<TestCluster> StartAsync(string net) => TestCluster.StartAsync(ClusterOptions.ForJobs with
    {
        Nodes = [new NodeSpec("h1", $"127.0.{net}.1", 1), new NodeSpec("h2", $"127.0.{net}.2", 2), new NodeSpec("h3", $"127.0.{net}.3", 3)],
    });

    private static async Task<List<long>> StoreAsync(TestCluster c, int n)
    {
        await c.SetupAsync("testdom", ("c2", 2, null));
        var fids = new List<long>();
        for (int i = 0; i < n; i++) fids.Add(await c.StoreFileAsync("testdom", "k" + i, Bytes("payload " + i), "c2"));
        await TestCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate") == 0
                                                     && (await c.AllLocationsAsync()).Values.All(l => l.Count == 2),
            TimeSpan.FromSeconds(40), "first replication");
        return fids;
    }

    private static Task<long> StatusIsAsync(TestCluster c, int devid, string status) =>
        c.CountAsync("SELECT COUNT(*) FROM device WHERE devid = @d AND status = @s", ("@d", devid), ("@s", status));

    [Fact]
    public async Task A_node_lost_for_good_is_marked_dead_and_its_files_come_back_to_their_count()
    {
        await using var c = await StartAsync("141");
        var fids = await StoreAsync(c, 20);
        Assert.True(await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 3") > 0, "device 3 holds copies");

        await c.QueryOkAsync("set_server_setting key=auto_mark_dead_after&value=2");
        await c.StopNodeAsync(c.Nodes[2]);
        try
        {
            await TestCluster.WaitUntilAsync(async () => await StatusIsAsync(c, 3, "dead") == 1, TimeSpan.FromSeconds(30), "device 3 marked dead");
            await TestCluster.WaitUntilAsync(async () =>
                    await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 3") == 0
                    && await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate") == 0
                    && (await c.AllLocationsAsync()).Values.All(l => l.Count == 2),
                TimeSpan.FromSeconds(40), "the lost node's files re-replicated");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + c.Logs.Dump(30), e);
        }
        foreach (var fid in fids)
        {
            var devs = await c.DevidsOfAsync(fid);
            Assert.Equal([1, 2], devs.Order().ToList());
            foreach (var d in devs) Assert.Contains(d, c.CopiesOnDisk(fid));
        }
        Assert.Contains(c.Logs.Lines, l => l.Contains("marked dead (server setting auto_mark_dead_after)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Off_by_default_and_held_back_while_most_hosts_are_unreachable()
    {
        await using var c = await StartAsync("142");
        await StoreAsync(c, 6);

        // Without the setting (2.73): a node gone for many reaper passes leaves its device alive.
        await c.StopNodeAsync(c.Nodes[2]);
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(1, await StatusIsAsync(c, 3, "alive"));

        // With it, but with two of three hosts gone the tracker is more likely cut off than the
        // nodes dead: nothing is marked.
        await c.StopNodeAsync(c.Nodes[1]);
        await c.QueryOkAsync("set_server_setting key=auto_mark_dead_after&value=1");
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(0, await c.CountAsync("SELECT COUNT(*) FROM device WHERE status = 'dead'"));
        Assert.Contains(c.Logs.Lines, l => l.Contains("not marking them dead", StringComparison.Ordinal));

        // One host back: two of three reachable, so the one still missing is marked.
        await c.StartNodeAsync(c.Nodes[1]);
        await TestCluster.WaitUntilAsync(async () => await StatusIsAsync(c, 3, "dead") == 1, TimeSpan.FromSeconds(30),
            "device 3 marked dead once most hosts are back\n" + c.Logs.Dump(30));
        Assert.Equal(1, await StatusIsAsync(c, 2, "alive"));
    }

    [Fact]
    public async Task The_setting_takes_whole_seconds()
    {
        await using var c = await StartAsync("143");
        Assert.StartsWith("ERR invalid_format", await c.QueryAsync("set_server_setting key=auto_mark_dead_after&value=soon"));
        await c.QueryOkAsync("set_server_setting key=auto_mark_dead_after&value=600");
        Assert.Equal("600", (await c.QueryOkAsync("server_setting key=auto_mark_dead_after"))["value"]);
    }
}
