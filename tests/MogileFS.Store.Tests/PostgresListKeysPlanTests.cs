using MogileFS.Store.Schema;
using MogileFS.TestSupport;
using Npgsql;

namespace MogileFS.Store.Tests;

/// <summary>
/// Growth bug (docs/growth.md): list_keys on PostgreSQL compared and ordered with an explicit
/// COLLATE "C", which no index of the default collation serves, so every call scanned the whole
/// file table (about 0.3 s at 1 million files, 3 s at 10 million). On a database of collation C the
/// statement now has no COLLATE clauses and runs as an index range scan.
/// </summary>
public sealed class PostgresListKeysPlanTests
{
    [PostgresFact]
    public async Task List_keys_on_a_C_collation_database_is_an_index_range_scan_with_the_same_answers()
    {
        var pg = await PostgresServer.GetSharedAsync();
        var dsn = DatabaseDsn.Parse(await pg.CreateDatabaseAsync());
        await SchemaInstaller.InstallAsync(dsn, PostgresServer.User, PostgresServer.Password);
        await using var c = (NpgsqlConnection)dsn.CreateConnection(PostgresServer.User, PostgresServer.Password);
        await c.OpenAsync();
        async Task Exec(string sql)
        {
            await using var cmd = new NpgsqlCommand(sql, c);
            await cmd.ExecuteNonQueryAsync();
        }
        // 50,000 keys over three prefixes in one domain, plus a few that need bytewise order.
        await Exec("INSERT INTO domain (dmid, namespace) VALUES (1, 'd')");
        await Exec("""
            INSERT INTO file (fid, dmid, dkey, length, classid, devcount)
            SELECT g, 1, (ARRAY['a/', 'm/', 'z/'])[g % 3 + 1] || lpad(g::text, 6, '0'), 1, 0, 1 FROM generate_series(1, 50000) g
            """);
        await Exec("INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (60001, 1, 'm/B', 1, 0, 1), (60002, 1, 'm/a', 1, 0, 1), (60003, 1, 'm_x', 1, 0, 1)");
        await Exec("ANALYZE file");

        await using var store = MetadataStore.Open(dsn, PostgresServer.User, PostgresServer.Password);
        string sql = await store.ListKeysStatementAsync("m/%", caseSensitive: true, default);
        Assert.DoesNotContain("COLLATE", sql);

        // The plan PostgreSQL picks for it (generic plan: the parameters are not known when planning).
        await Exec("SET plan_cache_mode = force_generic_plan");
        string prepared = sql.Replace("@d", "$1").Replace("@p", "$2").Replace("@a", "$3").Replace("@lo", "$4").Replace("@hi", "$5").Replace("@n", "$6");
        await Exec($"PREPARE lk (int, text, text, text, text, int) AS {prepared}");
        var plan = new List<string>();
        await using (var cmd = new NpgsqlCommand("EXPLAIN EXECUTE lk(1, 'm/%', '', 'm/', 'm0', 100)", c))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) plan.Add(r.GetString(0));
        string text = string.Join("\n", plan);
        Assert.Contains("Index", text);
        Assert.DoesNotContain("Seq Scan", text);
        Assert.DoesNotContain("Sort", text);

        // Same answers as before: bytewise order ('B' < 'a'), prefix taken literally ('m_x' is not under 'm/').
        var first = await store.ListKeysAsync(1, "m/%", "", 3, caseSensitive: true, default);
        Assert.Equal(["m/000001", "m/000004", "m/000007"], first);
        var last = await store.ListKeysAsync(1, "m/%", "m/049997", 10, caseSensitive: true, default);
        Assert.Equal(["m/049999", "m/B", "m/a"], last);
        Assert.Equal(["m_x"], await store.ListKeysAsync(1, "m\\_%", "", 10, caseSensitive: true, default));
    }

    [Theory]
    [InlineData("load/%", "load/", "load0")]
    [InlineData("a\\_b%", "a_b", "a_c")]
    [InlineData("%", null, null)]
    [InlineData("x~%", null, null)]
    public void Literal_prefix_bounds(string pattern, string? lo, string? hi)
    {
        Assert.Equal((lo, hi), MetadataStore.LiteralPrefixBounds(pattern));
    }
}
