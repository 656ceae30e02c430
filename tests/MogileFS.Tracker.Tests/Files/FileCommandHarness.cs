using MogileFS.Core.Model;
using MogileFS.Core.Protocol;
using MogileFS.Store;
using MogileFS.TestSupport;
using MogileFS.TestSupport.Cluster;
using MogileFS.Tracker.Metadata;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Tests.Files;

/// <summary>
/// A real tracker (<see cref="TestCluster"/> with no storage nodes of its own) whose file, fsck and
/// rebalance commands are sent over one real client connection, so every reply is what a client
/// gets (the server's command table and dispatch: ERR mapping of dup/failure, callid, metadata
/// reload). Storage is two fake nodes on 127.0.0.1 and 127.0.0.2 that share one side-channel port
/// (mogstored_stream_port is tracker-wide), for fault injection. The tracker runs no jobs: no
/// monitor rounds (the devices' observations are set here), no job master, replication, deletion
/// or fsck workers, so the state the commands leave stays for the assertions. The topology is that
/// of the transcripts: domain testdom (classes c1, one, md5 with MD5 hashtype), hosts h1/h2,
/// devices 1,2 on h1 and 3,4 on h2, all observed writeable.
/// </summary>
public sealed class FileCommandHarness : IAsyncDisposable
{
    private readonly TestCluster _cluster;
    private readonly TrackerClient _connection;

    private FileCommandHarness(TestCluster cluster, TrackerClient connection, FakeStorageNode n1, FakeStorageNode n2)
    {
        _cluster = cluster;
        _connection = connection;
        Node1 = n1;
        Node2 = n2;
    }

    public TrackerRuntime Runtime => _cluster.Tracker.Services;
    public MetadataStore Store => Runtime.Store;
    public FakeStorageNode Node1 { get; }
    public FakeStorageNode Node2 { get; }

    public static Task<FileCommandHarness> SqliteAsync() => CreateAsync(DatabaseKind.Sqlite);
    public static Task<FileCommandHarness> PostgresAsync() => CreateAsync(DatabaseKind.Postgres);
    public static Task<FileCommandHarness> MySqlAsync() => CreateAsync(DatabaseKind.MySql);

    private static async Task<FileCommandHarness> CreateAsync(DatabaseKind database)
    {
        var n1 = new FakeStorageNode("127.0.0.1");
        var n2 = new FakeStorageNode("127.0.0.2", n1.SidePort);
        TestCluster? cluster = null;
        try
        {
            cluster = await TestCluster.StartAsync(new ClusterOptions
            {
                Database = database,
                Nodes = [],
                TrackerIp = "127.0.0.1",
                ConfigureTracker = o =>
                {
                    o.MogstoredStreamPort = n1.SidePort;
                    o.NodeTimeoutSeconds = 2;
                    o.MonitorJobs = 0;
                    o.JobMaster = false;
                    o.ReplicateJobs = 0;
                    o.DeleteJobs = 0;
                    o.FsckJobs = 0;
                    o.ReaperJobs = 0;
                },
            });
            var h = new FileCommandHarness(cluster, await TrackerClient.ConnectAsync(cluster.TrackerEndPoint), n1, n2);
            await h.SetUpTopologyAsync();
            return h;
        }
        catch
        {
            if (cluster != null) await cluster.DisposeAsync();
            await n1.DisposeAsync();
            await n2.DisposeAsync();
            throw;
        }
    }

    private async Task SetUpTopologyAsync()
    {
        var ct = CancellationToken.None;
        int dmid = await Store.CreateDomainAsync("testdom", ct);
        await Store.CreateClassAsync(dmid, "c1", 2, null, null, ct);
        await Store.CreateClassAsync(dmid, "one", 1, null, null, ct);
        await Store.CreateClassAsync(dmid, "md5", 1, null, HashType.MD5, ct);
        int h1 = await Store.CreateHostAsync("h1", "127.0.0.1", new HostUpdate(Status: "alive", Port: Node1.HttpPort.ToString()), ct);
        int h2 = await Store.CreateHostAsync("h2", "127.0.0.2", new HostUpdate(Status: "alive", Port: Node2.HttpPort.ToString()), ct);
        foreach (var (devid, host) in new[] { (1, h1), (2, h1), (3, h2), (4, h2) })
        {
            await Store.CreateDeviceAsync(devid, host, DeviceState.Alive, ct);
            await Store.UpdateDeviceUsageAsync(devid, 100000, 10000, ct);
            Runtime.Observations.Set(devid, new DeviceObservation(ObservedState.Writeable, null, null, DateTimeOffset.UtcNow));
        }
        Runtime.Observations.SetHostReachable(h1, true);
        Runtime.Observations.SetHostReachable(h2, true);
        await Runtime.Metadata.ReloadAsync(ct);
        // What the monitor job reports after its first round (create_open waits for it).
        Runtime.Monitor.RoundCompleted();
    }

    public FakeStorageNode NodeFor(int devid) => devid <= 2 ? Node1 : Node2;

    /// <summary>Sends one request line ("cmd args") on the harness's connection and returns the reply line without CRLF.</summary>
    public Task<string> RunAsync(string line) => _connection.QueryAsync(line);

    /// <summary>Parses an OK reply into a dictionary (values eurl-decoded).</summary>
    public static Dictionary<string, string> Pairs(string reply)
    {
        Assert.StartsWith("OK ", reply);
        var a = RequestArgs.Parse(reply[3..]);
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < a.Count; i++) d[a[i].Name] = a[i].Value;
        return d;
    }

    /// <summary>Reloads the tracker's metadata cache after a change made straight in the database.</summary>
    public async Task ReloadAsync() => await Runtime.Metadata.ReloadAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _cluster.DisposeAsync();
        await Node1.DisposeAsync();
        await Node2.DisposeAsync();
    }
}
