using System.Diagnostics;
using MogileFS.Store;
using MogileFS.TestSupport;
using MogileFS.TestSupport.Cluster;
using Npgsql;
using Xunit.Abstractions;

namespace MogileFS.Integration.Tests.Servers;

/// <summary>
/// Issue 16: the tracker follows a PostgreSQL failover. A primary and a streaming standby (synchronous
/// replication, as docs/ha-database.md recommends), the tracker on a multi-host DSN naming both; the
/// primary crashes, the standby is promoted, and the same tracker (no restart) stores and serves files
/// again, with every file acknowledged before the crash intact.
/// </summary>
public sealed class PostgresFailoverTests(ITestOutputHelper output)
{
    [PostgresFact]
    public async Task Tracker_on_a_multi_host_dsn_follows_a_promoted_standby_without_a_restart()
    {
        await using var primary = await PostgresServer.StartAsync();
        await using var standby = await primary.StartStandbyAsync();
        // Synchronous replication: a commit returns once the standby has it. The test servers run
        // with synchronous_commit=off on the command line; a role setting overrides that per session.
        await primary.AdminAsync("ALTER SYSTEM SET synchronous_standby_names = '*'");
        await primary.AdminAsync("SELECT pg_reload_conf()");
        await primary.AdminAsync($"ALTER ROLE {PostgresServer.User} SET synchronous_commit = on");

        string? multiHostDsn = null;
        await using var cluster = await TestCluster.StartAsync(ClusterOptions.ForJobs with
        {
            Database = DatabaseKind.Postgres,
            Postgres = primary,
            Nodes = [new NodeSpec("n1", "127.0.0.1", 1), new NodeSpec("n2", "127.0.0.2", 2)],
            ConfigureTracker = o =>
            {
                // The DSN the fixture made names the primary only; list the standby after it.
                var single = DatabaseDsn.Parse(o.DbDsn);
                multiHostDsn = $"DBI:Pg:dbname={single.Database};host={primary.Host}:{primary.Port},{standby.Host}:{standby.Port}";
                o.DbDsn = multiHostDsn;
            },
        });
        Assert.NotNull(multiHostDsn);
        await cluster.SetupAsync("d", ("c", 2, null));

        var stored = new Dictionary<string, byte[]>();
        for (int i = 0; i < 5; i++)
        {
            var body = System.Text.Encoding.ASCII.GetBytes($"before failover {i} " + new string('x', 100 * i));
            await cluster.StoreFileAsync("d", $"before{i}", body, "c");
            stored[$"before{i}"] = body;
        }

        await primary.CrashAsync();
        var outage = Stopwatch.StartNew();
        // While no primary exists, requests that need the database answer errors (no hang, no crash).
        string during = await cluster.QueryAsync("create_domain domain=during");
        output.WriteLine($"with no primary: {during} after {outage.ElapsedMilliseconds} ms");
        Assert.StartsWith("ERR ", during);
        Assert.Equal("OK callid=1", await cluster.QueryAsync("noop callid=1"));

        await standby.PromoteAsync();
        string after = "";
        var recovery = Stopwatch.StartNew();
        var body2 = System.Text.Encoding.ASCII.GetBytes("after failover");
        while (recovery.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                await cluster.StoreFileAsync("d", "after", body2, "c");
                after = "stored";
                break;
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
            {
                after = e.Message;
                await Task.Delay(200);
            }
        }
        output.WriteLine($"first store on the new primary {recovery.ElapsedMilliseconds} ms after the promotion: {after}");
        Assert.Equal("stored", after);
        stored["after"] = body2;

        // Every acknowledged file is in the new primary's database and readable.
        foreach (var (key, body) in stored)
        {
            var paths = await cluster.QueryOkAsync($"get_paths domain=d&key={key}&noverify=1");
            Assert.NotEqual("0", paths["paths"]);
            var bytes = await TestCluster.Http.GetByteArrayAsync(paths["path1"]);
            Assert.Equal(body, bytes);
        }
        await using (var c = new NpgsqlConnection(standby.AdminConnectionString(DatabaseDsn.Parse(multiHostDsn!).Database!)))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM file", c);
            Assert.Equal((long)stored.Count, Convert.ToInt64(await cmd.ExecuteScalarAsync()));
        }
        var store = (PostgresMetadataStore)cluster.Tracker.Services.Store;
        output.WriteLine($"requests that saw the failover: {store.FailoversSeen}");
        Assert.True(store.FailoversSeen > 0);

        // Metadata writes work too, through the same tracker and its cache.
        Assert.Equal("OK domain=after", await cluster.QueryAsync("create_domain domain=after"));
        Assert.Contains("=after", await cluster.QueryAsync("get_domains"));
    }

    [PostgresFact]
    public async Task Single_host_dsn_reconnects_after_a_crash_and_restart_without_a_restart_of_the_tracker()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var cluster = await TestCluster.StartAsync(new ClusterOptions { Database = DatabaseKind.Postgres, Postgres = pg });
        await cluster.QueryOkAsync("create_domain domain=before");
        // Warm several pooled connections, so that stale ones exist when the server goes away.
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => cluster.QueryAsync("get_domains")));
        await pg.CrashAsync();
        await pg.StartAgainAsync();
        // Every idle pooled connection is now dead; the first request already gets a fresh one.
        var sw = Stopwatch.StartNew();
        string reply = await cluster.QueryAsync("create_domain domain=after");
        output.WriteLine($"first write after the restart: {reply} in {sw.ElapsedMilliseconds} ms");
        Assert.Equal("OK domain=after", reply);
        for (int i = 0; i < 6; i++) Assert.Contains("=after", await cluster.QueryAsync("get_domains"));
    }
}
