using System.Text;
using MogileFS.Jobs.Tests.Support;
using MogileFS.Store;

namespace MogileFS.Jobs.Tests;

/// <summary>Device states (jobs.md §2), dead devices (reaper), a node restarted during a replication burst.</summary>
public sealed class StateAndRecoveryTests
{
    private static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);

    private static async Task DrainReplicationAsync(JobsCluster c, int seconds = 40) =>
        await JobsCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate") == 0,
            TimeSpan.FromSeconds(seconds), "replication queue to drain\n" + c.Logs.Dump(20));

    [Fact]
    public async Task DeviceStatesSteerReplicationAndCopiesOnDownDrainDevicesCount()
    {
        await using var c = await JobsCluster.StartAsync(new JobsClusterOptions
        {
            Nodes = [new NodeSpec("h1", "127.0.22.1", 1, 2), new NodeSpec("h2", "127.0.22.2", 3, 4), new NodeSpec("h3", "127.0.22.3", 5)],
        });
        await c.SetupAsync("testdom", ("c2", 2, null));
        await c.QueryOkAsync("set_state host=h2&device=3&state=readonly");
        await c.QueryOkAsync("set_state host=h2&device=4&state=down");
        await c.QueryOkAsync("set_state host=h3&device=5&state=drain");

        // Only h1's devices take new files and replicas; no host but h1 has an alive device, so two
        // copies on h1 satisfy MultipleHosts (hosts_on >= total_hosts).
        var first = new List<long>();
        for (int i = 0; i < 8; i++) first.Add(await c.StoreFileAsync("testdom", "a" + i, Bytes("first " + i), "c2"));
        await DrainReplicationAsync(c);
        foreach (var fid in first)
        {
            Assert.Equal([1, 2], await c.DevidsOfAsync(fid));
            Assert.Equal([1, 2], c.CopiesOnDisk(fid));
        }

        // Device 3 alive again: new files go to two hosts.
        await c.QueryOkAsync("set_state host=h2&device=3&state=alive");
        await c.WaitWriteableAsync([3]);
        var second = new List<long>();
        for (int i = 0; i < 8; i++) second.Add(await c.StoreFileAsync("testdom", "b" + i, Bytes("second " + i), "c2"));
        await DrainReplicationAsync(c);
        foreach (var fid in second)
        {
            var devs = await c.DevidsOfAsync(fid);
            Assert.Equal(2, devs.Count);
            Assert.Contains(3, devs);
            Assert.Equal(devs, c.CopiesOnDisk(fid));
        }

        // Copies on down and drain devices still count (quirk 15.1): re-queued files get no new copy.
        await c.QueryOkAsync("set_state host=h2&device=3&state=down");
        await c.QueryOkAsync("set_state host=h3&device=5&state=alive");
        await c.WaitWriteableAsync([5]);
        foreach (var fid in second) await c.ExecuteAsync("INSERT INTO file_to_replicate (fid, nexttry, failcount) VALUES (@f, 0, 0)", ("@f", fid));
        await DrainReplicationAsync(c);
        foreach (var fid in second)
        {
            Assert.Equal(2, (await c.DevidsOfAsync(fid)).Count);
            Assert.DoesNotContain(5, c.CopiesOnDisk(fid));
        }
    }

    [Fact]
    public Task DeadDeviceFilesComeBackToFullCount() => DeadDeviceAsync(DatabaseKind.Sqlite, "23");

    [MogileFS.TestSupport.MariaDbFact]
    public Task DeadDeviceFilesComeBackToFullCountOnMySql() => DeadDeviceAsync(DatabaseKind.MySql, "93");

    [MogileFS.TestSupport.PostgresFact]
    public Task DeadDeviceFilesComeBackToFullCountOnPostgres() => DeadDeviceAsync(DatabaseKind.Postgres, "53");

    private static async Task DeadDeviceAsync(DatabaseKind db, string net)
    {
        await using var c = await JobsCluster.StartAsync(new JobsClusterOptions
        {
            Database = db,
            Nodes = [new NodeSpec("h1", $"127.0.{net}.1", 1, 2), new NodeSpec("h2", $"127.0.{net}.2", 3, 4)],
        });
        await c.SetupAsync("testdom", ("c2", 2, null));
        var fids = new List<long>();
        for (int i = 0; i < 20; i++) fids.Add(await c.StoreFileAsync("testdom", "k" + i, Bytes("payload " + i), "c2"));
        await DrainReplicationAsync(c);
        long onDev3 = await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 3");
        Assert.True(onDev3 > 0, "device 3 holds copies");

        await c.QueryOkAsync("set_state host=h2&device=3&state=dead");
        try
        {
            await JobsCluster.WaitUntilAsync(async () =>
                    await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 3") == 0
                    && await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate") == 0
                    && (await c.AllLocationsAsync()).Values.All(l => l.Count == 2),
                TimeSpan.FromSeconds(40), "dead device's files re-replicated");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + c.Logs.Dump(20), e);
        }
        foreach (var fid in fids)
        {
            var devs = await c.DevidsOfAsync(fid);
            Assert.DoesNotContain(3, devs);
            Assert.NotEqual(c.HostOf(devs[0]), c.HostOf(devs[1]));
            Assert.Equal(2L, await c.CountAsync("SELECT devcount FROM file WHERE fid = @f", ("@f", fid)));
            foreach (var d in devs) Assert.Contains(d, c.CopiesOnDisk(fid));
        }
    }

    [Fact]
    public async Task NodeStoppedDuringBurstAndRestartedEndsWithExactlyTheRightCopies()
    {
        await using var c = await JobsCluster.StartAsync(new JobsClusterOptions
        {
            Nodes = [new NodeSpec("h1", "127.0.24.1", 1, 2), new NodeSpec("h2", "127.0.24.2", 3, 4)],
        });
        await c.SetupAsync("testdom", ("c2", 2, null));
        var h2 = c.Nodes[1];
        await c.QueryOkAsync("set_state host=h1&device=2&state=readonly"); // seeds sit on dev 1 only
        var fids = await c.SeedFilesAsync(1000, 1024, "testdom", "c2", devid: 1);
        await c.QueryOkAsync("set_state host=h1&device=2&state=alive");
        await JobsCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid IN (3, 4)") >= 20,
            TimeSpan.FromSeconds(20), "the burst to start");
        await c.StopNodeAsync(h2);
        long copiedBeforeStop = await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid IN (3, 4)");
        Assert.True(copiedBeforeStop < fids.Count, $"the node went down mid-burst ({copiedBeforeStop} of {fids.Count} copied)");
        await Task.Delay(1500);
        await c.StartNodeAsync(h2);
        await c.WaitWriteableAsync([3, 4]);

        // Retries wait for their back-off; replicate_now makes them due, as an operator would.
        await JobsCluster.WaitUntilAsync(async () =>
        {
            await c.QueryOkAsync("replicate_now");
            var all = await c.AllLocationsAsync();
            return all.Values.All(l => l.Count == 2 && l.Select(c.HostOf).Distinct().Count() == 2)
                && await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate") == 0
                && c.Jobs().Replicator.PendingStrays == 0;
        }, TimeSpan.FromSeconds(90), "every file on two hosts\n" + c.Logs.Dump(20));
        foreach (var fid in fids)
        {
            var devs = await c.DevidsOfAsync(fid);
            Assert.Equal(devs, c.CopiesOnDisk(fid)); // no stray or missing copy on disk
            Assert.Equal(2L, await c.CountAsync("SELECT devcount FROM file WHERE fid = @f", ("@f", fid)));
        }
    }

    [Fact]
    public async Task ZonesPlaceOneCopyPerNetwork()
    {
        await using var c = await JobsCluster.StartAsync(new JobsClusterOptions
        {
            Nodes = [new NodeSpec("n1", "127.0.31.1", 1), new NodeSpec("n2", "127.0.31.2", 2), new NodeSpec("f1", "127.0.32.1", 3)],
        });
        await c.ExecuteAsync("INSERT INTO server_settings (field, value) VALUES ('network_zones', 'near,far')");
        await c.ExecuteAsync("INSERT INTO server_settings (field, value) VALUES ('zone_near', '127.0.31.0/24')");
        await c.ExecuteAsync("INSERT INTO server_settings (field, value) VALUES ('zone_far', '127.0.32.0/24')");
        await c.SetupAsync("testdom", ("z", 2, "HostsPerNetwork(near=1, far=1)"));
        await c.Tracker.Services.Metadata.ReloadAsync(default);
        var fids = new List<long>();
        for (int i = 0; i < 12; i++) fids.Add(await c.StoreFileAsync("testdom", "z" + i, Bytes("zone " + i), "z"));
        await DrainReplicationAsync(c);
        foreach (var fid in fids)
        {
            var devs = await c.DevidsOfAsync(fid);
            Assert.Equal(2, devs.Count);
            Assert.Contains(3, devs); // exactly one in "far"
            Assert.Single(devs, d => d is 1 or 2);
        }
    }
}
