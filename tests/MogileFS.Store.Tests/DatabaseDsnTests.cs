using Microsoft.Data.Sqlite;
using Npgsql;

namespace MogileFS.Store.Tests;

public sealed class DatabaseDsnTests
{
    [Theory]
    [InlineData("DBI:SQLite:/var/lib/mogilefs/db.sqlite", "/var/lib/mogilefs/db.sqlite")]
    [InlineData("dbi:sqlite:/tmp/x.db", "/tmp/x.db")]
    [InlineData("DBI:SQLite:dbname=/tmp/x.db", "/tmp/x.db")]
    [InlineData("DBI:SQLite:db=/tmp/x.db", "/tmp/x.db")]
    [InlineData("DBI:SQLite:database=/tmp/x.db;sqlite_unicode=1", "/tmp/x.db")]
    [InlineData("DBI:SQLite:relative.db", "relative.db")]
    public void Sqlite_file_is_taken_from_either_form(string dsn, string file)
    {
        var d = DatabaseDsn.Parse(dsn);
        Assert.Equal(DatabaseKind.Sqlite, d.Kind);
        Assert.Equal(file, d.Database);
        Assert.Equal(dsn, d.Original);
        var b = new SqliteConnectionStringBuilder(d.ToConnectionString("ignored", "ignored"));
        Assert.Equal(file, b.DataSource);
        Assert.True(b.Pooling);
    }

    [Fact]
    public void Pg_dsn_becomes_an_npgsql_connection_string()
    {
        var d = DatabaseDsn.Parse("DBI:Pg:dbname=mogilefs;host=db1;port=5433");
        Assert.Equal(DatabaseKind.Postgres, d.Kind);
        Assert.Equal(("mogilefs", "db1", 5433), (d.Database, d.Host, d.Port));
        var b = new NpgsqlConnectionStringBuilder(d.ToConnectionString("mogile", "secret"));
        Assert.Equal("db1", b.Host);
        Assert.Equal(5433, b.Port);
        Assert.Equal("mogilefs", b.Database);
        Assert.Equal("mogile", b.Username);
        Assert.Equal("secret", b.Password);
        Assert.Equal(10, b.Timeout);
    }

    [Theory]
    [InlineData("DBI:Pg:dbname=mogilefs;host=10.0.0.1,10.0.0.2,10.0.0.3;port=5432", "10.0.0.1:5432,10.0.0.2:5432,10.0.0.3:5432")]
    [InlineData("DBI:Pg:dbname=mogilefs;host=127.0.0.1:5433,127.0.0.1:5434", "127.0.0.1:5433,127.0.0.1:5434")]
    [InlineData("DBI:Pg:dbname=mogilefs;host=a,b;port=5433,5434", "a:5433,b:5434")]
    [InlineData("DBI:Pg:dbname=mogilefs;host=a:6000,b;port=5433", "a:6000,b:5433")]
    [InlineData("DBI:Pg:dbname=mogilefs;host=a, b", "a:5432,b:5432")]
    [InlineData("DBI:Pg:dbname=mogilefs;host=[::1]:5433,[fe80::2]", "[::1]:5433,[fe80::2]:5432")]
    public void Pg_multi_host_dsn_becomes_npgsql_hosts_with_a_port_each_that_connect_to_the_primary(string dsn, string hosts)
    {
        var d = DatabaseDsn.Parse(dsn);
        Assert.True(d.IsMultiHost);
        Assert.Equal("mogilefs", d.Database);
        var b = new NpgsqlConnectionStringBuilder(d.ToConnectionString("mogile", "pw"));
        Assert.Equal(hosts, b.Host);
        Assert.Equal("primary", b.TargetSessionAttributes);
        Assert.Equal("mogilefs", b.Database);
        Assert.Equal(10, b.Timeout);
    }

    [Fact]
    public void Pg_multi_host_dsn_keeps_the_host_list_for_tools_and_takes_libpq_options()
    {
        var d = DatabaseDsn.Parse("DBI:Pg:dbname=m;host=db1,db2,db3;target_session_attrs=read-write;load_balance_hosts=random");
        Assert.Equal("db1,db2,db3", d.Host);
        Assert.Equal([new DatabaseHost("db1", null), new DatabaseHost("db2", null), new DatabaseHost("db3", null)], d.Hosts);
        var b = new NpgsqlConnectionStringBuilder(d.ToConnectionString("u", ""));
        Assert.Equal("read-write", b.TargetSessionAttributes);
        Assert.True(b.LoadBalanceHosts);
        // mogdbsetup's administrator DSN is built from the host list and still names every host.
        Assert.True(DatabaseDsn.ForHost(DatabaseKind.Postgres, "postgres", d.Host, d.Port).IsMultiHost);
        Assert.Equal(5432, DatabaseDsn.MogDbSetupDefaultPort(DatabaseKind.Postgres, "10.0.0.1,10.0.0.2"));
    }

    [Fact]
    public void Pg_single_host_dsn_is_unchanged_by_multi_host_support()
    {
        var d = DatabaseDsn.Parse("DBI:Pg:dbname=mogilefs;host=db1;port=5433");
        Assert.False(d.IsMultiHost);
        Assert.Empty(d.Hosts);
        var b = new NpgsqlConnectionStringBuilder(d.ToConnectionString("mogile", "secret"));
        Assert.Null(b.TargetSessionAttributes);
        Assert.Equal("db1", b.Host);
        Assert.Equal(5433, b.Port);
    }

    [Theory]
    [InlineData("DBI:Pg:dbname=x;host=a,b;port=1,2,3")]
    [InlineData("DBI:Pg:dbname=x;host=a;port=1,2")]
    [InlineData("DBI:Pg:dbname=x;host=a,,b")]
    [InlineData("DBI:Pg:dbname=x;host=a:99999,b")]
    [InlineData("DBI:Pg:dbname=x;host=[::1,b")]
    [InlineData("DBI:Pg:dbname=x;host=a,b;target_session_attrs=leader")]
    public void Pg_malformed_multi_host_dsn_is_refused_with_a_message(string dsn)
    {
        var e = Assert.Throws<DatabaseDsnException>(() => DatabaseDsn.Parse(dsn));
        Assert.Contains(dsn, e.Message);
    }

    [Fact]
    public void Pg_accepts_aliases_and_a_socket_directory_and_defaults_the_port()
    {
        var d = DatabaseDsn.Parse("dbi:pg:database=mfs;host=/run/postgresql");
        var b = new NpgsqlConnectionStringBuilder(d.ToConnectionString("u", ""));
        Assert.Equal("/run/postgresql", b.Host);
        Assert.Equal("mfs", b.Database);
        Assert.Equal(5432, b.Port);
        Assert.Equal("mfs", DatabaseDsn.Parse("DBI:Pg:db=mfs").Database);
    }

    [Fact]
    public void Pg_user_in_the_dsn_is_used_only_without_an_explicit_one()
    {
        var d = DatabaseDsn.Parse("DBI:Pg:dbname=m;host=h;user=dsnuser;password=dsnpass");
        Assert.Equal("dsnuser", new NpgsqlConnectionStringBuilder(d.ToConnectionString(null, null)).Username);
        Assert.Equal("dsnpass", new NpgsqlConnectionStringBuilder(d.ToConnectionString(null, null)).Password);
        Assert.Equal("cli", new NpgsqlConnectionStringBuilder(d.ToConnectionString("cli", "x")).Username);
    }

    // Expected values: DBD::mysql's own _OdbcParse on the same strings.
    [Theory]
    [InlineData("DBI:mysql:mogilefs", "mogilefs", null, null)]
    [InlineData("DBI:mysql:mogilefs:host=127.0.0.1", "mogilefs", "127.0.0.1", null)]
    [InlineData("DBI:mysql:database=mogilefs;host=db1;port=3306", "mogilefs", "db1", 3306)]
    [InlineData("DBI:MYSQL:mogilefs:db1:3306", "mogilefs", "db1", 3306)]
    [InlineData("DBI:mysql:dbname=m;db=n", "n", null, null)]
    [InlineData("DBI:mysql:db=x;database=y", "y", null, null)]
    [InlineData("DBI:mysql:host=h;mogilefs;3307", "mogilefs", "h", 3307)]
    [InlineData("DBI:mysql:mogilefs;mysql_socket=/tmp/s.sock", "mogilefs", null, null)]
    [InlineData("DBI:mysql:hostname=h2:mydb", "mydb", "h2", null)]
    [InlineData("DBI:mysql:;host=h", null, "h", null)]
    [InlineData("DBI:mysql:[::1]:mydb", "::1", "mydb", null)]
    [InlineData("DBI:mysql:Host=h;mydb", "mydb", null, null)]
    public void MySql_dsn_is_parsed_as_DBD_mysql_parses_it(string dsn, string? db, string? host, int? port)
    {
        var d = DatabaseDsn.Parse(dsn);
        Assert.Equal(DatabaseKind.MySql, d.Kind);
        Assert.Equal((db, host, port), (d.Database, d.Host, d.Port));
    }

    [Fact]
    public void MySql_dsn_becomes_a_MySqlConnector_connection_string()
    {
        var tcp = new MySqlConnector.MySqlConnectionStringBuilder(
            DatabaseDsn.Parse("DBI:mysql:database=mogilefs;host=db1;port=3307;mysql_connect_timeout=4").ToConnectionString("mog", "pw"));
        Assert.Equal(("db1", 3307u, "mogilefs", "mog", "pw", 4u), (tcp.Server, tcp.Port, tcp.Database, tcp.UserID, tcp.Password, tcp.ConnectionTimeout));
        Assert.Equal(MySqlConnector.MySqlConnectionProtocol.Tcp, tcp.ConnectionProtocol);

        // localhost (or no host) is the Unix socket, as libmysqlclient has it; the port is then unused.
        var sock = new MySqlConnector.MySqlConnectionStringBuilder(
            DatabaseDsn.Parse("DBI:mysql:mogilefs;host=localhost;port=3307;mysql_socket=/tmp/my.sock").ToConnectionString("mog", ""));
        Assert.Equal(("/tmp/my.sock", MySqlConnector.MySqlConnectionProtocol.UnixSocket), (sock.Server, sock.ConnectionProtocol));
        Assert.Equal(10u, sock.ConnectionTimeout);
    }

    [Fact]
    public void Oracle_fails_like_the_original()
    {
        var ex = Assert.Throws<DatabaseDsnException>(() => DatabaseDsn.Parse("DBI:Oracle:orcl"));
        Assert.StartsWith("Error loading MogileFS::Store::Oracle", ex.Message);
    }

    [Theory]
    [InlineData("mogilefs")]
    [InlineData("DBI:ODBC:x")]
    [InlineData("SQLite:/tmp/x")]
    [InlineData("")]
    public void Unknown_types_fail_like_the_original(string dsn)
    {
        var ex = Assert.Throws<DatabaseDsnException>(() => DatabaseDsn.Parse(dsn));
        Assert.Equal("Unknown database type: " + dsn, ex.Message);
    }

    [Theory]
    [InlineData("DBI:SQLite:")]
    [InlineData("DBI:SQLite:dbname=")]
    [InlineData("DBI:Pg:dbname=x;port=abc")]
    [InlineData("DBI:Pg:dbname=x;port=70000")]
    public void Malformed_dsns_get_a_clear_error(string dsn)
    {
        var ex = Assert.Throws<DatabaseDsnException>(() => DatabaseDsn.Parse(dsn));
        Assert.Contains(dsn, ex.Message);
    }

    [Fact]
    public void ForHost_builds_the_dsns_mogdbsetup_builds()
    {
        Assert.Equal("DBI:Pg:dbname=mogilefs;host=db1;port=5432", DatabaseDsn.ForHost(DatabaseKind.Postgres, "mogilefs", "db1", 5432).Original);
        Assert.Equal("DBI:Pg:dbname=mogilefs;host=localhost", DatabaseDsn.ForHost(DatabaseKind.Postgres, "mogilefs", null, null).Original);
        Assert.Equal("DBI:SQLite:/tmp/m.db", DatabaseDsn.ForHost(DatabaseKind.Sqlite, "/tmp/m.db", "ignored", null).Original);
    }
}
