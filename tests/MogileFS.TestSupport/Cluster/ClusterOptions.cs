using MogileFS.Store;
using MogileFS.TestSupport.Transcripts;
using MogileFS.Tracker.Configuration;

namespace MogileFS.TestSupport.Cluster;

/// <summary>One storage node of a test cluster: its loopback address and the devices (devN dirs) it has.</summary>
public sealed record NodeSpec(string Name, string Ip, params IReadOnlyList<int> Devices);

/// <summary>
/// What <see cref="TestCluster.StartAsync"/> starts. The defaults are the transcript capture's
/// installation (tracker on 127.0.2.1 with query_jobs 3, h1 with dev1/dev2, h2 with dev3/dev4);
/// <see cref="ForJobs"/> is the preset of the job tests (short job clocks). Change what a test
/// needs with <c>with { ... }</c> or an object initializer.
/// </summary>
public sealed record ClusterOptions
{
    /// <summary>The database the cluster runs on (<see cref="TestDatabase"/> makes it).</summary>
    public DatabaseKind Database { get; init; } = DatabaseKind.Sqlite;

    /// <summary>Trackers to start on the database (each on its own OS-assigned port).</summary>
    public int Trackers { get; init; } = 1;

    /// <summary>query_jobs of the trackers; 3 as in the transcript capture; null = the tracker's
    /// default (20). Each further in-process tracker gets one less (see <see cref="TestCluster.CreateTrackerOptions"/>).</summary>
    public int? QueryJobs { get; init; } = CaptureTopology.QueryJobs;

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

    /// <summary>Extension keys of the tracker config file (docs/jobs.md), e.g. job clocks.</summary>
    public IReadOnlyDictionary<string, string> TrackerSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>Last say on every tracker's options.</summary>
    public Action<TrackerOptions>? ConfigureTracker { get; init; }

    /// <summary>Last say on every storage node's options (e.g. turning its join request off).</summary>
    public Action<MogileFS.StorageNode.StorageNodeOptions>? ConfigureNode { get; init; }

    /// <summary>Run the nodes' iostat feed (off by default: tests do not need it).</summary>
    public bool NodeIoStat { get; init; }

    /// <summary>Short job clocks, so that monitor rounds, the job master and the reaper act within a test.</summary>
    public static IReadOnlyDictionary<string, string> ShortJobClocks { get; } = new Dictionary<string, string>
    {
        ["monitor_interval"] = "0.3",
        ["monitor_test_interval"] = "2",
        ["monitor_usage_interval"] = "1",
        ["job_master_idle"] = "0.2",
        ["reaper_interval"] = "0.3",
        ["reaper_grace"] = "0.5",
        ["queue_claim_lease"] = "6",
    };

    /// <summary>The job tests' preset: trackers on 127.0.0.1 with the tracker's default query_jobs
    /// and <see cref="ShortJobClocks"/>. Tests set <see cref="Nodes"/>.</summary>
    public static ClusterOptions ForJobs => new()
    {
        TrackerIp = "127.0.0.1",
        QueryJobs = null,
        TrackerSettings = ShortJobClocks,
        Nodes = [],
    };
}
