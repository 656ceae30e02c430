using MogileFS.Store.Schema;
using MogileFS.TestSupport;
using Npgsql;
using static MogileFS.Store.Tests.SchemaTestUtil;

namespace MogileFS.Store.Tests;

/// <summary>mogdbsetup run as a process (config.md §3, schema.md §1.1).</summary>
public sealed class MogDbSetupTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Task<ToolProcess.Result> Run(string? stdin, params string[] args) =>
        ToolProcess.RunAsync("mogdbsetup", args, stdin);

    [Fact]
    public async Task Sqlite_like_the_test_suite_creates_the_2_73_schema()
    {
        string file = _dir.File("m.db");
        var r = await Run(null, "--type=SQLite", "--yes", $"--dbname={file}");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal("", r.All);

        string reference = _dir.File("ref.db");
        using (var c = OpenSqlite(reference)) Exec(c, File.ReadAllText(TestData("schema-sqlite.sql")));
        using var ours = OpenSqlite(file);
        using var theirs = OpenSqlite(reference);
        Assert.Equal(DescribeSqlite(theirs), DescribeSqlite(ours));
        Assert.Equal(17, await SchemaInstaller.ReadVersionAsync(ours));
    }

    [Fact]
    public async Task Second_run_is_up_to_date_and_verbose_says_so()
    {
        string file = _dir.File("m.db");
        var first = await Run(null, "--type=SQLite", "--yes", "--verbose", $"--dbname={file}");
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("Running SQL: CREATE TABLE domain", first.StdErr);
        Assert.Contains("Done.", first.StdErr);
        var second = await Run(null, "-type=SQLite", "-yes", "-verbose", $"-dbname={file}");
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("Schema already up-to-date at version 17.", second.StdErr);
        Assert.DoesNotContain("Running SQL", second.StdErr);
    }

    [Fact]
    public async Task Without_yes_it_asks_first_and_a_blank_answer_stops_without_creating_anything()
    {
        string file = _dir.File("m.db");
        var r = await Run("\n", "--type=SQLite", $"--dbname={file}");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Continue? [N/y]:", r.StdOut);
        Assert.Contains("Stopped.", r.StdErr);
        Assert.False(File.Exists(file));

        r = await Run("y\n", "--type=SQLite", $"--dbname={file}");
        Assert.True(r.ExitCode == 0, r.All);
        using var c = OpenSqlite(file);
        Assert.Equal(17, await SchemaInstaller.ReadVersionAsync(c));
    }

    [Fact]
    public async Task Upgrade_asks_and_no_keeps_the_old_version()
    {
        string file = _dir.File("m.db");
        Assert.Equal(0, (await Run(null, "--type=SQLite", "--yes", "--noschemabump", $"--dbname={file}")).ExitCode);
        using (var c = OpenSqlite(file)) Exec(c, "INSERT INTO server_settings VALUES ('schema_version', '15')");
        var r = await Run("y\nn\n", "--type=SQLite", $"--dbname={file}");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Install/upgrade your schema from version 15 to version 17? [Y/n]:", r.StdOut);
        using (var c = OpenSqlite(file)) Assert.Equal(15, await SchemaInstaller.ReadVersionAsync(c));
        r = await Run("y\n\n", "--type=SQLite", $"--dbname={file}");
        Assert.True(r.ExitCode == 0, r.All);
        using (var c = OpenSqlite(file)) Assert.Equal(17, await SchemaInstaller.ReadVersionAsync(c));
    }

    [Fact]
    public async Task Noschemabump_leaves_the_version_unset_and_says_so()
    {
        string file = _dir.File("m.db");
        var r = await Run(null, "--type=SQLite", "--yes", "--noschemabump", $"--dbname={file}");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("not set to 17", r.StdErr);
        using var c = OpenSqlite(file);
        Assert.Equal(0, await SchemaInstaller.ReadVersionAsync(c));
    }

    [Theory]
    [InlineData("--type=MySQL", "Failed to connect to DBI:mysql:mysql;host=127.0.0.1;port=1 as specified root user (root)")]
    [InlineData("--yes", "Failed to connect to DBI:mysql:mysql;host=127.0.0.1;port=1 as specified root user (root)")] // MySQL is the default type
    [InlineData("--type=Oracle", "Failed to load MogileFS::Store::Oracle")]
    [InlineData("--bogus", "Unknown option: bogus")]
    [InlineData("--db=x", "Option db is ambiguous")]
    [InlineData("--plugins=ZoneLocal", "Failed to load plugin ZoneLocal")]
    public async Task Errors_are_clear_and_exit_non_zero(string arg, string message)
    {
        var r = await Run(null, arg, "--yes", "--type=" + (arg.StartsWith("--type", StringComparison.Ordinal) ? arg[7..] : "MySQL"), "--dbhost=127.0.0.1", "--dbport=1");
        if (arg == "--plugins=ZoneLocal") r = await Run(null, arg, "--yes", "--type=SQLite", $"--dbname={_dir.File("p.db")}");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.StdErr);
    }

    [Fact]
    public async Task Help_prints_usage()
    {
        var r = await Run(null, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("--dbrootpass", r.StdOut);
        Assert.Contains("--noschemabump", r.StdOut);
    }

    [Theory]
    [InlineData("localhost", null)]
    [InlineData("127.0.0.1", null)]
    [InlineData("127.0.0.2", null)]
    [InlineData("db1.example.com", null)]
    [InlineData("/var/run/postgresql", null)]
    [InlineData("0.0.0.0", null)]
    [InlineData("10.0.0.5", 5432)]
    [InlineData("192.168.1.20", 5432)]
    public void Default_port_follows_the_numeric_comparison_quirk(string host, int? port)
    {
        Assert.Equal(port, DatabaseDsn.MogDbSetupDefaultPort(DatabaseKind.Postgres, host));
        Assert.Equal(port == null ? null : 3306, DatabaseDsn.MogDbSetupDefaultPort(DatabaseKind.MySql, host));
        Assert.Null(DatabaseDsn.MogDbSetupDefaultPort(DatabaseKind.Sqlite, host));
    }

    // ---- PostgreSQL ----

    private static async Task<List<string>> Scalars(string connectionString, string sql)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<string>();
        while (await r.ReadAsync()) list.Add(Convert.ToString(r.GetValue(0))!);
        return list;
    }

    [PostgresFact]
    public async Task Postgres_existing_database_and_user_are_used_directly()
    {
        var pg = await PostgresServer.GetSharedAsync();
        var dsn = DatabaseDsn.Parse(await pg.CreateDatabaseAsync());
        var r = await Run(null, "--type=Postgres", "--yes", $"--dbhost={pg.Host}", $"--dbport={pg.Port}",
            $"--dbname={dsn.Database}", $"--dbuser={PostgresServer.User}", $"--dbpass={PostgresServer.Password}",
            "--dbrootuser=nosuchadmin");
        Assert.True(r.ExitCode == 0, r.All);
        await SchemaInstaller.EnsureCompatibleAsync(dsn, PostgresServer.User, PostgresServer.Password);
    }

    [PostgresFact]
    public async Task Postgres_creates_database_and_user_as_the_administrator()
    {
        var pg = await PostgresServer.GetSharedAsync();
        string db = $"mogsetup_{Guid.NewGuid():N}"[..24];
        string user = $"moguser_{Guid.NewGuid():N}"[..20];
        var r = await Run(null, "--type=Postgres", "--yes", "--verbose", $"--dbhost={pg.SocketDirectory}", $"--dbport={pg.Port}",
            $"--dbname={db}", $"--dbuser={user}", "--dbpassword=s3cret'x", $"--dbrootuser={PostgresServer.SuperUser}");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("TEMPLATE template0 ENCODING 'UTF-8'", r.StdErr);
        Assert.DoesNotContain("s3cret", r.StdErr);

        string admin = pg.AdminConnectionString();
        Assert.Equal([user], await Scalars(admin, $"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{db}'"));
        Assert.Equal(["UTF8"], await Scalars(admin, $"SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = '{db}'"));
        Assert.Equal([user], await Scalars(pg.AdminConnectionString(db), "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"));
        var dsn = DatabaseDsn.Parse(pg.DsnFor(db));
        await SchemaInstaller.EnsureCompatibleAsync(dsn, user, "s3cret'x");

        // Running again as the user: already up to date, nothing asked of the administrator.
        r = await Run(null, "--type=Postgres", "--yes", "--verbose", $"--dbhost={pg.Host}", $"--dbport={pg.Port}",
            $"--dbname={db}", $"--dbuser={user}", "--dbpass=s3cret'x");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("Schema already up-to-date at version 17.", r.StdErr);
    }

    [PostgresFact]
    public async Task Postgres_existing_database_with_a_new_user_gets_the_user_and_ownership()
    {
        var pg = await PostgresServer.GetSharedAsync();
        var dsn = DatabaseDsn.Parse(await pg.CreateDatabaseAsync());
        string user = $"moguser_{Guid.NewGuid():N}"[..20];
        var r = await Run(null, "--type=Postgres", "--yes", $"--dbhost={pg.Host}", $"--dbport={pg.Port}",
            $"--dbname={dsn.Database}", $"--dbuser={user}", "--dbpass=pw");
        Assert.True(r.ExitCode == 0, r.All);
        await SchemaInstaller.EnsureCompatibleAsync(dsn, user, "pw");
    }

    [PostgresFact]
    public async Task Postgres_bad_administrator_fails_with_the_dsn_and_user()
    {
        var pg = await PostgresServer.GetSharedAsync();
        var r = await Run(null, "--type=Postgres", "--yes", $"--dbhost={pg.Host}", $"--dbport={pg.Port}",
            "--dbname=never_created", "--dbuser=nosuchuser", "--dbrootuser=nosuchadmin");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"Failed to connect to DBI:Pg:dbname=postgres;host={pg.Host};port={pg.Port} as specified root user (nosuchadmin)", r.StdErr);
        Assert.Empty(await Scalars(pg.AdminConnectionString(), "SELECT datname FROM pg_database WHERE datname = 'never_created'"));
    }
}
