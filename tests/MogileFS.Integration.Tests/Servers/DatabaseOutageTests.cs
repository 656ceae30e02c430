using System.Diagnostics;
using Microsoft.Data.Sqlite;
using MogileFS.Integration.Tests.Cluster;
using MogileFS.Store;
using MogileFS.TestSupport;
using Xunit.Abstractions;

namespace MogileFS.Integration.Tests.Servers;

/// <summary>
/// The database goes away and comes back. While it is gone, requests that need it get an error
/// reply (never a hang, a crash or a closed connection) and nothing is half-written; once it is
/// back, the same tracker works again without a restart.
/// </summary>
public sealed class DatabaseOutageTests(ITestOutputHelper output)
{
    [PostgresFact]
    public async Task PostgreSQL_stopped_and_started_again()
    {
        // A private server: stopping the shared one would break other tests.
        await using var pg = await PostgresServer.StartAsync();
        await using var cluster = await TestCluster.StartAsync(new ClusterOptions { Database = DatabaseKind.Postgres, Postgres = pg });
        await cluster.QueryOkAsync("create_domain domain=before");
        await using var client = await TrackerClient.ConnectAsync(cluster.TrackerEndPoint);

        await pg.StopAsync();
        var sw = Stopwatch.StartNew();
        string[] needDatabase =
        [
            "create_domain domain=during",
            "create_class domain=before&class=c&mindevcount=2",
            "create_open domain=before&key=k",
            "list_keys domain=before",
            "file_info domain=before&key=k",
            "set_server_setting key=memcache_ttl&value=5",
        ];
        foreach (var request in needDatabase)
        {
            string reply = await client.QueryAsync(request, TimeSpan.FromSeconds(60));
            output.WriteLine($"during outage: {request} -> {reply}");
            Assert.StartsWith("ERR ", reply);
        }
        output.WriteLine($"outage replies took {sw.ElapsedMilliseconds} ms");
        // Commands that need no database still work, on the same connection.
        Assert.Equal("OK callid=x", await client.QueryAsync("noop callid=x"));

        await pg.StartAgainAsync();
        // The pool reconnects; allow a little time for that.
        string after = "";
        for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            after = await client.QueryAsync("create_domain domain=after");
            if (after.StartsWith("OK", StringComparison.Ordinal)) break;
        }
        Assert.Equal("OK domain=after", after);

        // Nothing from the outage was written.
        Assert.Equal(0L, Convert.ToInt64(await cluster.ScalarAsync("SELECT COUNT(*) FROM domain WHERE namespace = 'during'")));
        Assert.Equal(0L, Convert.ToInt64(await cluster.ScalarAsync("SELECT COUNT(*) FROM class WHERE classname = 'c'")));
        Assert.Equal(0L, Convert.ToInt64(await cluster.ScalarAsync("SELECT COUNT(*) FROM tempfile")));
        Assert.Null(await cluster.ScalarAsync("SELECT value FROM server_settings WHERE field = 'memcache_ttl'"));
        var domains = await client.QueryAsync("get_domains");
        Assert.Contains("=before", domains);
        Assert.Contains("=after", domains);
        Assert.DoesNotContain("=during", domains);
    }

    [Fact]
    public async Task SQLite_locked_by_another_process_makes_writes_wait_not_fail()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.QueryOkAsync("create_domain domain=before");
        string file = DatabaseDsn.Parse(cluster.Dsn).Database!;

        // Another process (here: another connection) holds the write lock for a while, the way a
        // backup or a mogdbsetup upgrade would.
        await using var holder = new SqliteConnection($"Data Source={file};Pooling=False");
        await holder.OpenAsync();
        await using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }
        var write = cluster.QueryAsync("create_domain domain=during");
        // Reads are not blocked by a writer in WAL mode.
        Assert.Equal("OK callid=r", await cluster.QueryAsync("noop callid=r"));
        Assert.Contains("=before", await cluster.QueryAsync("get_domains"));
        await Task.Delay(2000);
        if (write.IsCompleted) Assert.Fail("the write should wait for the lock, but it answered: " + await write);
        await using (var rollback = holder.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        Assert.Equal("OK domain=during", await write.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("=during", await cluster.QueryAsync("get_domains"));
    }
}
