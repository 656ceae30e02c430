using MogileFS.Store.Schema;
using MogileFS.TestSupport;
using MySqlConnector;
using static MogileFS.Store.Tests.SchemaTestUtil;

namespace MogileFS.Store.Tests;

/// <summary>
/// Schema v17 on MariaDB, checked against the <c>SHOW CREATE TABLE</c> output of every table of a
/// database that 2.73's own <c>mogdbsetup --type=MySQL</c> created (TestData/mysql-show-create-table-v17.txt)
/// and of one it upgraded from an old (v7) schema (TestData/mysql-schema-old.sql →
/// mysql-show-create-table-upgraded-from-v7.txt), both recorded from the Perl original on MariaDB 10.11.
/// </summary>
public sealed class MySqlSchemaTests
{
    private static async Task<(MariaDbServer Server, string Name, DatabaseDsn Dsn)> NewDatabase()
    {
        var s = await MariaDbServer.GetSharedAsync();
        var dsn = DatabaseDsn.Parse(await s.CreateDatabaseAsync());
        return (s, dsn.Database!, dsn);
    }

    /// <summary>SHOW CREATE TABLE of every table, in table-name order, as the mariadb client prints it with \G.</summary>
    internal static async Task<string> ShowCreateAll(MariaDbServer s, string db)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var t in (await s.QueryAsync("SHOW TABLES", db)).Select(r => (string)r[0]!).Order(StringComparer.Ordinal))
            sb.Append((string)(await s.QueryAsync($"SHOW CREATE TABLE `{t}`", db))[0][1]!).Append('\n');
        return sb.ToString();
    }

    [MariaDbFact]
    public async Task Fresh_install_is_what_the_original_mogdbsetup_creates()
    {
        var (s, db, dsn) = await NewDatabase();
        var result = await SchemaInstaller.InstallAsync(dsn, MariaDbServer.User, MariaDbServer.Password);
        Assert.Equal((0, 17), (result.PreviousVersion, result.Version));
        Assert.Equal(File.ReadAllText(TestData("mysql-show-create-table-v17.txt")), await ShowCreateAll(s, db));
        var settings = await s.QueryAsync("SELECT field, value FROM server_settings", db);
        Assert.Equal([("schema_version", "17")], settings.Select(r => ((string)r[0]!, (string)r[1]!)));
        // Running it again changes nothing.
        Assert.True((await SchemaInstaller.InstallAsync(dsn, MariaDbServer.User, MariaDbServer.Password)).AlreadyUpToDate);
        await SchemaInstaller.EnsureCompatibleAsync(dsn, MariaDbServer.User, MariaDbServer.Password);
    }

    [MariaDbFact]
    public async Task Upgrade_from_an_old_schema_walks_the_original_steps()
    {
        var (s, db, dsn) = await NewDatabase();
        await using (var c = new MySqlConnection(s.AdminConnectionString(db)))
        {
            await c.OpenAsync();
            foreach (var stmt in Statements(File.ReadAllText(TestData("mysql-schema-old.sql"))))
                await new MySqlCommand(stmt, c).ExecuteNonQueryAsync();
        }
        await Assert.ThrowsAsync<SchemaVersionException>(() => SchemaInstaller.EnsureCompatibleAsync(dsn, MariaDbServer.User, MariaDbServer.Password));
        var result = await SchemaInstaller.InstallAsync(dsn, MariaDbServer.User, MariaDbServer.Password);
        Assert.Equal((7, 17), (result.PreviousVersion, result.Version));
        Assert.Equal(File.ReadAllText(TestData("mysql-show-create-table-upgraded-from-v7.txt")), await ShowCreateAll(s, db));
        // The rows survive.
        Assert.Equal("c1", (string)(await s.QueryAsync("SELECT classname FROM class WHERE dmid = 1", db))[0][0]!);
    }

    [MariaDbFact]
    public async Task Mogdbsetup_creates_the_database_and_the_user_as_root_then_the_schema()
    {
        var s = await MariaDbServer.GetSharedAsync();
        string db = "mogsetup_" + Guid.NewGuid().ToString("N")[..8];
        string user = "u" + Guid.NewGuid().ToString("N")[..8];
        var r = await ToolProcess.RunAsync("mogdbsetup",
            ["--yes", $"--dbhost={s.Host}", $"--dbport={s.Port}", "--dbrootuser=root", $"--dbname={db}", $"--dbuser={user}", "--dbpass=secret"], null);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(File.ReadAllText(TestData("mysql-show-create-table-v17.txt")), await ShowCreateAll(s, db));
        // The user can now connect with its password, from anywhere and from localhost, to that database.
        var grants = (await s.QueryAsync($"SHOW GRANTS FOR '{user}'@'%'")).Select(x => (string)x[0]!).ToList();
        Assert.Contains(grants, g => g.Contains($"ALL PRIVILEGES ON `{db}`.*", StringComparison.Ordinal));
        Assert.NotEmpty(await s.QueryAsync($"SHOW GRANTS FOR '{user}'@'localhost'"));
        await SchemaInstaller.EnsureCompatibleAsync(DatabaseDsn.Parse($"DBI:mysql:database={db};host={s.Host};port={s.Port}"), user, "secret");
        // Second run: connects as the user, nothing to do.
        r = await ToolProcess.RunAsync("mogdbsetup",
            ["--yes", "--verbose", $"--dbhost={s.Host}", $"--dbport={s.Port}", $"--dbname={db}", $"--dbuser={user}", "--dbpass=secret"], null);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Schema already up-to-date at version 17", r.StdErr);
    }
}
