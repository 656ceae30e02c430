using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MogileFS.Store;
using MogileFS.Store.Schema;
using MogileFS.TestSupport;
using MogileFS.Tracker.Configuration;

namespace MogileFS.Tracker.Tests.Core;

public enum Db { Sqlite, Postgres, MySql }

/// <summary>
/// A real tracker on 127.0.0.1 (OS-assigned port) over a fresh database: a SQLite file in its own
/// temp directory, or a fresh database on the shared private PostgreSQL cluster.
/// </summary>
public sealed class TrackerHost : IAsyncDisposable
{
    private TempDirectory? _dir;

    private TrackerHost(TrackerServer server, TrackerOptions options, TempDirectory? dir)
    {
        Server = server;
        Options = options;
        _dir = dir;
    }

    public TrackerServer Server { get; }
    public TrackerOptions Options { get; }
    public IPEndPoint EndPoint => Server.EndPoints[0];
    public string Dsn => Options.DbDsn;
    public string? SqlitePath { get; private set; }

    /// <summary>Creates a fresh database with the v17 schema; returns its DSN (and the temp dir for SQLite).</summary>
    public static async Task<(string Dsn, TempDirectory? Dir)> CreateDatabaseAsync(Db db)
    {
        if (db == Db.Sqlite)
        {
            var dir = new TempDirectory("mogtrk-");
            var dsn = "DBI:SQLite:dbname=" + dir.Combine("mogilefs.sqlite");
            await SchemaInstaller.InstallAsync(DatabaseDsn.Parse(dsn), null, null);
            return (dsn, dir);
        }
        if (db == Db.MySql)
        {
            var my = await MariaDbServer.GetSharedAsync();
            var mdsn = await my.CreateDatabaseAsync();
            await SchemaInstaller.InstallAsync(DatabaseDsn.Parse(mdsn), MariaDbServer.User, MariaDbServer.Password);
            return (mdsn, null);
        }
        var pg = await PostgresServer.GetSharedAsync();
        var pdsn = await pg.CreateDatabaseAsync();
        await SchemaInstaller.InstallAsync(DatabaseDsn.Parse(pdsn), PostgresServer.User, PostgresServer.Password);
        return (pdsn, null);
    }

    public static async Task<TrackerHost> StartAsync(Db db = Db.Sqlite, int queryJobs = 20, Action<TrackerOptions>? configure = null,
        ILoggerFactory? loggerFactory = null)
    {
        var (dsn, dir) = await CreateDatabaseAsync(db);
        var host = await StartOnAsync(dsn, queryJobs, configure, loggerFactory, dir);
        if (db == Db.Sqlite) host.SqlitePath = DatabaseDsn.Parse(dsn).Database;
        return host;
    }

    /// <summary>Starts a tracker on an existing database (two trackers, one database).</summary>
    public static async Task<TrackerHost> StartOnAsync(string dsn, int queryJobs = 20, Action<TrackerOptions>? configure = null,
        ILoggerFactory? loggerFactory = null, TempDirectory? dir = null)
    {
        var options = new TrackerOptions
        {
            DbDsn = dsn,
            DbUser = PostgresServer.User,
            DbPass = PostgresServer.Password,
            Listen = { "127.0.0.1:0" },
            QueryJobs = queryJobs,
        };
        configure?.Invoke(options);
        var server = new TrackerServer(options, loggerFactory ?? NullLoggerFactory.Instance);
        await server.StartAsync();
        return new TrackerHost(server, options, dir);
    }

    public Task<TrackerClient> ConnectAsync() => TrackerClient.ConnectAsync(EndPoint);

    /// <summary>One request on a fresh connection; the reply line without CRLF.</summary>
    public Task<string> QueryAsync(string line) => TrackerClient.QueryOnceAsync(EndPoint, line, TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir?.Dispose();
        _dir = null;
    }
}
