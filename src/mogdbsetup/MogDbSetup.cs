using System.Data.Common;
using System.Globalization;
using MogileFS.Store;
using MogileFS.Store.Schema;
using MogileFS.Hosting;
using Npgsql;

namespace MogileFS.Cli.mogdbsetup;

/// <summary>
/// mogdbsetup: creates or upgrades a MogileFS database (config.md §3, schema.md §1.1). Options
/// and flow are 2.73's: connect as the regular user; if that fails, connect as the
/// administrator, create the database and the user and give it the database, then connect
/// again as the user; then create the missing tables, run the upgrade steps and write schema
/// version 17. Everything is confirmed interactively unless --yes.
/// </summary>
public static class MogDbSetup
{
    private sealed class Failure(string message) : Exception(message);

    private static readonly GetoptLong Options = new(bundling: false,
        "dbhost=s", "dbport=s", "dbname=s", "dbrootuser=s", "dbrootpassword:s", "dbuser=s", "dbpassword:s",
        "help", "verbose", "yes", "noschemabump", "type=s", "plugins=s");

    public const string Usage = """
        Usage: mogdbsetup [options]

        Creates a MogileFS database (schema version 17) or upgrades an existing one.
        Existing data is kept.

          --type=TYPE          SQLite, Postgres or MySQL (default MySQL)
          --dbhost=HOST        database server host, or for Postgres a Unix-socket directory (default localhost)
          --dbport=PORT        database server port (default: the driver's)
          --dbname=NAME        database to create or upgrade (default mogilefs); for SQLite the file path
          --dbrootuser=USER    administrator account, used only when the database or user must be
                               created (default postgres for Postgres, root for MySQL)
          --dbrootpass=PASS    its password (also --dbrootpassword)
          --dbuser=USER        account the trackers use (default mogile)
          --dbpass=PASS        its password (also --dbpassword; default empty)
          --yes                do not ask before changing anything
          --verbose            print every SQL statement and what is being done
          --noschemabump       create/upgrade the tables but do not record version 17
          --plugins=NAMES      comma-separated plugins (none are available in this implementation)
          --help               this text
          --version            print the version and exit
        """;

    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var parsed = Options.Parse(args);
        if (!parsed.Success)
        {
            foreach (var w in parsed.Warnings) stderr.WriteLine(w);
            stderr.WriteLine(Usage);
            return 1;
        }
        if (parsed.Has("help"))
        {
            stdout.WriteLine(Usage);
            return 0;
        }

        bool verbose = parsed.Has("verbose"), yes = parsed.Has("yes");
        bool Confirm(string question, bool defaultYes)
        {
            if (yes) return true;
            stdout.Write($"\n{question} {(defaultYes ? "[Y/n]" : "[N/y]")}: ");
            stdout.Flush();
            string? answer = stdin.ReadLine();
            if (string.IsNullOrWhiteSpace(answer)) return defaultYes;
            return answer.TrimStart().StartsWith('y') || answer.TrimStart().StartsWith('Y');
        }
        void Status(string message)
        {
            if (verbose) stderr.WriteLine(message);
        }

        try
        {
            string type = parsed.Last("type") ?? "MySQL";
            var kind = type.ToLowerInvariant() switch
            {
                "sqlite" => DatabaseKind.Sqlite,
                "postgres" or "pg" or "postgresql" => DatabaseKind.Postgres,
                "mysql" => DatabaseKind.MySql,
                _ => throw new Failure($"Failed to load MogileFS::Store::{type}: unknown database type (use --type=SQLite, --type=Postgres or --type=MySQL)"),
            };
            string host = parsed.Last("dbhost") ?? "localhost";
            string? portText = parsed.Last("dbport");
            string dbname = parsed.Last("dbname") ?? "mogilefs";
            string rootUser = parsed.Last("dbrootuser") ?? (kind == DatabaseKind.MySql ? "root" : "postgres");
            string rootPass = parsed.Last("dbrootpassword") ?? "";
            string user = parsed.Last("dbuser") ?? "mogile";
            string pass = parsed.Last("dbpassword") ?? "";

            // 2.73's numeric-comparison quirk: see DatabaseDsn.MogDbSetupDefaultPort.
            portText ??= DatabaseDsn.MogDbSetupDefaultPort(kind, host)?.ToString(CultureInfo.InvariantCulture);
            int? port = null;
            if (!string.IsNullOrEmpty(portText))
            {
                if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535)
                    throw new Failure($"Invalid --dbport '{portText}': expected a port number");
                port = p;
            }

            foreach (var plugin in (parsed.Last("plugins") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                throw new Failure($"Failed to load plugin {plugin}: plugins are not supported by this implementation");

            if (!Confirm("This sets up a new MogileFS database or upgrades an existing one; existing data is kept.\n" +
                         "Run with --help for the options, or with --yes to skip these questions.\n\nContinue?", false))
                throw new Failure("Stopped.");

            var dsn = DatabaseDsn.ForHost(kind, dbname, host, port);
            await using var connection = await ConnectAsync(dsn, user, pass, rootUser, rootPass, dbname, Status, Confirm);

            var result = await SchemaInstaller.InstallAsync(connection, new SchemaInstallOptions
            {
                Verbose = verbose,
                NoSchemaBump = parsed.Has("noschemabump"),
                Log = Status,
                Confirm = q => Confirm(q, true),
            });
            if (parsed.Has("noschemabump") && !result.AlreadyUpToDate)
                stderr.WriteLine($"\n*\n* --noschemabump: the schema version was left at {result.PreviousVersion}, not set to {SchemaInstaller.CurrentVersion}.\n*");
            Status("Done.");
            return 0;
        }
        catch (Failure e)
        {
            stderr.WriteLine(e.Message);
            return 1;
        }
        catch (SchemaInstallAbortedException e)
        {
            stderr.WriteLine(e.Message);
            return 1;
        }
        catch (Exception e) when (e is DbException or DatabaseDsnException or DatabaseNotSupportedException or IOException)
        {
            stderr.WriteLine("Database setup failed: " + e.Message);
            return 1;
        }
    }

    private static async Task<DbConnection> ConnectAsync(DatabaseDsn dsn, string user, string pass, string rootUser,
        string rootPass, string dbname, Action<string> status, Func<string, bool, bool> confirm)
    {
        if (dsn.Kind == DatabaseKind.Sqlite)
        {
            var sqlite = dsn.CreateConnection(null, null);
            try { await sqlite.OpenAsync(); }
            catch (DbException e)
            {
                await sqlite.DisposeAsync();
                throw new Failure($"Failed to open SQLite database {dsn.Database}: {e.Message}");
            }
            return sqlite;
        }

        var first = await TryConnectAsync(dsn, user, pass);
        if (first.Connection != null) return first.Connection;

        status($"Could not connect to the database as {user} ({first.Error}); trying the administrator account {rootUser}.");
        if (dsn.Kind == DatabaseKind.MySql)
        {
            await SetUpMySqlAsync(dsn, user, pass, rootUser, rootPass, dbname, status, confirm);
            var retry = await TryConnectAsync(dsn, user, pass);
            return retry.Connection ?? throw new Failure(
                $"Failed to connect to database as regular user, even after creating it and setting up permissions as the root user: {retry.Error}");
        }
        var rootDsn = DatabaseDsn.ForHost(DatabaseKind.Postgres, "postgres", dsn.Host, dsn.Port);
        var root = await TryConnectAsync(rootDsn, rootUser, rootPass);
        if (root.Connection == null)
            throw new Failure($"Failed to connect to {rootDsn.Original} as specified root user ({rootUser}): {root.Error}");
        await using (var rootConnection = (NpgsqlConnection)root.Connection)
        {
            status("Connected to the database server as the administrator.");
            if (!confirm($"Create database '{dbname}' (if it does not exist)?", true)) throw new Failure("Aborted.");
            try
            {
                // Collation C (bytewise): list_keys' order, so the (dmid, dkey) index serves it (docs/growth.md).
                // From PostgreSQL 15 on, a cluster may default to ICU; LC_COLLATE needs the libc provider.
                string provider = rootConnection.PostgreSqlVersion.Major >= 15 ? " LOCALE_PROVIDER libc" : "";
                await ExecAsync(rootConnection, $"CREATE DATABASE {Ident(dbname)} TEMPLATE template0 ENCODING 'UTF-8'{provider} LC_COLLATE 'C'", status);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                status($"Database '{dbname}' already exists.");
            }
            catch (PostgresException e)
            {
                throw new Failure($"Failed to create database '{dbname}': {e.MessageText}");
            }
            if (!confirm($"Create user '{user}' (if it does not exist) and make it the owner of database '{dbname}'?", true))
                throw new Failure("Aborted.");
            try
            {
                await ExecAsync(rootConnection, $"CREATE ROLE {Ident(user)} LOGIN PASSWORD {Literal(pass)}", status);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateObject)
            {
                status($"User '{user}' already exists.");
            }
            catch (PostgresException e)
            {
                throw new Failure($"Failed to create user '{user}': {e.MessageText}");
            }
            try
            {
                await ExecAsync(rootConnection, $"ALTER DATABASE {Ident(dbname)} OWNER TO {Ident(user)}", status);
            }
            catch (PostgresException e)
            {
                throw new Failure($"Failed to grant privileges: {e.MessageText}");
            }
        }

        var again = await TryConnectAsync(dsn, user, pass);
        return again.Connection ?? throw new Failure(
            $"Failed to connect to the database as {user} even after creating it and setting it up as the administrator: {again.Error}");
    }

    // 2.73 on MySQL: connect as root to database "mysql", CREATE DATABASE IF NOT EXISTS, then grant
    // everything on it to the user from anywhere ('%') and from localhost, with the password.
    private static async Task SetUpMySqlAsync(DatabaseDsn dsn, string user, string pass, string rootUser, string rootPass,
        string dbname, Action<string> status, Func<string, bool, bool> confirm)
    {
        var rootDsn = DatabaseDsn.ForHost(DatabaseKind.MySql, "mysql", dsn.Host, dsn.Port);
        var root = await TryConnectAsync(rootDsn, rootUser, rootPass);
        if (root.Connection == null)
            throw new Failure($"Failed to connect to {rootDsn.Original} as specified root user ({rootUser}): {root.Error}");
        await using var c = (MySqlConnector.MySqlConnection)root.Connection;
        status("connected to database as root user.");
        if (!confirm($"Create/Upgrade database name '{dbname}'?", true)) throw new Failure("Aborted.");
        try
        {
            await MyExecAsync(c, $"CREATE DATABASE IF NOT EXISTS {MyIdent(dbname)}", status);
        }
        catch (MySqlConnector.MySqlException e)
        {
            throw new Failure($"Failed to create database '{dbname}': {e.Message}");
        }
        if (!confirm($"Grant all privileges to user '{user}', connecting from anywhere, to the mogilefs database '{dbname}'?", true))
            throw new Failure("Aborted.");
        try
        {
            foreach (var host in (string[])["%", "localhost"])
            {
                // CREATE USER first: MySQL 8 no longer creates users in GRANT; MariaDB accepts both.
                await MyExecAsync(c, $"CREATE USER IF NOT EXISTS {MyLiteral(user)}@{MyLiteral(host)} IDENTIFIED BY {MyLiteral(pass)}", status);
                await MyExecAsync(c, $"ALTER USER {MyLiteral(user)}@{MyLiteral(host)} IDENTIFIED BY {MyLiteral(pass)}", status);
                await MyExecAsync(c, $"GRANT ALL PRIVILEGES ON {MyIdent(dbname)}.* TO {MyLiteral(user)}@{MyLiteral(host)}", status);
            }
        }
        catch (MySqlConnector.MySqlException e)
        {
            throw new Failure($"Failed to grant privileges: {e.Message}");
        }
    }

    private static async Task MyExecAsync(MySqlConnector.MySqlConnection c, string sql, Action<string> status)
    {
        status($"Running SQL: {(sql.Contains("IDENTIFIED BY", StringComparison.Ordinal) ? sql[..sql.IndexOf("IDENTIFIED BY", StringComparison.Ordinal)] + "IDENTIFIED BY ..." : sql)};");
        await using var cmd = new MySqlConnector.MySqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    private static string MyIdent(string name) => "`" + name.Replace("`", "``") + "`";

    private static string MyLiteral(string value) => "'" + value.Replace("\\", "\\\\").Replace("'", "''") + "'";

    private static async Task<(DbConnection? Connection, string? Error)> TryConnectAsync(DatabaseDsn dsn, string user, string pass)
    {
        var c = dsn.CreateConnection(user, pass);
        try
        {
            await c.OpenAsync();
            return (c, null);
        }
        catch (Exception e) when (e is DbException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await c.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            MySqlConnector.MySqlConnection.ClearAllPools();
            return (null, e is PostgresException pe ? pe.MessageText : e.Message);
        }
    }

    private static async Task ExecAsync(NpgsqlConnection c, string sql, Action<string> status)
    {
        status($"Running SQL: {(sql.Contains("PASSWORD", StringComparison.Ordinal) ? sql[..sql.IndexOf("PASSWORD", StringComparison.Ordinal)] + "PASSWORD ..." : sql)};");
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    // Names are quoted so they are used exactly as given (2.73 lets Postgres fold them to lower
    // case, which breaks mixed-case names on the next connect).
    private static string Ident(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    private static string Literal(string value) => "'" + value.Replace("'", "''") + "'";
}
