using MogileFS.Store.Schema;
using MogileFS.TestSupport;
using Npgsql;

namespace MogileFS.Store.Tests;

/// <summary>The fixture itself: a private cluster, databases, an outage and a restart on the same port.</summary>
public sealed class PostgresServerTests
{
    [PostgresFact]
    public async Task Own_cluster_survives_stop_and_start_again_on_the_same_port()
    {
        await using var pg = await PostgresServer.StartAsync();
        Assert.True(pg.Port > 0);
        var dsn = DatabaseDsn.Parse(await pg.CreateDatabaseAsync());
        Assert.Equal($"DBI:Pg:dbname={dsn.Database};host=127.0.0.1;port={pg.Port}", dsn.Original);
        await SchemaInstaller.InstallAsync(dsn, PostgresServer.User, PostgresServer.Password);

        int port = pg.Port;
        await pg.StopAsync();
        Assert.False(pg.IsRunning);
        await Assert.ThrowsAnyAsync<Exception>(() => SchemaInstaller.EnsureCompatibleAsync(dsn, PostgresServer.User, PostgresServer.Password));

        await pg.StartAgainAsync();
        Assert.Equal(port, pg.Port);
        NpgsqlConnection.ClearAllPools();
        await SchemaInstaller.EnsureCompatibleAsync(dsn, PostgresServer.User, PostgresServer.Password);
    }

    [PostgresFact]
    public async Task Databases_are_separate_and_owned_by_the_mogile_role()
    {
        var pg = await PostgresServer.GetSharedAsync();
        var a = DatabaseDsn.Parse(await pg.CreateDatabaseAsync());
        var b = DatabaseDsn.Parse(await pg.CreateDatabaseAsync());
        Assert.NotEqual(a.Database, b.Database);
        await SchemaInstaller.InstallAsync(a, PostgresServer.User, PostgresServer.Password);
        await using var c = (NpgsqlConnection)b.CreateConnection(PostgresServer.User, PostgresServer.Password);
        await c.OpenAsync();
        Assert.Equal(0, await SchemaInstaller.ReadVersionAsync(c));
        await using var cmd = new NpgsqlCommand("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()", c);
        Assert.Equal(PostgresServer.User, await cmd.ExecuteScalarAsync());
        // The socket directory works as a DBI host too.
        var viaSocket = DatabaseDsn.Parse($"DBI:Pg:dbname={a.Database};host={pg.SocketDirectory};port={pg.Port}");
        await SchemaInstaller.EnsureCompatibleAsync(viaSocket, PostgresServer.User, PostgresServer.Password);
    }
}
