using MogileFS.Jobs.Tests.Support;
using MogileFS.Store;

namespace MogileFS.Jobs.Tests;

/// <summary>Replication to mindevcount with real trackers and storage nodes on loopback.</summary>
public sealed class ReplicationTests
{
    private static JobsClusterOptions TwoHosts(DatabaseKind db = DatabaseKind.Sqlite) => new()
    {
        Database = db,
        Nodes = db switch
        {
            DatabaseKind.Sqlite => [new NodeSpec("h1", "127.0.21.1", 1, 2), new NodeSpec("h2", "127.0.21.2", 3, 4)],
            DatabaseKind.MySql => [new NodeSpec("h1", "127.0.81.1", 1, 2), new NodeSpec("h2", "127.0.81.2", 3, 4)],
            _ => [new NodeSpec("h1", "127.0.51.1", 1, 2), new NodeSpec("h2", "127.0.51.2", 3, 4)],
        },
    };

    [Fact]
    public Task UploadedFilesReachMindevcountOnDistinctHosts() => UploadedFilesReachMindevcountAsync(DatabaseKind.Sqlite);

    [MogileFS.TestSupport.MariaDbFact]
    public Task UploadedFilesReachMindevcountOnDistinctHostsOnMySql() => UploadedFilesReachMindevcountAsync(DatabaseKind.MySql);

    [MogileFS.TestSupport.PostgresFact]
    public Task UploadedFilesReachMindevcountOnDistinctHostsOnPostgres() => UploadedFilesReachMindevcountAsync(DatabaseKind.Postgres);

    private static async Task UploadedFilesReachMindevcountAsync(DatabaseKind db)
    {
        await using var c = await JobsCluster.StartAsync(TwoHosts(db));
        await c.SetupAsync("testdom", ("c2", 2, null));
        var fids = new List<long>();
        for (int i = 0; i < 20; i++)
            fids.Add(await c.StoreFileAsync("testdom", "k" + i, System.Text.Encoding.ASCII.GetBytes("hello " + i), "c2"));

        await JobsCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate") == 0,
            TimeSpan.FromSeconds(30), "replication queue to drain");
        foreach (var fid in fids)
        {
            var devs = await c.DevidsOfAsync(fid);
            Assert.Equal(2, devs.Count);
            Assert.NotEqual(c.HostOf(devs[0]), c.HostOf(devs[1]));
            Assert.Equal(devs, c.CopiesOnDisk(fid));
            Assert.Equal(2L, await c.CountAsync("SELECT devcount FROM file WHERE fid = @f", ("@f", fid)));
        }
    }
}
