using MogileFS.Store.Schema;
using MogileFS.TestSupport;
using Npgsql;
using static MogileFS.Store.Tests.SchemaTestUtil;

namespace MogileFS.Store.Tests;

public sealed class PostgresSchemaTests
{
    private static async Task<(PostgresServer Server, DatabaseDsn Dsn)> NewDatabase()
    {
        var pg = await PostgresServer.GetSharedAsync();
        return (pg, DatabaseDsn.Parse(await pg.CreateDatabaseAsync()));
    }

    private static async Task<NpgsqlConnection> Open(DatabaseDsn dsn)
    {
        var c = (NpgsqlConnection)dsn.CreateConnection(PostgresServer.User, PostgresServer.Password);
        await c.OpenAsync();
        return c;
    }

    private static async Task<List<string[]>> Rows(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await r.ReadAsync())
        {
            var row = new string[r.FieldCount];
            for (int i = 0; i < r.FieldCount; i++) row[i] = r.IsDBNull(i) ? "NULL" : Convert.ToString(r.GetValue(i))!;
            rows.Add(row);
        }
        return rows;
    }

    private static async Task Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Tables, columns (order, type, nullability, default), constraints, indexes, sequences.</summary>
    private static async Task<List<string>> Describe(NpgsqlConnection c)
    {
        var lines = new List<string>();
        foreach (var r in await Rows(c, """
            SELECT table_name, ordinal_position, column_name, data_type, character_maximum_length, is_nullable, column_default
            FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
            """))
            lines.Add("column " + string.Join(" | ", r));
        foreach (var r in await Rows(c, """
            SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = 'public' ORDER BY t.relname, c.conname
            """))
            lines.Add("constraint " + string.Join(" | ", r));
        foreach (var r in await Rows(c, "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"))
            lines.Add("index " + string.Join(" | ", r));
        foreach (var r in await Rows(c, "SELECT sequence_name, data_type FROM information_schema.sequences WHERE sequence_schema = 'public' ORDER BY 1"))
            lines.Add("sequence " + string.Join(" | ", r));
        return lines;
    }

    [PostgresFact]
    public async Task Fresh_install_has_exactly_the_observed_2_73_schema()
    {
        var (pg, dsn) = await NewDatabase();
        await SchemaInstaller.InstallAsync(dsn, PostgresServer.User, PostgresServer.Password);
        var reference = DatabaseDsn.Parse(await pg.CreateDatabaseAsync());
        await using (var r = await Open(reference))
            await Exec(r, File.ReadAllText(TestData("schema-postgres.sql")));

        await using var ours = await Open(dsn);
        await using var theirs = await Open(reference);
        var expected = await Describe(theirs);
        Assert.Equal(expected, await Describe(ours));
        Assert.Contains("column class | 6 | replpolicy | character varying | 255 | YES | NULL", expected);
        Assert.Contains("constraint host | status | c | CHECK (((status)::text = ANY ((ARRAY['alive'::character varying, 'dead'::character varying, 'down'::character varying, 'readonly'::character varying])::text[])))", expected);
        Assert.Equal([["schema_version", "17"]], await Rows(ours, "SELECT field, value FROM server_settings"));
    }

    [PostgresFact]
    public async Task Fids_are_bigint_but_the_tempfile_sequence_is_int4()
    {
        var (_, dsn) = await NewDatabase();
        await SchemaInstaller.InstallAsync(dsn, PostgresServer.User, PostgresServer.Password);
        await using var c = await Open(dsn);
        var types = await Rows(c, "SELECT table_name, data_type FROM information_schema.columns WHERE column_name='fid' AND table_schema='public' ORDER BY 1");
        foreach (var t in types)
            Assert.Equal(t[0] == "tempfile" ? "integer" : "bigint", t[1]);
        Assert.Equal(12, types.Count);
    }

    [PostgresFact]
    public async Task Second_run_is_already_up_to_date()
    {
        var (_, dsn) = await NewDatabase();
        await SchemaInstaller.InstallAsync(dsn, PostgresServer.User, PostgresServer.Password);
        List<string> before;
        await using (var c = await Open(dsn)) before = await Describe(c);
        var log = new List<string>();
        var result = await SchemaInstaller.InstallAsync(dsn, PostgresServer.User, PostgresServer.Password,
            new SchemaInstallOptions { Log = log.Add });
        Assert.True(result.AlreadyUpToDate);
        Assert.Equal(["Schema already up-to-date at version 17."], log);
        await using (var c = await Open(dsn)) Assert.Equal(before, await Describe(c));
        await SchemaInstaller.EnsureCompatibleAsync(dsn, PostgresServer.User, PostgresServer.Password);
    }

    [PostgresFact]
    public async Task Tables_created_without_version_are_completed_by_a_later_run()
    {
        var (_, dsn) = await NewDatabase();
        await SchemaInstaller.InstallAsync(dsn, PostgresServer.User, PostgresServer.Password, new SchemaInstallOptions { NoSchemaBump = true });
        await using (var c = await Open(dsn))
        {
            Assert.Equal(0, await SchemaInstaller.ReadVersionAsync(c));
            var ex = await Assert.ThrowsAsync<SchemaVersionException>(() =>
                SchemaInstaller.EnsureCompatibleAsync(dsn, PostgresServer.User, PostgresServer.Password));
            Assert.Equal("Server's database schema version of 0 doesn't match expected value of 17.  Halting.", ex.Message);
        }
        var result = await SchemaInstaller.InstallAsync(dsn, PostgresServer.User, PostgresServer.Password);
        Assert.False(result.AlreadyUpToDate);
        await using var db = await Open(dsn);
        Assert.Equal(17, await SchemaInstaller.ReadVersionAsync(db));
    }

    [PostgresFact]
    public async Task Upgrade_of_an_old_database_widens_checks_adds_columns_and_keeps_int_fids()
    {
        var (_, dsn) = await NewDatabase();
        // A pre-v15 Postgres database from an old install: int4 fids, host status without
        // 'readonly', device status without 'drain', class without replpolicy/hashtype,
        // no checksum/file_to_queue.arg.
        await using (var c = await Open(dsn))
        {
            await Exec(c, """
                CREATE TABLE file (fid INT NOT NULL PRIMARY KEY, dmid SMALLINT NOT NULL, dkey VARCHAR(255),
                  length BIGINT CHECK (length >= 0), classid SMALLINT NOT NULL, devcount SMALLINT NOT NULL, UNIQUE (dmid, dkey));
                CREATE TABLE class (dmid SMALLINT NOT NULL, classid SMALLINT NOT NULL, classname VARCHAR(50),
                  mindevcount SMALLINT NOT NULL, PRIMARY KEY (dmid, classid), UNIQUE (dmid, classname));
                CREATE TABLE host (hostid SMALLINT NOT NULL PRIMARY KEY CHECK (hostid >= 0),
                  status VARCHAR(8) CHECK (status IN ('alive','dead','down')), http_port INT DEFAULT 7500,
                  hostname VARCHAR(40) UNIQUE, hostip VARCHAR(15) UNIQUE);
                CREATE TABLE device (devid SMALLINT NOT NULL PRIMARY KEY, hostid SMALLINT NOT NULL,
                  status VARCHAR(8) CHECK (status IN ('alive','dead','down','readonly')), mb_total INT, mb_used INT);
                CREATE TABLE file_to_queue (fid INT NOT NULL, devid INT, type SMALLINT NOT NULL, nexttry INT NOT NULL,
                  failcount SMALLINT NOT NULL DEFAULT '0', flags SMALLINT NOT NULL DEFAULT '0', PRIMARY KEY (fid, type));
                CREATE TABLE server_settings (field VARCHAR(50) PRIMARY KEY, value VARCHAR(255));
                INSERT INTO server_settings VALUES ('schema_version', '12');
                INSERT INTO host (hostid, status, hostname, hostip) VALUES (1, 'alive', 'sto1', '10.0.0.1');
                INSERT INTO file VALUES (5, 1, 'k', 10, 0, 1);
                """);
        }

        var result = await SchemaInstaller.InstallAsync(dsn, PostgresServer.User, PostgresServer.Password);
        Assert.Equal(12, result.PreviousVersion);

        await using var db = await Open(dsn);
        Assert.Equal(17, await SchemaInstaller.ReadVersionAsync(db));
        await Exec(db, "UPDATE host SET status='readonly' WHERE hostid=1");
        await Exec(db, "INSERT INTO device (devid, hostid, status) VALUES (1, 1, 'drain')");
        await Exec(db, "UPDATE device SET weight = weight, mb_asof = 1");
        await Exec(db, "UPDATE host SET http_get_port = 7600, altip = '10.1.0.1', altmask = '10.1.0.0/16'");
        await Assert.ThrowsAsync<PostgresException>(() => Exec(db, "UPDATE host SET status='bogus'"));
        Assert.Equal(["dmid", "classid", "classname", "mindevcount", "replpolicy", "hashtype"],
            (await Rows(db, "SELECT column_name FROM information_schema.columns WHERE table_name='class' ORDER BY ordinal_position")).Select(r => r[0]).ToArray());
        Assert.Equal("text", (await Rows(db, "SELECT data_type FROM information_schema.columns WHERE table_name='server_settings' AND column_name='value'"))[0][0]);
        Assert.Single(await Rows(db, "SELECT 1 FROM information_schema.columns WHERE table_name='file_to_queue' AND column_name='arg'"));
        // New tables follow the existing int4 file.fid.
        Assert.Equal("integer", (await Rows(db, "SELECT data_type FROM information_schema.columns WHERE table_name='checksum' AND column_name='fid'"))[0][0]);
        Assert.Equal([["status"]], await Rows(db, "SELECT conname FROM pg_constraint WHERE conrelid='host'::regclass AND contype='c' AND pg_get_constraintdef(oid) LIKE '%status%'"));
        Assert.Equal([["k"]], await Rows(db, "SELECT dkey FROM file WHERE fid=5"));
    }
}
