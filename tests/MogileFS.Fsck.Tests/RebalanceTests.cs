using System.Globalization;
using MogileFS.Fsck.Tests.Support;
using MogileFS.TestSupport.Cluster;
using MogileFS.Store;
using MogileFS.TestSupport;
using MogileFS.Tracker.Jobs.Rebalance;

namespace MogileFS.Fsck.Tests;

/// <summary>Rebalance by policy and drain, with real trackers and storage nodes on loopback.</summary>
public sealed class RebalanceTests
{
    private static ClusterOptions ThreeHosts(DatabaseKind db, string net) => ClusterOptions.ForJobs with
    {
        Database = db,
        Nodes = [new NodeSpec("h1", net + ".1", 1, 2), new NodeSpec("h2", net + ".2", 3, 4), new NodeSpec("h3", net + ".3", 5, 6)],
    };

    private static async Task WaitRebalanceDoneAsync(TestCluster c) =>
        await TestCluster.WaitUntilAsync(async () =>
                await c.SettingAsync("rebal_host") is null
                && await c.CountAsync("SELECT COUNT(*) FROM file_to_queue WHERE type = 2") == 0,
            TimeSpan.FromSeconds(60), "rebalance to finish");

    private static async Task AssertHealthyAsync(TestCluster c, Dictionary<long, byte[]> files, int copies)
    {
        foreach (var (fid, data) in files)
        {
            var devs = await c.DevidsOfAsync(fid);
            Assert.True(devs.Count >= copies, $"fid {fid} on {string.Join(",", devs)}");
            Assert.True(devs.Select(c.HostOf).Distinct().Count() >= copies, $"fid {fid} copies not on distinct hosts: {string.Join(",", devs)}");
            foreach (int d in devs) Assert.Equal(data, await File.ReadAllBytesAsync(c.FileOnDisk(fid, d)));
            Assert.Equal(devs.Count, (int)await c.CountAsync("SELECT devcount FROM file WHERE fid = @f", ("@f", fid)));
        }
    }

    [Fact]
    public Task CountLimitMovesExactlyThatManyAndTestPredictsDevices_Sqlite() => CountLimitAsync(DatabaseKind.Sqlite, "127.0.55");

    [MariaDbFact]
    public Task CountLimitMovesExactlyThatManyAndTestPredictsDevices_MySql() => CountLimitAsync(DatabaseKind.MySql, "127.0.156");

    [PostgresFact]
    public Task CountLimitMovesExactlyThatManyAndTestPredictsDevices_Postgres() => CountLimitAsync(DatabaseKind.Postgres, "127.0.56");

    /// <summary>Regression (jobs.md §15.10): 2.73's count limit skipped the (N+1)-th fid and moved all the others.</summary>
    private static async Task CountLimitAsync(DatabaseKind db, string net)
    {
        await using var c = await TestCluster.StartAsync(ThreeHosts(db, net));
        await c.SetupAsync("d", ("c2", 2, null));
        var files = await c.SeedOnAsync(12, 2000, "d", "c2", [1, 3], firstFid: 100);

        await c.QueryOkAsync("rebalance_set_policy policy=" + Uri.EscapeDataString("from_devices=1 to_devices=5,6 limit_type=device limit_by=count limit=5"));
        var test = await c.QueryOkAsync("rebalance_test");
        Assert.Equal("1", test["sdevs"]);
        Assert.Equal("5,6", test["ddevs"]);
        var start = await c.QueryOkAsync("rebalance_start");
        Assert.Contains("source_devs=1", start["state"]);
        await WaitRebalanceDoneAsync(c);

        var moved = new List<long>();
        foreach (var fid in files.Keys)
        {
            var devs = await c.DevidsOfAsync(fid);
            if (!devs.Contains(1))
            {
                moved.Add(fid);
                Assert.Contains(3, devs);
                Assert.True(devs.Contains(5) || devs.Contains(6), $"fid {fid} on {string.Join(",", devs)}");
                Assert.False(File.Exists(c.FileOnDisk(fid, 1)));
            }
        }
        Assert.Equal(5, moved.Count);
        Assert.Equal(files.Keys.Order().Take(5), moved.Order()); // fid_age=old: the oldest first
        await AssertHealthyAsync(c, files, 2);
        var state = RebalanceState.Parse(await c.SettingAsync("rebal_state"));
        Assert.Equal([1], state.CompletedDevs);
        Assert.Empty(state.SourceDevs);
        Assert.Equal(5, state.FidsQueued);
        Assert.Equal(0, state.EmptyRuns); // finishing a device is not an empty run (2.73)
        Assert.NotEqual(0, state.TimeFinished);
        Assert.Equal("alive", (await c.QueryOkAsync("get_devices devid=1"))["dev1_status"]);
    }

    /// <summary>As 2.73 counts in rebal_state: a run that found fids but queued none (here every file is larger
    /// than the size limit) is an empty run; finishing the device afterwards is not.</summary>
    [Fact]
    public async Task A_run_that_queues_nothing_counts_as_empty_and_finishing_does_not()
    {
        await using var c = await TestCluster.StartAsync(ThreeHosts(DatabaseKind.Sqlite, "127.0.64"));
        await c.SetupAsync("d", ("c2", 2, null));
        var files = await c.SeedOnAsync(4, 2000, "d", "c2", [1, 3], firstFid: 10);
        await c.QueryOkAsync("rebalance_set_policy policy=" + Uri.EscapeDataString("from_devices=1 to_devices=5,6 limit_type=device limit_by=size limit=1k"));
        await c.QueryOkAsync("rebalance_start");
        await WaitRebalanceDoneAsync(c);
        var state = RebalanceState.Parse(await c.SettingAsync("rebal_state"));
        Assert.Equal(0, state.FidsQueued);
        Assert.Equal(1, state.EmptyRuns);
        Assert.NotEqual(0, state.TimeLatestEmptyRun);
        Assert.Equal([1], state.CompletedDevs);
        await AssertHealthyAsync(c, files, 2);
    }

    /// <summary>Regression (jobs.md §15.10): 2.73 never initialised a global limit, so nothing moved.</summary>
    [Fact]
    public async Task GlobalCountLimitIsSharedByAllSourceDevices()
    {
        await using var c = await TestCluster.StartAsync(ThreeHosts(DatabaseKind.Sqlite, "127.0.57"));
        await c.SetupAsync("d", ("c2", 2, null));
        var files = await c.SeedOnAsync(6, 1000, "d", "c2", [1, 3], firstFid: 10);
        await c.QueryOkAsync("rebalance_set_policy policy=" + Uri.EscapeDataString("from_devices=1,3 to_devices=5,6 limit_type=global limit_by=count limit=3"));
        await c.QueryOkAsync("rebalance_start");
        await WaitRebalanceDoneAsync(c);
        long off = 0;
        foreach (var fid in files.Keys)
            off += 2 - (await c.DevidsOfAsync(fid)).Count(d => d is 1 or 3);
        Assert.Equal(3, off);
        await AssertHealthyAsync(c, files, 2);
        var state = RebalanceState.Parse(await c.SettingAsync("rebal_state"));
        Assert.Equal(3, state.FidsQueued);
        Assert.Equal(0, state.Limit);
    }

    /// <summary>
    /// Regression (jobs.md §10.4/§15.10): stop must end the run, put the source back to alive (2.73 left
    /// it in drain) and a later start resumes from the saved cursor.
    /// </summary>
    [Fact]
    public async Task StopEndsTheRunRestoresTheSourceAndStartResumes()
    {
        await using var c = await TestCluster.StartAsync(ThreeHosts(DatabaseKind.Sqlite, "127.0.58"));
        await c.SetupAsync("d", ("c2", 2, null));
        var files = await c.SeedOnAsync(300, 200, "d", "c2", [1, 3], firstFid: 1000);
        await c.QueryOkAsync("set_server_setting key=queue_rate_for_rebal&value=1");
        await c.QueryOkAsync("rebalance_set_policy policy=" + Uri.EscapeDataString("from_devices=1 to_hosts=3"));
        Assert.Equal("5,6", (await c.QueryOkAsync("rebalance_test"))["ddevs"]);
        await c.QueryOkAsync("rebalance_start");
        await TestCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 1") <= 296,
            TimeSpan.FromSeconds(30), "some moves");
        await c.QueryOkAsync("rebalance_stop");
        await TestCluster.WaitUntilAsync(async () => await c.SettingAsync("rebal_host") is null, TimeSpan.FromSeconds(30), "stop processed");
        Assert.Null(await c.SettingAsync("rebal_signal"));
        Assert.Equal("alive", (await c.QueryOkAsync("get_devices devid=1"))["dev1_status"]);
        var stopped = RebalanceState.Parse(await c.SettingAsync("rebal_state"));
        Assert.NotEqual(0, stopped.TimeStopped);
        Assert.Equal(1, stopped.SdevCurrent);
        Assert.Equal("ERR rebal_not_started Rebalance+not+running", (await c.QueryAsync("rebalance_stop")).TrimEnd());

        // No more moves once the queued ones are done.
        await TestCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_to_queue WHERE type = 2") == 0,
            TimeSpan.FromSeconds(30), "queued moves to finish");
        long left = await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 1");
        Assert.True(left > 0, "the stop came too late to be observed");
        await Task.Delay(1500);
        Assert.Equal(left, await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 1"));

        // Resume from the saved state: the rest moves, the device ends up alive and empty.
        await c.QueryOkAsync("rebalance_start");
        await WaitRebalanceDoneAsync(c);
        Assert.Equal(0L, await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 1"));
        Assert.Equal("alive", (await c.QueryOkAsync("get_devices devid=1"))["dev1_status"]);
        var done = RebalanceState.Parse(await c.SettingAsync("rebal_state"));
        Assert.Equal(300, done.FidsQueued);
        Assert.Equal([1], done.CompletedDevs);
        await AssertHealthyAsync(c, files, 2);
    }

    /// <summary>
    /// Regression (jobs.md §10.4 quirk): a destination list on a single host made MultipleHosts "happy"
    /// with two copies on that host. The move must keep the class's copies on distinct hosts.
    /// </summary>
    [Fact]
    public async Task DestinationsOnTheOtherCopysHostDoNotBreakMultipleHosts()
    {
        await using var c = await TestCluster.StartAsync(ThreeHosts(DatabaseKind.Sqlite, "127.0.59"));
        await c.SetupAsync("d", ("c2", 2, null));
        var files = await c.SeedOnAsync(4, 800, "d", "c2", [1, 3], firstFid: 50);
        await c.QueryOkAsync("rebalance_set_policy policy=" + Uri.EscapeDataString("from_devices=1 to_devices=4"));
        await c.QueryOkAsync("rebalance_start");
        await WaitRebalanceDoneAsync(c);
        foreach (var fid in files.Keys)
        {
            var devs = await c.DevidsOfAsync(fid);
            Assert.DoesNotContain(1, devs);
            Assert.True(devs.Select(c.HostOf).Distinct().Count() >= 2, $"fid {fid} on {string.Join(",", devs)}");
        }
        await AssertHealthyAsync(c, files, 2);
    }

    [Fact]
    public Task DrainEmptiesADeviceWithoutEverGoingUnderMindevcount_Sqlite() => DrainAsync(DatabaseKind.Sqlite, "127.0.60");

    [MariaDbFact]
    public Task DrainEmptiesADeviceWithoutEverGoingUnderMindevcount_MySql() => DrainAsync(DatabaseKind.MySql, "127.0.161");

    [PostgresFact]
    public Task DrainEmptiesADeviceWithoutEverGoingUnderMindevcount_Postgres() => DrainAsync(DatabaseKind.Postgres, "127.0.61");

    private static async Task DrainAsync(DatabaseKind db, string net)
    {
        await using var c = await TestCluster.StartAsync(ThreeHosts(db, net));
        await c.SetupAsync("d", ("c2", 2, null));
        var files = await c.SeedOnAsync(20, 1500, "d", "c2", [1, 3], firstFid: 200);
        foreach (var (fid, data) in (await c.SeedOnAsync(10, 700, "d", "c2", [1, 5], firstFid: 300))) files[fid] = data;

        // 2.73 semantics by default: drain alone moves nothing.
        await c.QueryOkAsync("set_state host=h1&device=1&state=drain");
        await Task.Delay(1500);
        Assert.Equal(30L, await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 1"));

        using var stop = new CancellationTokenSource();
        long minCopies = long.MaxValue;
        int samples = 0;
        await c.QueryOkAsync("set_server_setting key=queue_rate_for_rebal&value=1");
        await using var conn = await c.OpenDatabaseAsync();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Copies per fid as the database lists them (a copy is listed only once it is on disk,
                // and its row goes only after the source was deleted from disk).
                await using var cmd = conn.CreateCommand();
                cmd.CommandText = "SELECT MIN(n) FROM (SELECT f.fid, COUNT(o.devid) AS n FROM file f LEFT JOIN file_on o ON o.fid = f.fid GROUP BY f.fid) t";
                minCopies = Math.Min(minCopies, Convert.ToInt64(await cmd.ExecuteScalarAsync()));
                samples++;
            }
        });
        await c.QueryOkAsync("set_server_setting key=drain_moves_files&value=1");
        await TestCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 1") == 0,
            TimeSpan.FromSeconds(60), "dev1 to be drained");
        await TestCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_to_queue WHERE type = 2") == 0,
            TimeSpan.FromSeconds(30), "drain queue to empty");
        stop.Cancel();
        await sampler;
        Assert.True(samples >= 5, "sampler too slow");
        Assert.True(minCopies >= 2, $"a fid went down to {minCopies} copies during the drain");
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(c.Nodes[0].DocRoot, "dev1"), "*.fid", SearchOption.AllDirectories));
        await AssertHealthyAsync(c, files, 2);
        Assert.Equal("drain", (await c.QueryOkAsync("get_devices devid=1"))["dev1_status"]);
    }
}
