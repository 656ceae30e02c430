using System.Diagnostics;
using MogileFS.TestSupport;
using MogileFS.Tracker.Metadata;

namespace MogileFS.Tracker.Tests.Core;

/// <summary>Database outage and recovery, several trackers on one database.</summary>
public sealed class DatabaseTests
{
    [Fact]
    public async Task Sqlite_database_write_locked_by_another_process_gives_error_replies_then_recovers()
    {
        await using var host = await TrackerHost.StartAsync();
        Assert.Equal("OK domain=d1", await host.QueryAsync("create_domain domain=d1"));
        // Another process takes the database for itself (e.g. a backup tool with an exclusive lock).
        var locker = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={host.SqlitePath};Pooling=False");
        await locker.OpenAsync();
        try
        {
            using (var cmd = locker.CreateCommand())
            {
                cmd.CommandText = "BEGIN EXCLUSIVE; INSERT INTO server_settings (field, value) VALUES ('x_lock', '1');";
                await cmd.ExecuteNonQueryAsync();
            }
            var sw = Stopwatch.StartNew();
            Assert.Equal("ERR failure Operation+failed", await host.QueryAsync("create_domain domain=d2"));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"gave up after {sw.Elapsed}"); // generous: CI machines are busy
            // WAL: readers still see the last committed state.
            Assert.Equal("OK key=skip_mkcol&value=", await host.QueryAsync("server_setting key=skip_mkcol"));
            Assert.Equal("OK ", await host.QueryAsync("noop"));
            Assert.Contains("domains=1", await host.QueryAsync("get_domains")); // served from the cache
        }
        finally
        {
            using (var cmd = locker.CreateCommand())
            {
                cmd.CommandText = "ROLLBACK;";
                await cmd.ExecuteNonQueryAsync();
            }
            await locker.DisposeAsync();
        }
        // Recovery without a restart; nothing half-written.
        Assert.Equal("OK domain=d2", await host.QueryAsync("create_domain domain=d2"));
        Assert.Equal("OK key=x_lock&value=", await host.QueryAsync("server_setting key=x_lock"));
        Assert.Contains("domains=2", await host.QueryAsync("get_domains"));
    }

    [Fact]
    public async Task Postgres_stopped_gives_error_replies_then_recovers()
    {
        if (PostgresServer.SkipRequested) return;
        await using var pg = await PostgresServer.StartAsync(); // a private cluster: this test stops it
        var dsn = await pg.CreateDatabaseAsync();
        await MogileFS.Store.Schema.SchemaInstaller.InstallAsync(MogileFS.Store.DatabaseDsn.Parse(dsn), PostgresServer.User, PostgresServer.Password);
        await using var host = await TrackerHost.StartOnAsync(dsn);
        Assert.Equal("OK domain=d1", await host.QueryAsync("create_domain domain=d1"));
        await pg.StopAsync();
        Assert.StartsWith("ERR failure ", await host.QueryAsync("create_domain domain=d2"));
        Assert.StartsWith("ERR failure ", await host.QueryAsync("server_setting key=schema_version"));
        Assert.Equal("OK ", await host.QueryAsync("noop"));
        await pg.StartAgainAsync();
        var sw = Stopwatch.StartNew();
        string reply;
        while ((reply = await host.QueryAsync("create_domain domain=d2")) != "OK domain=d2" && sw.Elapsed < TimeSpan.FromSeconds(20))
            await Task.Delay(250);
        Assert.Equal("OK domain=d2", reply);
    }

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    [InlineData(Db.MySql)]
    public async Task A_change_through_one_tracker_is_seen_through_another(Db db)
    {
        if (db == Db.Postgres && PostgresServer.SkipRequested) return;
        if (db == Db.MySql && MariaDbServer.SkipReason != null) return;
        await using var a = await TrackerHost.StartAsync(db);
        await using var b = await TrackerHost.StartOnAsync(a.Dsn);
        Assert.Equal("OK domains=0", await b.QueryAsync("get_domains"));
        Assert.Equal("OK domain=shared", await a.QueryAsync("create_domain domain=shared"));
        // Commands that look a domain up reload on a miss: immediately visible.
        Assert.Equal("OK class=c&mindevcount=2&domain=shared", await b.QueryAsync("create_class domain=shared&class=c&mindevcount=2"));
        // Listings are served from the cache, refreshed every MetadataCache.RefreshInterval.
        var sw = Stopwatch.StartNew();
        while (!(await a.QueryAsync("get_domains")).Contains("class=", StringComparison.Ordinal) &&
               !(await a.QueryAsync("get_domains")).Contains("domain1class2name=c", StringComparison.Ordinal) && sw.Elapsed < TimeSpan.FromSeconds(5))
            await Task.Delay(50);
        Assert.Contains("domain1classes=2", await a.QueryAsync("get_domains"));
        Assert.True(sw.Elapsed <= MetadataCache.RefreshInterval + TimeSpan.FromSeconds(1), $"took {sw.Elapsed}");
        // Settings are read from the database: immediate.
        Assert.Equal("OK ", await a.QueryAsync("set_server_setting key=skip_mkcol&value=1"));
        Assert.Equal("OK key=skip_mkcol&value=1", await b.QueryAsync("server_setting key=skip_mkcol"));
    }

    [Fact]
    public async Task Change_on_one_connection_is_visible_on_every_connection_when_the_reply_arrives()
    {
        await using var host = await TrackerHost.StartAsync();
        var conns = new List<TrackerClient>();
        for (int i = 0; i < 8; i++) conns.Add(await host.ConnectAsync());
        try
        {
            for (int i = 0; i < 20; i++)
            {
                Assert.Equal($"OK domain=v{i}", await conns[i % 8].QueryAsync($"create_domain domain=v{i}"));
                Assert.Contains($"domains={i + 1}&", await conns[(i + 3) % 8].QueryAsync("get_domains") + "&");
                Assert.Equal($"OK class=c&mindevcount=1&domain=v{i}", await conns[(i + 5) % 8].QueryAsync($"create_class domain=v{i}&class=c&mindevcount=1"));
            }
        }
        finally
        {
            foreach (var c in conns) c.Dispose();
        }
    }

    [Fact]
    public async Task Tracker_refuses_a_database_with_another_schema_version()
    {
        var (dsn, dir) = await TrackerHost.CreateDatabaseAsync(Db.Sqlite);
        using var _ = dir;
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + MogileFS.Store.DatabaseDsn.Parse(dsn).Database))
        {
            await c.OpenAsync();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE server_settings SET value='99' WHERE field='schema_version'";
            await cmd.ExecuteNonQueryAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => TrackerHost.StartOnAsync(dsn));
        Assert.Contains("99", e.Message);
    }
}
