using System.Data.Common;
using System.Diagnostics;
using MogileFS.TestSupport.Cluster;

namespace MogileFS.Dashboard.Tests;

/// <summary>
/// Writes a large cluster straight into the (SQLite) database, without the protocol: 50 hosts with
/// 20 devices each (1,000 devices, some readonly or down, with usage figures) and any number of files
/// in domain <c>bulk</c>, class <c>photos</c> (mindevcount 2), each on two of those devices; every
/// 1,000th file has only one copy (under-replicated). One transaction; rows come from recursive
/// CTEs inside SQLite, so a million files take seconds.
/// </summary>
public static class LargeClusterSeed
{
    public const int Hosts = 50, DevicesPerHost = 20, FirstHostId = 100, FirstDevId = 1001;
    public const int Devices = Hosts * DevicesPerHost;

    public static string Key(long i) => $"bulk/{i:0000000}";

    /// <returns>How long the seeding took.</returns>
    public static async Task<TimeSpan> SeedAsync(TestCluster cluster, int files)
    {
        if (cluster.DatabaseKind != MogileFS.Store.DatabaseKind.Sqlite) throw new NotSupportedException("the seed writes SQLite-specific SQL");
        await cluster.QueryOkAsync("create_domain domain=bulk");
        await cluster.QueryOkAsync("create_class domain=bulk&class=photos&mindevcount=2");
        var sw = Stopwatch.StartNew();
        await using var conn = await cluster.OpenDatabaseAsync();
        await using var tx = await conn.BeginTransactionAsync();
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        int dmid = Convert.ToInt32(await ScalarAsync(conn, tx, "SELECT dmid FROM domain WHERE namespace = 'bulk'"));
        int classid = Convert.ToInt32(await ScalarAsync(conn, tx, $"SELECT classid FROM class WHERE dmid = {dmid} AND classname = 'photos'"));
        long baseFid = Convert.ToInt64(await ScalarAsync(conn, tx, "SELECT COALESCE(MAX(fid), 0) FROM file")) + 1000;

        // Hosts on addresses where nothing listens (port 1): the monitor finds them unreachable, as a
        // rack that is switched off would be.
        await ExecAsync(conn, tx, $"""
            WITH RECURSIVE h(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM h WHERE i < {Hosts - 1})
            INSERT INTO host (hostid, status, http_port, hostname, hostip)
            SELECT {FirstHostId} + i, 'alive', 1, printf('bulk-%02d', i), printf('127.0.3.%d', i + 1) FROM h
            """);
        await ExecAsync(conn, tx, $"""
            WITH RECURSIVE d(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < {Devices - 1})
            INSERT INTO device (devid, hostid, status, weight, mb_total, mb_used, mb_asof)
            SELECT {FirstDevId} + i, {FirstHostId} + i / {DevicesPerHost},
                   CASE WHEN i % 50 = 7 THEN 'readonly' WHEN i % 97 = 3 THEN 'down' ELSE 'alive' END,
                   100, 4000000, (i * 7919) % 4000000, {now} FROM d
            """);
        await ExecAsync(conn, tx, $"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {files})
            INSERT INTO file (fid, dmid, dkey, length, classid, devcount)
            SELECT {baseFid} + i, {dmid}, printf('bulk/%07d', i), 1000 + (i * 37) % 100000, {classid},
                   CASE WHEN i % 1000 = 0 THEN 1 ELSE 2 END FROM n
            """);
        await ExecAsync(conn, tx, $"""
            INSERT INTO file_on (fid, devid)
            SELECT fid, {FirstDevId} + (fid % {Devices}) FROM file WHERE dmid = {dmid}
            """);
        await ExecAsync(conn, tx, $"""
            INSERT INTO file_on (fid, devid)
            SELECT fid, {FirstDevId} + ((fid + {Devices / 2}) % {Devices}) FROM file WHERE dmid = {dmid} AND devcount = 2
            """);
        await tx.CommitAsync();
        return sw.Elapsed;
    }

    private static async Task<object?> ScalarAsync(DbConnection conn, DbTransaction tx, string sql)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync();
    }

    private static async Task ExecAsync(DbConnection conn, DbTransaction tx, string sql)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.CommandTimeout = 600;
        await cmd.ExecuteNonQueryAsync();
    }
}
