using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using MogileFS.Store;
using MogileFS.TestSupport;
using MogileFS.TestSupport.Cluster;
using MogileFS.Tracker.Configuration;

namespace MogileFS.Tracker.Tests.Core;

/// <summary>
/// A real tracker on 127.0.0.1 (OS-assigned port) with no storage nodes: <see cref="StartAsync"/>
/// runs it as a <see cref="TestCluster"/> over a fresh database of the kind asked for;
/// <see cref="StartOnAsync"/> starts one on a database the test prepared itself.
/// </summary>
public sealed class TrackerHost : IAsyncDisposable
{
    private readonly TestCluster? _cluster;

    private TrackerHost(TestCluster cluster)
    {
        _cluster = cluster;
        Server = cluster.Tracker.Server;
        Dsn = cluster.Dsn;
        if (cluster.DatabaseKind == DatabaseKind.Sqlite) SqlitePath = DatabaseDsn.Parse(Dsn).Database;
    }

    private TrackerHost(TrackerServer server, string dsn)
    {
        Server = server;
        Dsn = dsn;
    }

    public TrackerServer Server { get; }
    public IPEndPoint EndPoint => Server.EndPoints[0];
    public string Dsn { get; }
    public string? SqlitePath { get; }

    public static async Task<TrackerHost> StartAsync(DatabaseKind db = DatabaseKind.Sqlite, int queryJobs = 20, Action<TrackerOptions>? configure = null)
    {
        var cluster = await TestCluster.StartAsync(new ClusterOptions
        {
            Database = db,
            Nodes = [],
            TrackerIp = "127.0.0.1",
            QueryJobs = queryJobs,
            ConfigureTracker = configure,
        });
        return new TrackerHost(cluster);
    }

    /// <summary>Starts a tracker on an existing database (two trackers on one database, a database the test changed).</summary>
    public static async Task<TrackerHost> StartOnAsync(string dsn, int queryJobs = 20, Action<TrackerOptions>? configure = null)
    {
        var options = new TrackerOptions
        {
            DbDsn = dsn,
            DbUser = PostgresServer.User,
            DbPass = PostgresServer.Password,
            Listen = { "127.0.0.1:0" },
            QueryJobs = queryJobs,
            User = Processes.IsRoot ? "root" : "",
        };
        configure?.Invoke(options);
        var server = new TrackerServer(options, NullLoggerFactory.Instance);
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return new TrackerHost(server, dsn);
    }

    public Task<TrackerClient> ConnectAsync() => TrackerClient.ConnectAsync(EndPoint);

    /// <summary>One request on a fresh connection; the reply line without CRLF.</summary>
    public Task<string> QueryAsync(string line) => TrackerClient.QueryOnceAsync(EndPoint, line, TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        if (_cluster != null) await _cluster.DisposeAsync();
        else await Server.DisposeAsync();
    }
}
