using MogileFS.Integration.Tests.Cluster;

namespace MogileFS.Client.Tests;

/// <summary>
/// One real in-process installation shared by a test class: SQLite, two trackers and three storage
/// nodes on 127.0.3.1-3, domain <c>testdom</c> with class <c>c1</c>, every device alive and writable.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;
    public const string Domain = "testdom";

    protected virtual MogileFS.Store.DatabaseKind Database => MogileFS.Store.DatabaseKind.Sqlite;

    /// <summary>The first three octets of the cluster's addresses.</summary>
    protected virtual string Net => "127.0.3";

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync(new ClusterOptions
        {
            Database = Database,
            Trackers = 2,
            QueryJobs = 8,
            TrackerIp = Net + ".1",
            Nodes =
            [
                new("h1", Net + ".1", [1, 2]),
                new("h2", Net + ".2", [3, 4]),
                new("h3", Net + ".3", [5]),
            ],
            ConfigureTracker = o => o.MinFreeSpaceMb = 0,
        });
        await Cluster.RegisterTopologyAsync(Domain);
        // Every tracker (not only the one registration went through) must see the devices writable.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (var t in Cluster.Trackers)
        {
            while (true)
            {
                await Cluster.QueryOkAsync("do_monitor_round", t);
                var devices = await Cluster.QueryOkAsync("get_devices", t);
                if (devices.Count(kv => kv.Key.EndsWith("_observed_state", StringComparison.Ordinal) && kv.Value == "writeable") >= 5) break;
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"tracker {t.EndPoint} never saw the devices writeable: " + string.Join("&", devices.Select(kv => kv.Key + "=" + kv.Value)));
                await Task.Delay(200);
            }
        }
    }

    public IReadOnlyList<string> TrackerAddresses =>
        Cluster.Trackers.Where(t => !t.Stopped).Select(t => t.EndPoint.ToString()).ToList();

    public MogileFSClient Client(params string[] trackers) => new(new MogileFSClientOptions
    {
        Trackers = trackers.Length > 0 ? trackers.ToList() : TrackerAddresses.ToList(),
        Domain = Domain,
    });

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The test classes that share one cluster (and run one after another, sparing the 2 cores).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>The same cluster on a MySQL (MariaDB) database.</summary>
public sealed class MySqlClusterFixture : ClusterFixture
{
    protected override MogileFS.Store.DatabaseKind Database => MogileFS.Store.DatabaseKind.MySql;
    protected override string Net => "127.0.4";
}

[CollectionDefinition(Name)]
public sealed class MySqlClusterCollection : ICollectionFixture<MySqlClusterFixture>
{
    public const string Name = "mysql-cluster";
}
