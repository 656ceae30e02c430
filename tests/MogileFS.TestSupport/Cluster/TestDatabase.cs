using System.Data.Common;
using MogileFS.Store;
using MogileFS.Store.Schema;

namespace MogileFS.TestSupport.Cluster;

/// <summary>
/// A fresh MogileFS database for one test, of the kind asked for, with the schema installed
/// (<see cref="SchemaInstaller"/>): a SQLite file in a directory of the test, or a new database on
/// a private PostgreSQL server (the process-wide shared one unless the test brings its own) or on
/// the process-wide private MariaDB server.
/// This is the only place that knows how to make a test database of each kind: a new kind is one
/// more case in <see cref="CreateAsync"/> (and its drop in <see cref="DisposeAsync"/>).
/// Dispose drops the server database; SQLite files go with the test's directory.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly Func<Task>? _drop;

    private TestDatabase(DatabaseKind kind, string dsn, string? user, string? password, PostgresServer? postgres, Func<Task>? drop)
    {
        Kind = kind;
        Dsn = dsn;
        User = user;
        Password = password;
        Postgres = postgres;
        _drop = drop;
    }

    public DatabaseKind Kind { get; }

    /// <summary>The DBI DSN, as a tracker's <c>db_dsn</c> takes it.</summary>
    public string Dsn { get; }
    public string? User { get; }
    public string? Password { get; }

    /// <summary>The PostgreSQL server the database lives on (null for other kinds).</summary>
    public PostgresServer? Postgres { get; }

    /// <param name="kind">Which database.</param>
    /// <param name="directory">Where a SQLite file goes.</param>
    /// <param name="postgres">PostgreSQL server to use; null = <see cref="PostgresServer.GetSharedAsync"/>.
    /// Outage tests pass their own, because they stop it.</param>
    /// <param name="installSchema">False for tests that run mogdbsetup themselves.</param>
    public static async Task<TestDatabase> CreateAsync(DatabaseKind kind, string directory, PostgresServer? postgres = null, bool installSchema = true)
    {
        TestDatabase db;
        switch (kind)
        {
            case DatabaseKind.Sqlite:
                db = new TestDatabase(kind, "DBI:SQLite:dbname=" + Path.Combine(directory, "mogilefs.sqlite"), null, null, null, null);
                break;
            case DatabaseKind.Postgres:
            {
                var server = postgres ?? await PostgresServer.GetSharedAsync().ConfigureAwait(false);
                string dsn = await server.CreateDatabaseAsync().ConfigureAwait(false);
                string name = DatabaseDsn.Parse(dsn).Database ?? throw new InvalidOperationException("no database name in " + dsn);
                db = new TestDatabase(kind, dsn, PostgresServer.User, PostgresServer.Password, server, async () =>
                {
                    if (server.IsRunning) await server.DropDatabaseAsync(name).ConfigureAwait(false);
                });
                break;
            }
            case DatabaseKind.MySql:
            {
                var server = await MariaDbServer.GetSharedAsync().ConfigureAwait(false);
                string dsn = await server.CreateDatabaseAsync().ConfigureAwait(false);
                string name = DatabaseDsn.Parse(dsn).Database ?? throw new InvalidOperationException("no database name in " + dsn);
                db = new TestDatabase(kind, dsn, MariaDbServer.User, MariaDbServer.Password, null, async () =>
                {
                    if (server.IsRunning) await server.DropDatabaseAsync(name).ConfigureAwait(false);
                });
                break;
            }
            default:
                throw new NotSupportedException($"no test database of kind {kind}");
        }
        if (installSchema)
        {
            try
            {
                await SchemaInstaller.InstallAsync(DatabaseDsn.Parse(db.Dsn), db.User, db.Password).ConfigureAwait(false);
            }
            catch
            {
                await db.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        return db;
    }

    /// <summary>A new open connection (for checks and fault set-up).</summary>
    public async Task<DbConnection> OpenAsync()
    {
        var connection = DatabaseDsn.Parse(Dsn).CreateConnection(User, Password);
        await connection.OpenAsync().ConfigureAwait(false);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (Kind == DatabaseKind.Sqlite) Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_drop != null)
        {
            try { await _drop().ConfigureAwait(false); } catch (Exception) { /* server gone */ }
        }
    }
}
