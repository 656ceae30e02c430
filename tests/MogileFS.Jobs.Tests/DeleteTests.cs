using System.Text;
using MogileFS.TestSupport.Cluster;

namespace MogileFS.Jobs.Tests;

/// <summary>The delete worker (jobs.md §7) and tempfile reaping (schema.md §3.4).</summary>
public sealed class DeleteTests
{
    private static ClusterOptions TwoHosts(MogileFS.Store.DatabaseKind db = MogileFS.Store.DatabaseKind.Sqlite, string net = "25") => ClusterOptions.ForJobs with
    {
        Database = db,
        Nodes = [new NodeSpec("h1", $"127.0.{net}.1", 1), new NodeSpec("h2", $"127.0.{net}.2", 2)],
    };

    [Fact]
    public Task DeleteRemovesEveryCopyAndToleratesANodeThatIsDown() => DeleteAsync(MogileFS.Store.DatabaseKind.Sqlite, "25");

    [MogileFS.TestSupport.MariaDbFact]
    public Task DeleteRemovesEveryCopyAndToleratesANodeThatIsDownOnMySql() => DeleteAsync(MogileFS.Store.DatabaseKind.MySql, "85");

    [MogileFS.TestSupport.PostgresFact]
    public Task DeleteRemovesEveryCopyAndToleratesANodeThatIsDownOnPostgres() => DeleteAsync(MogileFS.Store.DatabaseKind.Postgres, "55");

    private static async Task DeleteAsync(MogileFS.Store.DatabaseKind db, string net)
    {
        await using var c = await TestCluster.StartAsync(TwoHosts(db, net));
        await c.SetupAsync("testdom", ("c2", 2, null));
        var fids = new List<long>();
        for (int i = 0; i < 10; i++) fids.Add(await c.StoreFileAsync("testdom", "k" + i, Encoding.ASCII.GetBytes("data " + i), "c2"));
        await TestCluster.WaitUntilAsync(async () => (await c.AllLocationsAsync()).Values.All(l => l.Count == 2), TimeSpan.FromSeconds(30), "replication");

        // Half the keys while both nodes are up: all bytes go.
        for (int i = 0; i < 5; i++) await c.QueryOkAsync("delete domain=testdom&key=k" + i);
        await TestCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_to_delete2") == 0, TimeSpan.FromSeconds(30), "delete queue");
        foreach (var fid in fids.Take(5))
        {
            Assert.Empty(c.CopiesOnDisk(fid));
            Assert.Empty(await c.DevidsOfAsync(fid));
        }

        // The rest while h2 is down: h1's copies go, h2's wait for the node.
        await c.StopNodeAsync(c.Nodes[1]);
        await TestCluster.WaitUntilAsync(() =>
        {
            var snap = c.Tracker.Services.Metadata.Current;
            snap.TryGetDevice(2, out var d);
            return Task.FromResult(!c.Tracker.Services.Observations.IsWriteable(d!));
        }, TimeSpan.FromSeconds(20), "monitor to notice h2 is down");
        for (int i = 5; i < 10; i++) await c.QueryOkAsync("delete domain=testdom&key=k" + i);
        await TestCluster.WaitUntilAsync(async () =>
            await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 1 AND fid IN (SELECT fid FROM file_to_delete2)") == 0
            && await c.CountAsync("SELECT COUNT(*) FROM file_to_delete2 WHERE nexttry > 1000 + 0 AND failcount > 0") == 5,
            TimeSpan.FromSeconds(30), "h1 copies deleted, rows rescheduled");
        foreach (var fid in fids.Skip(5)) Assert.Equal([2], c.CopiesOnDisk(fid));

        await c.StartNodeAsync(c.Nodes[1]);
        await c.WaitWriteableAsync([2]);
        await c.ExecuteAsync("UPDATE file_to_delete2 SET nexttry = 0"); // skip the 10-minute back-off
        await TestCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_to_delete2") == 0, TimeSpan.FromSeconds(30), "delete queue after restart");
        foreach (var fid in fids) Assert.Empty(c.CopiesOnDisk(fid));
        Assert.Equal(0L, await c.CountAsync("SELECT COUNT(*) FROM file_on"));
    }

    [Fact]
    public async Task EveryDeferredCopyCountsOneFailureAndTheDelayUsesTheClaimedCount()
    {
        // 2.73 (Worker/Delete.pm): each location it cannot delete adds one to failcount, and each delay is
        // computed from the failcount the row was claimed with; the last one wins. Found by running 2.73
        // and ours side by side: two copies on a host marked down gave 7200 s here, 3600 s there.
        var o = ClusterOptions.ForJobs with { Nodes = [new NodeSpec("h1", "127.0.65.1", 1), new NodeSpec("h2", "127.0.65.2", 2, 3)] };
        await using var c = await TestCluster.StartAsync(o);
        await c.SetupAsync("testdom", ("c1", 1, null));
        long fid = (await c.SeedFilesAsync(1, 100, "testdom", "c1", devid: 2, firstFid: 70))[0];
        await c.ExecuteAsync("INSERT INTO file_on (fid, devid) VALUES (@f, 3)", ("@f", fid));
        await c.ExecuteAsync("UPDATE file SET devcount = 2 WHERE fid = @f", ("@f", fid));
        await c.QueryOkAsync("update_host host=h2&status=down");
        long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await c.QueryOkAsync("delete domain=testdom&key=seed-" + fid);
        await TestCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT failcount FROM file_to_delete2 WHERE fid = @f", ("@f", fid)) == 2,
            TimeSpan.FromSeconds(30), "the delete pass to defer both copies");
        long nexttry = await c.CountAsync("SELECT nexttry FROM file_to_delete2 WHERE fid = @f", ("@f", fid));
        Assert.InRange(nexttry - before, 3600 - 5, 3600 + 30); // 3600 × (1 + 0), not 3600 × (1 + 1)
        Assert.Equal([2, 3], await c.DevidsOfAsync(fid));
    }

    [Fact]
    public async Task ADeleteRowForAFidThatAFileOwnsAgainTouchesNothing()
    {
        await using var c = await TestCluster.StartAsync(TwoHosts());
        await c.SetupAsync("testdom", ("c2", 2, null));
        long fid = await c.StoreFileAsync("testdom", "live", Encoding.ASCII.GetBytes("still needed"), "c2");
        await TestCluster.WaitUntilAsync(async () => (await c.DevidsOfAsync(fid)).Count == 2, TimeSpan.FromSeconds(30), "replication");
        await c.ExecuteAsync("INSERT INTO file_to_delete2 (fid, nexttry, failcount) VALUES (@f, 0, 0)", ("@f", fid));
        await TestCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_to_delete2") == 0, TimeSpan.FromSeconds(30), "stale delete row dropped");
        Assert.Equal([1, 2], c.CopiesOnDisk(fid));
        Assert.Equal([1, 2], await c.DevidsOfAsync(fid));
    }

    [Fact]
    public Task AbandonedUploadsAreReapedAndTheirBytesDeleted() => AbandonedUploadsAsync(MogileFS.Store.DatabaseKind.Sqlite, "26");

    [MogileFS.TestSupport.MariaDbFact]
    public Task AbandonedUploadsAreReapedAndTheirBytesDeletedOnMySql() => AbandonedUploadsAsync(MogileFS.Store.DatabaseKind.MySql, "86");

    [MogileFS.TestSupport.PostgresFact]
    public Task AbandonedUploadsAreReapedAndTheirBytesDeletedOnPostgres() => AbandonedUploadsAsync(MogileFS.Store.DatabaseKind.Postgres, "56");

    private static async Task AbandonedUploadsAsync(MogileFS.Store.DatabaseKind db, string net)
    {
        var o = TwoHosts(db, net) with { TrackerSettings = new Dictionary<string, string>(ClusterOptions.ShortJobClocks) { ["tempfile_max_age"] = "1" } };
        await using var c = await TestCluster.StartAsync(o);
        await c.SetupAsync("testdom", ("c2", 2, null));
        var open = await c.QueryOkAsync("create_open domain=testdom&key=abandoned&class=c2&fid=0");
        long fid = long.Parse(open["fid"]);
        var put = await TestCluster.Http.PutAsync(open["path"], new ByteArrayContent(Encoding.ASCII.GetBytes("never closed")));
        put.EnsureSuccessStatusCode();
        Assert.Single(c.CopiesOnDisk(fid));
        await TestCluster.WaitUntilAsync(async () =>
                await c.CountAsync("SELECT COUNT(*) FROM tempfile") == 0 && await c.CountAsync("SELECT COUNT(*) FROM file_to_delete2") == 0,
            TimeSpan.FromSeconds(30), "tempfile reaped and deleted\n" + c.Logs.Dump(20));
        Assert.Empty(c.CopiesOnDisk(fid));
    }
}
