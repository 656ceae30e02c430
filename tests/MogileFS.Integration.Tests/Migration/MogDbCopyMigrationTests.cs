using System.Text.RegularExpressions;
using MogileFS.Store;
using MogileFS.TestSupport;
using MySqlConnector;
using Npgsql;
using Xunit.Abstractions;

namespace MogileFS.Integration.Tests.Migration;

/// <summary>
/// mogdbcopy (a process) on real servers with the database recorded from 2.73: MySQL to PostgreSQL,
/// served by our tracker afterwards exactly as the Perl tracker served it on MySQL, and back to
/// MySQL; SQLite to MySQL; a changed row is found (docs/migrating.md §5).
/// </summary>
[Collection("MariaDB")]
public sealed class MogDbCopyMigrationTests(ITestOutputHelper output)
{
    private static Task<(int ExitCode, string Output)> Copy(params string[] args) =>
        ManagedProcess.RunAsync("mogdbcopy", args, TimeSpan.FromMinutes(3));

    private static string[] My(string which) => [$"--{which}-user={MariaDbServer.User}", $"--{which}-pass={MariaDbServer.Password}"];
    private static string[] Pg(string which) => [$"--{which}-user={PostgresServer.User}", $"--{which}-pass={PostgresServer.Password}"];

    private static async Task<object?> PgScalarAsync(string dsn, string sql)
    {
        await using var c = (NpgsqlConnection)DatabaseDsn.Parse(dsn).CreateConnection(PostgresServer.User, PostgresServer.Password);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        var v = await cmd.ExecuteScalarAsync();
        return v is DBNull ? null : v;
    }

    /// <summary>Rows in the recorded dump: one INSERT per row.</summary>
    private static int DumpRows => File.ReadLines(RecordedPerlSite.DumpFile).Count(l => l.StartsWith("INSERT INTO ", StringComparison.Ordinal));

    [MariaDbFact]
    public async Task The_perl_database_copied_to_postgres_is_served_by_our_tracker_as_the_perl_tracker_served_it()
    {
        await using var site = await RecordedPerlSite.CreateAsync();
        var pg = await PostgresServer.GetSharedAsync();
        string pgDsn = await pg.CreateDatabaseAsync();

        var (code, text) = await Copy([$"--from-dsn={site.Dsn}", .. My("from"), $"--to-dsn={pgDsn}", .. Pg("to")]);
        output.WriteLine(text);
        Assert.True(code == 0, text);
        var ok = Regex.Match(text, @"OK: (\d+) rows copied in ([\d.]+)s, 17 tables, (\d+) rows: source and target are equal \(every row compared\)\.");
        Assert.True(ok.Success, text);
        Assert.Equal(DumpRows, int.Parse(ok.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("file: 31 rows equal", text);
        Assert.Contains("file_to_queue: 31 rows equal", text);
        // MySQL's AUTO_INCREMENT was 35 (fid 34 deleted, its deletion still queued): PostgreSQL goes on from there.
        Assert.Contains("fid generator (tempfile.fid): next id 35", text);
        Assert.Equal("utf8/h\u00e9llo w\u00f6rld", await PgScalarAsync(pgDsn, "SELECT dkey FROM file WHERE fid = 22"));

        // Our tracker on the PostgreSQL copy, over the same storage nodes, answers as 2.73 did on
        // MySQL - but for list_keys prefixes: case-insensitive on MySQL (2.73's latin1_swedish_ci),
        // case-sensitive on PostgreSQL (in 2.73 too), so "S" matches nothing there.
        await site.StartTrackerAsync(jobs: false, o => { o.DbDsn = pgDsn; o.DbUser = PostgresServer.User; o.DbPass = PostgresServer.Password; });
        await site.WaitForMonitorAsync();
        const string none = "ERR none_match No+keys+match+that+pattern+and+after-value+%28if+any%29.";
        var problems = await PerlAnswers.CompareAsync(site.TrackerEndPoint, site.HttpPort, PerlAnswers.Load(RecordedPerlSite.AnswersFile),
            new Dictionary<string, string>
            {
                ["list_keys domain=photos&prefix=S&limit=1000"] = none,
                ["list_keys domain=docs&prefix=S&limit=1000"] = none,
            });
        foreach (var p in problems) output.WriteLine(p);
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(10)));

        // The next upload gets fid 35, not a fid 2.73 used.
        var open = await site.QueryOkAsync("create_open domain=photos&class=double&key=after-copy&fid=0&multi_dest=1");
        Assert.Equal("35", open["fid"]);
    }

    [MariaDbFact]
    public async Task Mysql_to_postgres_and_back_to_a_new_mysql_database_is_equal_row_for_row()
    {
        var server = await MariaDbServer.GetSharedAsync();
        string perl = await server.CreateDatabaseAsync();
        await RecordedPerlSite.LoadDumpAsync(server, DatabaseDsn.Parse(perl).Database!, RecordedPerlSite.DumpFile);
        var pg = await PostgresServer.GetSharedAsync();
        string pgDsn = await pg.CreateDatabaseAsync();
        string back = await server.CreateDatabaseAsync();

        var there = await Copy([$"--from-dsn={perl}", .. My("from"), $"--to-dsn={pgDsn}", .. Pg("to"), "--quiet"]);
        Assert.True(there.ExitCode == 0, there.Output);
        var again = await Copy([$"--from-dsn={pgDsn}", .. Pg("from"), $"--to-dsn={back}", .. My("to")]);
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("target: created schema version 17", again.Output);

        var verify = await Copy([$"--from-dsn={perl}", .. My("from"), $"--to-dsn={back}", .. My("to"), "--verify-only"]);
        output.WriteLine(verify.Output);
        Assert.True(verify.ExitCode == 0, verify.Output);
        Assert.Contains($"OK: compared 17 tables, {DumpRows} rows: source and target are equal", verify.Output);
        // The key's bytes in the latin1 column are those 2.73 wrote.
        Assert.Equal("757466382F68E96C6C6F2077F6726C64",
            (await server.QueryAsync("SELECT HEX(dkey) FROM file WHERE fid = 22", DatabaseDsn.Parse(back).Database))[0][0]);
        Assert.Equal(35UL, Convert.ToUInt64((await server.QueryAsync(
            $"SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{DatabaseDsn.Parse(back).Database}' AND TABLE_NAME = 'tempfile'"))[0][0]));

        // A changed row, a missing row: exit code 2, and what differs.
        await server.AdminAsync($"UPDATE {DatabaseDsn.Parse(back).Database}.file SET length = 99 WHERE fid = 5");
        await server.AdminAsync($"DELETE FROM {DatabaseDsn.Parse(back).Database}.fsck_log WHERE logid = 3");
        verify = await Copy([$"--from-dsn={perl}", .. My("from"), $"--to-dsn={back}", .. My("to"), "--verify-only"]);
        output.WriteLine(verify.Output);
        Assert.Equal(2, verify.ExitCode);
        Assert.Contains("file fid=5: source dmid=1 dkey='single/f4k' length=4096 classid=1 devcount=1, target dmid=1 dkey='single/f4k' length=99", verify.Output);
        Assert.Contains("fsck_log logid=3: missing in the target", verify.Output);
        Assert.Contains("MISMATCH: source and target differ in: file, fsck_log.", verify.Output);

        // A copy onto a database that holds data is refused.
        var refused = await Copy([$"--from-dsn={pgDsn}", .. Pg("from"), $"--to-dsn={back}", .. My("to")]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("The target database is not empty", refused.Output);
    }

    [MariaDbFact]
    public async Task Sqlite_to_mysql_keeps_every_row()
    {
        using var dir = new TempDirectory();
        string sqlite = "DBI:SQLite:" + dir.Combine("src.db");
        await Store.Schema.SchemaInstaller.InstallAsync(DatabaseDsn.Parse(sqlite), null, null);
        await using (var c = DatabaseDsn.Parse(sqlite).CreateConnection(null, null))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = """
                INSERT INTO domain VALUES (1, 'd'), (2, 'über');
                INSERT INTO class VALUES (1, 1, 'c', 2, 1, 'MultipleHosts()');
                INSERT INTO host VALUES (1, 'alive', 7500, NULL, 'h1', '10.0.0.1', NULL, NULL);
                INSERT INTO device VALUES (1, 1, 'alive', 100, 10, 1, 1700000000);
                INSERT INTO file VALUES (10, 1, 'k', 3, 1, 1), (11, 2, 'schlüssel', 0, 0, 1);
                INSERT INTO file_on VALUES (10, 1), (11, 1);
                INSERT INTO checksum VALUES (10, 1, X'0102030405060708090A0B0C0D0E0F10');
                INSERT INTO file_to_replicate VALUES (10, 5, NULL, 0, 0);
                INSERT INTO fsck_log (utime, fid, evcode, devid) VALUES (1, 10, 'REPL', NULL);
                INSERT INTO server_settings VALUES ('fsck_checksum', 'MD5');
                """;
            await cmd.ExecuteNonQueryAsync();
        }
        var server = await MariaDbServer.GetSharedAsync();
        string my = await server.CreateDatabaseAsync();
        var (code, text) = await Copy([$"--from-dsn={sqlite}", $"--to-dsn={my}", .. My("to")]);
        output.WriteLine(text);
        Assert.True(code == 0, text);
        Assert.Contains("OK: 14 rows copied", text);
        string db = DatabaseDsn.Parse(my).Database!;
        Assert.Equal("schlüssel", (await server.QueryAsync("SELECT dkey FROM file WHERE fid = 11", db))[0][0]);
        Assert.Equal(12UL, Convert.ToUInt64((await server.QueryAsync(
            $"SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db}' AND TABLE_NAME = 'tempfile'"))[0][0]));

        // A key 2.73's latin1 tables cannot hold stops the copy with the server's error.
        await using (var c = DatabaseDsn.Parse(sqlite).CreateConnection(null, null))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO file VALUES (12, 1, 'snow \u2603', 1, 0, 1)";
            await cmd.ExecuteNonQueryAsync();
        }
        string other = await server.CreateDatabaseAsync();
        (code, text) = await Copy([$"--from-dsn={sqlite}", $"--to-dsn={other}", .. My("to")]);
        Assert.Equal(1, code);
        Assert.Contains("Database error: Incorrect string value", text);
        Assert.Contains("Run again with --overwrite once the cause is fixed.", text);
    }
}
