using MogileFS.Store;
using MogileFS.TestSupport;
using MogileFS.TestSupport.Transcripts;
using MogileFS.Tracker.Configuration;

namespace MogileFS.Integration.Tests.Cluster;

/// <summary>One storage node of a test cluster: its loopback address and the devices (dev dirs) it has.</summary>
public sealed record NodeSpec(string Name, string Ip, IReadOnlyList<int> Devices);

/// <summary>What <see cref="TestCluster.StartAsync"/> starts.</summary>
public sealed class ClusterOptions
{
    public DatabaseKind Database { get; init; } = DatabaseKind.Sqlite;

    /// <summary>Trackers to start on the database (each on its own OS-assigned port).</summary>
    public int Trackers { get; init; } = 1;

    /// <summary>query_jobs of each tracker; 3 as in the transcript capture.</summary>
    public int QueryJobs { get; init; } = CaptureTopology.QueryJobs;

    /// <summary>Storage nodes; by default the capture's h1 (dev1, dev2) and h2 (dev3, dev4).
    /// Every node gets the same HTTP port and the same side-channel port on its own address.</summary>
    public IReadOnlyList<NodeSpec> Nodes { get; init; } =
    [
        new("h1", CaptureTopology.H1.Ip, CaptureTopology.H1.WritableDevices),
        new("h2", CaptureTopology.H2.Ip, CaptureTopology.H2.WritableDevices),
    ];

    /// <summary>The address trackers listen on.</summary>
    public string TrackerIp { get; init; } = CaptureTopology.TrackerIp;

    /// <summary>PostgreSQL server to create the database on; null = the process-wide shared one.
    /// Outage tests pass their own, because they stop it.</summary>
    public PostgresServer? Postgres { get; init; }

    /// <summary>Last say on every tracker's options.</summary>
    public Action<TrackerOptions>? ConfigureTracker { get; init; }
}
