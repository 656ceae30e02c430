using MogileFS.Store.Schema;
using static MogileFS.Store.Tests.SchemaTestUtil;

namespace MogileFS.Store.Tests;

public sealed class SqliteSchemaTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<string> InstallFresh(SchemaInstallOptions? options = null)
    {
        string file = _dir.File("mogilefs.db");
        await SchemaInstaller.InstallAsync(DatabaseDsn.Parse("DBI:SQLite:" + file), null, null, options);
        return file;
    }

    [Fact]
    public async Task Fresh_install_has_exactly_the_observed_2_73_schema()
    {
        string file = await InstallFresh();
        string reference = _dir.File("reference.db");
        using (var r = OpenSqlite(reference))
            Exec(r, File.ReadAllText(TestData("schema-sqlite.sql")));

        using var ours = OpenSqlite(file);
        using var theirs = OpenSqlite(reference);
        Assert.Equal(DescribeSqlite(theirs), DescribeSqlite(ours));
    }

    [Fact]
    public async Task Fresh_install_sql_text_matches_the_spec_statement_by_statement()
    {
        string file = await InstallFresh();
        var expected = Statements(File.ReadAllText(TestData("schema-sqlite.sql")))
            .Where(s => s.StartsWith("CREATE", StringComparison.Ordinal))
            .Select(NormalizeSql).ToList();
        using var c = OpenSqlite(file);
        var actual = Query(c, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name <> 'sqlite_sequence' ORDER BY rowid")
            .Select(r => NormalizeSql((string)r[0]!)).ToList();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Fresh_install_writes_only_the_schema_version_row()
    {
        string file = await InstallFresh();
        using var c = OpenSqlite(file);
        var rows = Query(c, "SELECT field, value FROM server_settings");
        var row = Assert.Single(rows);
        Assert.Equal("schema_version", row[0]);
        Assert.Equal("17", row[1]);
        Assert.Equal("TEXT", Query(c, "SELECT typeof(value) FROM server_settings")[0][0]!.ToString()!.ToUpperInvariant());
        Assert.Equal(17, await SchemaInstaller.ReadVersionAsync(c));
    }

    [Fact]
    public async Task Class_columns_are_in_the_order_of_the_original()
    {
        string file = await InstallFresh();
        using var c = OpenSqlite(file);
        var cols = Query(c, "PRAGMA table_info(class)").Select(r => (string)r[1]!).ToArray();
        Assert.Equal(["dmid", "classid", "classname", "mindevcount", "hashtype", "replpolicy"], cols);
    }

    [Fact]
    public async Task Second_run_reports_already_up_to_date_and_changes_nothing()
    {
        string file = await InstallFresh();
        List<string> before;
        using (var c = OpenSqlite(file)) before = DescribeSqlite(c);

        var log = new List<string>();
        var result = await SchemaInstaller.InstallAsync(DatabaseDsn.Parse("DBI:SQLite:dbname=" + file), null, null,
            new SchemaInstallOptions { Log = log.Add, Confirm = _ => throw new Xunit.Sdk.XunitException("must not ask") });

        Assert.True(result.AlreadyUpToDate);
        Assert.Equal(17, result.PreviousVersion);
        Assert.Contains("Schema already up-to-date at version 17.", log);
        using (var c = OpenSqlite(file)) Assert.Equal(before, DescribeSqlite(c));
    }

    [Fact]
    public async Task Verbose_install_logs_every_statement()
    {
        var log = new List<string>();
        await InstallFresh(new SchemaInstallOptions { Verbose = true, Log = log.Add });
        Assert.Contains(log, l => l.StartsWith("Running SQL: CREATE TABLE lock (", StringComparison.Ordinal));
        Assert.Contains("Running SQL: ALTER TABLE class ADD COLUMN replpolicy VARCHAR(255);", log);
        Assert.Contains(log, l => l.StartsWith("Running SQL: REPLACE INTO server_settings", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoSchemaBump_creates_tables_without_writing_the_version()
    {
        string file = await InstallFresh(new SchemaInstallOptions { NoSchemaBump = true });
        using var c = OpenSqlite(file);
        Assert.Equal(0, await SchemaInstaller.ReadVersionAsync(c));
        Assert.Equal(18L, Query(c, "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name <> 'sqlite_sequence'")[0][0]); // 17 tables + lock
    }

    [Fact]
    public async Task Upgrade_from_version_14_adds_hashtype_and_checksum_and_keeps_data()
    {
        // A v14-era SQLite database: class without hashtype/replpolicy, no checksum table.
        string file = _dir.File("old.db");
        using (var c = OpenSqlite(file))
        {
            foreach (var stmt in Statements(File.ReadAllText(TestData("schema-sqlite.sql")))
                         .Where(s => !s.StartsWith("CREATE TABLE checksum", StringComparison.Ordinal) &&
                                     !s.StartsWith("CREATE TABLE class", StringComparison.Ordinal) &&
                                     !s.StartsWith("INSERT", StringComparison.Ordinal)))
                Exec(c, stmt);
            Exec(c, """
                CREATE TABLE class (dmid SMALLINT UNSIGNED NOT NULL, classid TINYINT UNSIGNED NOT NULL,
                  classname VARCHAR(50), mindevcount TINYINT UNSIGNED NOT NULL,
                  UNIQUE (dmid, classid), UNIQUE (dmid, classname))
                """);
            Exec(c, "INSERT INTO domain VALUES (1, 'photos')");
            Exec(c, "INSERT INTO class (dmid, classid, classname, mindevcount) VALUES (1, 1, 'thumbs', 3)");
            Exec(c, "INSERT INTO server_settings VALUES ('schema_version', '14')");
        }

        string? asked = null;
        var result = await SchemaInstaller.InstallAsync(DatabaseDsn.Parse("DBI:SQLite:" + file), null, null,
            new SchemaInstallOptions { Confirm = q => { asked = q; return true; } });

        Assert.Equal(14, result.PreviousVersion);
        Assert.Equal(17, result.Version);
        Assert.Equal("Install/upgrade your schema from version 14 to version 17?", asked);
        using var db = OpenSqlite(file);
        Assert.Equal(["dmid", "classid", "classname", "mindevcount", "replpolicy", "hashtype"],
            Query(db, "PRAGMA table_info(class)").Select(r => (string)r[1]!).ToArray());
        Assert.Equal("thumbs", Query(db, "SELECT classname FROM class WHERE dmid=1 AND classid=1")[0][0]);
        Assert.Equal(1L, Query(db, "SELECT COUNT(*) FROM sqlite_master WHERE name='checksum'")[0][0]);
        Assert.Equal(17, await SchemaInstaller.ReadVersionAsync(db));
    }

    [Fact]
    public async Task Declined_upgrade_changes_nothing()
    {
        string file = await InstallFresh(new SchemaInstallOptions { NoSchemaBump = true });
        using (var c = OpenSqlite(file)) Exec(c, "INSERT INTO server_settings VALUES ('schema_version', '16')");
        await Assert.ThrowsAsync<SchemaInstallAbortedException>(() => SchemaInstaller.InstallAsync(
            DatabaseDsn.Parse("DBI:SQLite:" + file), null, null, new SchemaInstallOptions { Confirm = _ => false }));
        using var db = OpenSqlite(file);
        Assert.Equal(16, await SchemaInstaller.ReadVersionAsync(db));
    }

    [Fact]
    public async Task Newer_schema_is_refused()
    {
        string file = await InstallFresh();
        using (var c = OpenSqlite(file)) Exec(c, "UPDATE server_settings SET value='18' WHERE field='schema_version'");
        var ex = await Assert.ThrowsAsync<SchemaInstallAbortedException>(() =>
            SchemaInstaller.InstallAsync(DatabaseDsn.Parse("DBI:SQLite:" + file), null, null));
        Assert.Equal("Your current schema version is 18, but this version of mogdbsetup only knows up to 17.  Aborting to be safe.", ex.Message);
    }

    [Fact]
    public async Task Failed_install_leaves_the_database_untouched()
    {
        // A table named like one of ours but with another shape makes the upgrade step fail
        // half-way; the transaction must roll everything back.
        string file = _dir.File("broken.db");
        using (var c = OpenSqlite(file)) Exec(c, "CREATE VIEW class AS SELECT 1 AS dmid");
        await Assert.ThrowsAnyAsync<Exception>(() =>
            SchemaInstaller.InstallAsync(DatabaseDsn.Parse("DBI:SQLite:" + file), null, null));
        using var db = OpenSqlite(file);
        Assert.Equal(["class"], Query(db, "SELECT name FROM sqlite_master").Select(r => (string)r[0]!).ToArray());
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("17", 17)]
    [InlineData(" 16", 16)]
    [InlineData("15abc", 15)]
    [InlineData("abc", 0)]
    public async Task ReadVersion_numifies_like_perl(string? value, int expected)
    {
        string file = await InstallFresh(new SchemaInstallOptions { NoSchemaBump = true });
        using var c = OpenSqlite(file);
        if (value != null) Exec(c, $"INSERT INTO server_settings VALUES ('schema_version', '{value}')");
        Assert.Equal(expected, await SchemaInstaller.ReadVersionAsync(c));
    }

    [Fact]
    public async Task ReadVersion_of_an_empty_database_is_zero()
    {
        using var c = OpenSqlite(_dir.File("empty.db"));
        Assert.Equal(0, await SchemaInstaller.ReadVersionAsync(c));
    }

    [Fact]
    public async Task EnsureCompatible_accepts_17_and_refuses_others_with_the_original_message()
    {
        string file = await InstallFresh();
        var dsn = DatabaseDsn.Parse("DBI:SQLite:" + file);
        await SchemaInstaller.EnsureCompatibleAsync(dsn, null, null);

        using (var c = OpenSqlite(file)) Exec(c, "UPDATE server_settings SET value='16' WHERE field='schema_version'");
        var ex = await Assert.ThrowsAsync<SchemaVersionException>(() => SchemaInstaller.EnsureCompatibleAsync(dsn, null, null));
        Assert.Equal("Server's database schema version of 16 doesn't match expected value of 17.  Halting.", ex.Message);

        string emptyFile = _dir.File("empty.db");
        using (var c = OpenSqlite(emptyFile)) Exec(c, "CREATE TABLE x (a INT)");
        var empty = DatabaseDsn.Parse("DBI:SQLite:" + emptyFile);
        ex = await Assert.ThrowsAsync<SchemaVersionException>(() => SchemaInstaller.EnsureCompatibleAsync(empty, null, null));
        Assert.Equal("Server's database schema version of 0 doesn't match expected value of 17.  Halting.", ex.Message);
    }

    [Fact]
    public async Task EnsureCompatible_does_not_create_a_missing_sqlite_file()
    {
        string missing = _dir.File("missing.db");
        var ex = await Assert.ThrowsAsync<DatabaseDsnException>(() =>
            SchemaInstaller.EnsureCompatibleAsync(DatabaseDsn.Parse("DBI:SQLite:" + missing), null, null));
        Assert.Contains("does not exist", ex.Message);
        Assert.Contains("mogdbsetup", ex.Message);
        Assert.False(File.Exists(missing));
    }
}
