using MogileFS.Store.Schema;
using MogileFS.TestSupport;
using Microsoft.Data.Sqlite;
using Npgsql;
using static MogileFS.Store.Tests.SchemaTestUtil;

namespace MogileFS.Store.Tests;

/// <summary>mogdbcopy run as a process between real SQLite files and PostgreSQL databases
/// (docs/tools.md, docs/migrating.md). MySQL round trips are in MogDbCopyMySqlTests.</summary>
public sealed class MogDbCopyTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    internal static Task<ToolProcess.Result> Run(params string[] args) => ToolProcess.RunAsync("mogdbcopy", args, timeoutSeconds: 120);

    /// <summary>A SQLite database at schema 17 with rows in every table of the schema, the odd values
    /// a copy can get wrong (NULLs, a 64-bit fid, non-ASCII text, binary checksums, a key that is
    /// not UTF-8 when <paramref name="withBinaryKey"/>), and a fid generator ahead of every row.</summary>
    internal static async Task<string> FilledSqliteAsync(string file, bool withBinaryKey = false)
    {
        await SchemaInstaller.InstallAsync(Store.DatabaseDsn.Parse("DBI:SQLite:" + file), null, null);
        using var c = OpenSqlite(file);
        Exec(c, """
            INSERT INTO domain VALUES (1, 'photos'), (2, 'dökümanlar'), (3, 'empty');
            INSERT INTO class VALUES (1, 1, 'single', 1, NULL, NULL), (1, 2, 'triple', 3, 1, 'MultipleHosts(3)'), (2, 1, 'md5', 2, 1, 'MultipleDevices()');
            INSERT INTO host VALUES (1, 'alive', 7500, NULL, 'h1', '10.0.0.1', NULL, NULL), (2, 'down', 7600, 7700, 'h2', '10.0.0.2', '192.168.0.2', '192.168.0.0/16');
            INSERT INTO device VALUES (1, 1, 'alive', 100, 1000, 10, 1700000000), (2, 1, 'drain', 50, NULL, NULL, NULL), (3, 2, 'dead', 100, 500, 500, 1700000001);
            INSERT INTO file VALUES (1, 1, 'a/first', 0, 1, 1), (2, 1, 'ünïcödé key ☃', 123456789012, 2, 3), (2000000000, 2, 'big fid', 4096, 1, 2), (7, 1, NULL, NULL, 0, 0);
            INSERT INTO tempfile VALUES (900, 1700000100, 1, 1, 'uploading', '1,3');
            INSERT INTO file_on VALUES (1, 1), (2, 1), (2, 2), (2, 3), (2000000000, 1), (2000000000, 3);
            INSERT INTO file_on_corrupt VALUES (2, 3);
            INSERT INTO checksum VALUES (2, 1, X'00FF10AB00000000000000000000CDEF'), (1, 1, X'D41D8CD98F00B204E9800998ECF8427E');
            INSERT INTO file_to_replicate VALUES (2, 1700000200, NULL, 0, 0), (2000000000, 0, 3, 2, 1);
            INSERT INTO file_to_delete VALUES (40);
            INSERT INTO file_to_delete2 VALUES (41, 1700000300, 1);
            INSERT INTO file_to_delete_later VALUES (42, 1700000400);
            INSERT INTO file_to_queue VALUES (2, NULL, 1, 1700000500, 0, 0, NULL), (2, 3, 2, 0, 1, 4, 'arg text'), (1, NULL, 1, 5, 0, 0, '');
            INSERT INTO unreachable_fids VALUES (43, 1700000600);
            INSERT INTO fsck_log (logid, utime, fid, evcode, devid) VALUES (1, 1700000700, 2, 'MISS', 3), (2, 1700000701, NULL, 'NOPA', NULL);
            INSERT INTO server_settings VALUES ('fsck_host', NULL), ('memcache_ttl', '3600'), ('rebal_state', 'a=1&b=ë');
            UPDATE sqlite_sequence SET seq = 1000 WHERE name = 'tempfile';
            """);
        if (withBinaryKey)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO file VALUES (8, 1, @k, 1, 1, 1)";
            cmd.Parameters.AddWithValue("@k", new byte[] { 0x62, 0x69, 0x6e, 0xff, 0xfe });
            cmd.ExecuteNonQuery();
        }
        return "DBI:SQLite:" + file;
    }

    internal static async Task<object?> PgScalarAsync(string dsn, string sql)
    {
        var d = Store.DatabaseDsn.Parse(dsn);
        await using var c = (NpgsqlConnection)d.CreateConnection(PostgresServer.User, PostgresServer.Password);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return await cmd.ExecuteScalarAsync();
    }

    private static string[] Pg(string flag) => [$"--{flag}-user={PostgresServer.User}", $"--{flag}-pass={PostgresServer.Password}"];

    [PostgresFact]
    public async Task Sqlite_to_postgres_and_back_keeps_every_row_and_the_fid_generator()
    {
        var pg = await PostgresServer.GetSharedAsync();
        string sqlite = await FilledSqliteAsync(_dir.File("src.db"));
        string pgDsn = await pg.CreateDatabaseAsync();

        var r = await Run([$"--from-dsn={sqlite}", $"--to-dsn={pgDsn}", .. Pg("to")]);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("OK: 40 rows copied", r.StdOut);
        Assert.Contains("source and target are equal (every row compared)", r.StdOut);
        Assert.Contains("file: 4 rows equal", r.StdOut);
        Assert.Contains("target: created schema version 17", r.StdOut);

        Assert.Equal("ünïcödé key ☃", await PgScalarAsync(pgDsn, "SELECT dkey FROM file WHERE fid = 2"));
        Assert.Equal(2000000000L, await PgScalarAsync(pgDsn, "SELECT fid FROM file WHERE dkey = 'big fid'"));
        Assert.Equal(new byte[] { 0x00, 0xFF, 0x10, 0xAB, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xCD, 0xEF }, await PgScalarAsync(pgDsn, "SELECT checksum FROM checksum WHERE fid = 2"));
        // The next automatic fid is above every fid the source used (2000000000 is a file's), not 1001.
        Assert.Equal(2000000001L, Convert.ToInt64(await PgScalarAsync(pgDsn, "SELECT nextval('tempfile_fid_seq')")));
        Assert.Equal(3L, Convert.ToInt64(await PgScalarAsync(pgDsn, "SELECT nextval('fsck_log_logid_seq')")));
        Assert.Equal("17", await PgScalarAsync(pgDsn, "SELECT value FROM server_settings WHERE field = 'schema_version'"));

        // And back into a new SQLite file: equal to the original, row for row.
        string back = "DBI:SQLite:" + _dir.File("back.db");
        r = await Run([$"--from-dsn={pgDsn}", .. Pg("from"), $"--to-dsn={back}", "--quiet"]);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.DoesNotContain("rows equal", r.StdOut);
        r = await Run($"--from-dsn={sqlite}", $"--to-dsn={back}", "--verify-only");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("OK: compared 17 tables, 40 rows", r.StdOut);
    }

    [PostgresFact]
    public async Task A_changed_missing_or_extra_row_is_a_mismatch_with_exit_code_2()
    {
        var pg = await PostgresServer.GetSharedAsync();
        string sqlite = await FilledSqliteAsync(_dir.File("src.db"));
        string pgDsn = await pg.CreateDatabaseAsync();
        var r = await Run([$"--from-dsn={sqlite}", $"--to-dsn={pgDsn}", .. Pg("to"), "--batch-size=2"]);
        Assert.True(r.ExitCode == 0, r.All);

        await PgScalarAsync(pgDsn, "UPDATE file SET dkey = 'a/First' WHERE fid = 1");
        r = await Run([$"--from-dsn={sqlite}", $"--to-dsn={pgDsn}", .. Pg("to"), "--verify-only"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("file: MISMATCH", r.StdOut);
        Assert.Contains("file fid=1: source dmid=1 dkey='a/first' length=0 classid=1 devcount=1, target dmid=1 dkey='a/First'", r.StdOut);
        Assert.Contains("MISMATCH: source and target differ in: file.", r.StdOut);

        await PgScalarAsync(pgDsn, "UPDATE file SET dkey = 'a/first' WHERE fid = 1; DELETE FROM file_on WHERE fid = 2 AND devid = 2; INSERT INTO server_settings VALUES ('extra', 'x')");
        r = await Run([$"--from-dsn={sqlite}", $"--to-dsn={pgDsn}", .. Pg("to"), "--verify-only", "--quiet"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("file_on fid=2,devid=2: missing in the target", r.StdOut);
        Assert.Contains("server_settings field='extra': only in the target", r.StdOut);
        Assert.Contains("differ in: server_settings, file_on.", r.StdOut);

        // A generator behind the source is a mismatch too (the next upload would reuse fid 2000000000).
        await PgScalarAsync(pgDsn, "INSERT INTO file_on VALUES (2, 2); DELETE FROM server_settings WHERE field = 'extra'; SELECT setval('tempfile_fid_seq', 5)");
        await using (var c = OpenSqlite(_dir.File("src.db"))) Exec(c, "DELETE FROM file WHERE fid = 2000000000; DELETE FROM file_on WHERE fid = 2000000000; DELETE FROM file_to_replicate WHERE fid = 2000000000; UPDATE sqlite_sequence SET seq = 2000000000 WHERE name = 'tempfile'");
        await PgScalarAsync(pgDsn, "DELETE FROM file WHERE fid = 2000000000; DELETE FROM file_on WHERE fid = 2000000000; DELETE FROM file_to_replicate WHERE fid = 2000000000");
        r = await Run([$"--from-dsn={sqlite}", $"--to-dsn={pgDsn}", .. Pg("to"), "--verify-only"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("fid generator (tempfile.fid): MISMATCH: target would hand out 901, but the source used up to 2000000000", r.StdOut);
    }

    [PostgresFact]
    public async Task A_target_with_data_is_refused_unless_overwrite()
    {
        var pg = await PostgresServer.GetSharedAsync();
        string sqlite = await FilledSqliteAsync(_dir.File("src.db"));
        string pgDsn = await pg.CreateDatabaseAsync();
        await SchemaInstaller.InstallAsync(Store.DatabaseDsn.Parse(pgDsn), PostgresServer.User, PostgresServer.Password);
        await PgScalarAsync(pgDsn, "INSERT INTO domain VALUES (9, 'already here'); INSERT INTO server_settings VALUES ('x', 'y')");

        var r = await Run([$"--from-dsn={sqlite}", $"--to-dsn={pgDsn}", .. Pg("to")]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("The target database is not empty (server_settings: 1 rows, domain: 1 rows); refusing to copy over it. Use --overwrite", r.StdErr);
        Assert.Equal(1L, await PgScalarAsync(pgDsn, "SELECT COUNT(*) FROM domain"));

        r = await Run([$"--from-dsn={sqlite}", $"--to-dsn={pgDsn}", .. Pg("to"), "--overwrite"]);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("target: emptied", r.StdOut);
        Assert.Null(await PgScalarAsync(pgDsn, "SELECT namespace FROM domain WHERE dmid = 9"));
    }

    [PostgresFact]
    public async Task A_key_that_is_not_utf8_cannot_go_to_postgres_and_says_which_row()
    {
        var pg = await PostgresServer.GetSharedAsync();
        string sqlite = await FilledSqliteAsync(_dir.File("src.db"), withBinaryKey: true);
        string pgDsn = await pg.CreateDatabaseAsync();
        var r = await Run([$"--from-dsn={sqlite}", $"--to-dsn={pgDsn}", .. Pg("to")]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("file (fid=8): dkey is not valid UTF-8 (0x62696EFFFE)", r.StdErr);

        // SQLite to SQLite keeps the bytes.
        string copy = "DBI:SQLite:" + _dir.File("copy.db");
        r = await Run($"--from-dsn={sqlite}", $"--to-dsn={copy}");
        Assert.True(r.ExitCode == 0, r.All);
        using var c = OpenSqlite(_dir.File("copy.db"));
        Assert.Equal(new byte[] { 0x62, 0x69, 0x6e, 0xff, 0xfe }, Query(c, "SELECT dkey FROM file WHERE fid = 8")[0][0]);
    }

    [Fact]
    public async Task Usage_errors_and_a_source_that_is_not_at_version_17()
    {
        var r = await Run("--from-dsn=DBI:SQLite:" + _dir.File("missing.db"), "--to-dsn=DBI:SQLite:" + _dir.File("t.db"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("does not exist", r.StdErr);
        Assert.False(File.Exists(_dir.File("t.db")));

        r = await Run("--to-dsn=DBI:SQLite:x.db");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Both --from-dsn and --to-dsn are required.", r.StdErr);

        r = await Run("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage: mogdbcopy", r.StdOut);

        using (var c = OpenSqlite(_dir.File("old.db"))) Exec(c, "CREATE TABLE server_settings (field VARCHAR(50) PRIMARY KEY, value TEXT); INSERT INTO server_settings VALUES ('schema_version', '15')");
        r = await Run("--from-dsn=DBI:SQLite:" + _dir.File("old.db"), "--to-dsn=DBI:SQLite:" + _dir.File("t2.db"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("The source database is at schema version 15, not 17; run mogdbsetup on it first.", r.StdErr);
    }
}
