using System.Text;
using MogileFS.Jobs.Tests.Support;
using MogileFS.Store;
using MogileFS.TestSupport;

namespace MogileFS.Jobs.Tests;

/// <summary>What operators steer and see: !jobs/!want/!stats, replicate_now, class changes, parked rows, the monitor.</summary>
public sealed class ControlTests
{
    private static JobsClusterOptions ThreeHosts(string net) => new()
    {
        Nodes = [new NodeSpec("h1", $"127.0.{net}.1", 1), new NodeSpec("h2", $"127.0.{net}.2", 2), new NodeSpec("h3", $"127.0.{net}.3", 3)],
    };

    private static Task<string> AdminAsync(JobsCluster c, string command) => c.AdminAsync(command);

    [Fact]
    public async Task JobsWantAndStatsShowTheRealWorkers()
    {
        await using var c = await JobsCluster.StartAsync(ThreeHosts("41"));
        await c.SetupAsync("testdom", ("c2", 2, null));
        string jobs = await AdminAsync(c, "!jobs");
        foreach (var job in new[] { "monitor", "job_master", "replicate", "delete", "reaper" })
        {
            Assert.Contains($"{job} count 1", jobs);
            Assert.Contains($"{job} desired 1", jobs);
        }
        Assert.Contains("Now desiring 3 children doing 'replicate'.", await AdminAsync(c, "!want 3 replicate"));
        Assert.Contains("replicate count 3", await AdminAsync(c, "!jobs"));
        Assert.Equal(3, c.Tracker.Services.Jobs.All.Single(j => j.Name == "replicate").Running);

        // No replicate workers: uploads stay at one copy; workers back: they get replicated.
        await AdminAsync(c, "!want 0 replicate");
        Assert.Contains("replicate count 0\nreplicate desired 0\nreplicate pids \n", await AdminAsync(c, "!jobs")); // listed, as 2.73
        long fid = await c.StoreFileAsync("testdom", "k", Encoding.ASCII.GetBytes("x"), "c2");
        await Task.Delay(1500);
        Assert.Single(await c.DevidsOfAsync(fid));
        await AdminAsync(c, "!want 1 replicate");
        await JobsCluster.WaitUntilAsync(async () => (await c.DevidsOfAsync(fid)).Count == 2, TimeSpan.FromSeconds(20), "replication after !want 1");
        string stats = await AdminAsync(c, "!stats");
        Assert.Matches(@"work_sent_to_replicate [1-9]", stats);
        Assert.Contains("work_queue_for_replicate 0", stats);
    }

    [Fact]
    public async Task MindevcountChangesAndReplicateNowTakeEffect()
    {
        await using var c = await JobsCluster.StartAsync(ThreeHosts("42"));
        await c.SetupAsync("testdom", ("c", 2, null));
        var fids = new List<long>();
        for (int i = 0; i < 5; i++) fids.Add(await c.StoreFileAsync("testdom", "k" + i, Encoding.ASCII.GetBytes("v" + i), "c"));
        await JobsCluster.WaitUntilAsync(async () => (await c.AllLocationsAsync()).Values.All(l => l.Count == 2), TimeSpan.FromSeconds(20), "2 copies");

        // More copies: the class says 3; files re-queued (as fsck would) get a third copy.
        await c.QueryOkAsync("update_class domain=testdom&class=c&mindevcount=3");
        foreach (var fid in fids) await c.ExecuteAsync("INSERT INTO file_to_replicate (fid, nexttry, failcount) VALUES (@f, 0, 0)", ("@f", fid));
        await JobsCluster.WaitUntilAsync(async () => (await c.AllLocationsAsync()).Values.All(l => l.Count == 3), TimeSpan.FromSeconds(20), "3 copies");

        // Fewer: surplus copies are removed (too_happy), one per attempt; replicate_now skips the back-off.
        await c.QueryOkAsync("update_class domain=testdom&class=c&mindevcount=1");
        foreach (var fid in fids) await c.ExecuteAsync("INSERT INTO file_to_replicate (fid, nexttry, failcount) VALUES (@f, 0, 0)", ("@f", fid));
        await JobsCluster.WaitUntilAsync(async () =>
        {
            await c.QueryOkAsync("replicate_now");
            return (await c.AllLocationsAsync()).Values.All(l => l.Count == 1) && await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate") == 0;
        }, TimeSpan.FromSeconds(40), "1 copy\n" + c.Logs.Dump(10));
        foreach (var fid in fids) Assert.Equal(await c.DevidsOfAsync(fid), c.CopiesOnDisk(fid));
    }

    [Fact]
    public Task AFileWithoutAnyCopyIsParkedAtEndOfTimeAndReplicateNowRevivesIt() => ParkingAsync(DatabaseKind.Sqlite, "43");

    [MariaDbFact]
    public Task AFileWithoutAnyCopyIsParkedAtEndOfTimeAndReplicateNowRevivesItOnMySql() => ParkingAsync(DatabaseKind.MySql, "83");

    [PostgresFact]
    public Task AFileWithoutAnyCopyIsParkedAtEndOfTimeAndReplicateNowRevivesItOnPostgres() => ParkingAsync(DatabaseKind.Postgres, "63");

    private static async Task ParkingAsync(DatabaseKind db, string net)
    {
        var options = ThreeHosts(net);
        await using var c = await JobsCluster.StartAsync(new JobsClusterOptions { Database = db, Nodes = options.Nodes });
        await c.SetupAsync("testdom", ("c", 2, null));
        int dmid = Convert.ToInt32(await c.ScalarAsync("SELECT dmid FROM domain"));
        await c.ExecuteAsync("INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (500, @d, 'orphan', 3, 0, 0)", ("@d", dmid));
        await c.ExecuteAsync("INSERT INTO file_to_replicate (fid, nexttry, failcount) VALUES (500, 0, 0)");
        await JobsCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate WHERE nexttry = 2147483647 AND failcount = 1") == 1,
            TimeSpan.FromSeconds(20), "no_source row parked");
        var reply = await c.QueryOkAsync("replicate_now");
        Assert.Equal("1", reply["count"]);
        await JobsCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate WHERE nexttry = 2147483647 AND failcount = 2") == 1,
            TimeSpan.FromSeconds(20), "row tried again and parked again");
    }

    [Fact]
    public async Task MonitorPublishesStatesUsageAndNoticesNewDevicesAndDeadNodes()
    {
        await using var c = await JobsCluster.StartAsync(ThreeHosts("44"));
        await c.SetupAsync("testdom", ("c", 2, null));
        var rt = c.Tracker.Services;
        Assert.True(rt.Monitor.DrivenByMonitorJob);
        Assert.True(rt.Monitor.HasCompletedFirstRound);
        foreach (var d in rt.Metadata.Current.Devices)
        {
            Assert.True(d.MbTotal > 0 && d.MbUsed > 0 && d.MbAsOf > 0, "usage written for dev" + d.Id);
            Assert.Equal(MogileFS.Core.Model.ObservedState.Writeable, rt.Observations.Get(d.Id)!.State);
            Assert.NotNull(rt.Observations.Get(d.Id)!.RejectBadMd5);
        }

        // A device added at run time becomes usable without a restart.
        Directory.CreateDirectory(Path.Combine(c.Nodes[0].DocRoot, "dev7"));
        await c.Nodes[0].Server!.WriteUsageNowAsync();
        await c.QueryOkAsync("create_device devid=7&hostname=h1&state=alive");
        await c.WaitWriteableAsync([7]);

        // A stopped node: its devices become unreachable fast (connection refused), then writeable again.
        await c.StopNodeAsync(c.Nodes[2]);
        await JobsCluster.WaitUntilAsync(() => Task.FromResult(rt.Observations.Get(3)?.State == MogileFS.Core.Model.ObservedState.Unreachable),
            TimeSpan.FromSeconds(10), "dev3 unreachable");
        var open = await c.QueryOkAsync("create_open domain=testdom&key=x&fid=0&multi_dest=1");
        Assert.DoesNotContain(open.Where(kv => kv.Key.StartsWith("devid_", StringComparison.Ordinal)), kv => kv.Value == "3");
        await c.StartNodeAsync(c.Nodes[2]);
        await c.WaitWriteableAsync([3]);

        // Readonly devices are readable, not write-tested.
        await c.QueryOkAsync("set_state host=h2&device=2&state=readonly");
        await JobsCluster.WaitUntilAsync(() => Task.FromResult(rt.Observations.Get(2)?.State == MogileFS.Core.Model.ObservedState.Readable),
            TimeSpan.FromSeconds(10), "dev2 readable");
    }

    [Fact]
    public async Task IoStatUtilisationReachesTheObservations()
    {
        await using var c = await JobsCluster.StartAsync(new JobsClusterOptions { Nodes = [new NodeSpec("h1", "127.0.45.1", 1), new NodeSpec("h2", "127.0.45.2", 2)], NodeIoStat = true });
        await c.SetupAsync("testdom");
        var rt = c.Tracker.Services;
        // The node reports a utilisation (or "-" when no disk maps to the device) once a second.
        await JobsCluster.WaitUntilAsync(() => Task.FromResult(rt.Observations.Get(1)?.Utilization != null && rt.Observations.Get(2)?.Utilization != null),
            TimeSpan.FromSeconds(20), "iostat figures in the observations");
    }
}
