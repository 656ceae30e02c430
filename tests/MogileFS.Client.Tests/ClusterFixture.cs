using MogileFS.Integration.Tests.Cluster;

namespace MogileFS.Client.Tests;

/// <summary>
/// One real in-process installation shared by a test class: SQLite, two trackers and three storage
/// nodes on 127.0.3.1-3, domain <c>testdom</c> with class <c>c1</c>, every device alive and writable.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;
    public const string Domain = "testdom";

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync(new ClusterOptions
        {
            Trackers = 2,
            QueryJobs = 8,
            TrackerIp = "127.0.3.1",
            Nodes =
            [
                new("h1", "127.0.3.1", [1, 2]),
                new("h2", "127.0.3.2", [3, 4]),
                new("h3", "127.0.3.3", [5]),
            ],
            ConfigureTracker = o => o.MinFreeSpaceMb = 0,
        });
        await Cluster.RegisterTopologyAsync(Domain);
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
