using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace MogileFS.Store;

/// <summary>The database backends a MogileFS DSN can name.</summary>
public enum DatabaseKind { Sqlite, Postgres, MySql }

/// <summary>A DSN that is malformed or names a database we cannot use. The message is the
/// one MogileFS 2.73 prints where it has one (<c>Unknown database type: …</c>).</summary>
public sealed class DatabaseDsnException : Exception
{
    public DatabaseDsnException(string message) : base(message) { }
}

/// <summary>The DSN names a backend that exists in MogileFS 2.73 but not (yet) here.</summary>
public sealed class DatabaseNotSupportedException : NotSupportedException
{
    public DatabaseNotSupportedException(string message) : base(message) { }
}

/// <summary>
/// A Perl DBI data source name as MogileFS 2.73 accepts it in <c>db_dsn</c> / <c>--dsn</c>
/// (config.md §1.4): the backend is picked by a case-insensitive prefix
/// (<c>DBI:SQLite:</c>, <c>DBI:Pg:</c>, <c>DBI:mysql:</c>), the rest is the driver's own
/// syntax, which we parse the way DBD::SQLite, DBD::Pg and DBD::mysql do.
/// </summary>
public sealed class DatabaseDsn
{
    /// <summary>Connect timeout in seconds: the same as 2.73's DBI connect timeout.</summary>
    public const int ConnectTimeoutSeconds = 10;

    private readonly Dictionary<string, string> _parameters;

    private DatabaseDsn(DatabaseKind kind, string original, string? database, string? host, int? port,
        Dictionary<string, string> parameters, IReadOnlyList<DatabaseHost>? hosts = null)
    {
        Kind = kind;
        Original = original;
        Database = database;
        Host = host;
        Port = port;
        _parameters = parameters;
        Hosts = hosts ?? [];
    }

    /// <summary>Pg: the hosts of a multi-host DSN (<c>host=a,b,c</c>), in order, each with its own port
    /// when one was given (<c>host=a:5433,b:5434</c> or <c>port=5433,5434</c>); empty for a single host.</summary>
    public IReadOnlyList<DatabaseHost> Hosts { get; }

    /// <summary>Pg: more than one host: the store follows the primary among them (docs/ha-database.md).</summary>
    public bool IsMultiHost => Hosts.Count > 1;

    public DatabaseKind Kind { get; }

    /// <summary>The DSN exactly as given.</summary>
    public string Original { get; }

    /// <summary>SQLite: the database file path (or <c>:memory:</c>). Pg/MySQL: the database name, when given.</summary>
    public string? Database { get; }

    /// <summary>Pg/MySQL: the host (Pg: may be a Unix-socket directory), when given.</summary>
    public string? Host { get; }

    public int? Port { get; }

    /// <summary>Every key=value element of the DSN, keys lower-cased (aliases not folded); MySQL: keys as written (DBD::mysql is case-sensitive), host/hostname folded to <c>host</c>, db/dbname to <c>database</c>, bare elements as <c>database</c>, <c>host</c>, <c>port</c>.</summary>
    public IReadOnlyDictionary<string, string> Parameters => _parameters;

    public override string ToString() => Original;

    public static bool TryParse(string? dsn, out DatabaseDsn? result)
    {
        try { result = Parse(dsn!); return true; }
        catch (DatabaseDsnException) { result = null; return false; }
    }

    public static DatabaseDsn Parse(string dsn)
    {
        ArgumentNullException.ThrowIfNull(dsn);
        if (StartsWith(dsn, "DBI:mysql:", out var rest))
            return ParseMySql(dsn, rest);
        if (StartsWith(dsn, "DBI:SQLite:", out rest))
            return ParseSqlite(dsn, rest);
        if (StartsWith(dsn, "DBI:Pg:", out rest))
            return ParsePg(dsn, rest);
        if (StartsWith(dsn, "DBI:Oracle:", out _))
            throw new DatabaseDsnException(
                "Error loading MogileFS::Store::Oracle: Oracle databases are not supported (DSN " + dsn + ")");
        throw new DatabaseDsnException("Unknown database type: " + dsn);
    }

    private static bool StartsWith(string dsn, string prefix, out string rest)
    {
        if (dsn.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            rest = dsn[prefix.Length..];
            return true;
        }
        rest = "";
        return false;
    }

    // DBD::SQLite: "dbname=FILE" (or db=/database=), optionally followed by ";attr=value";
    // anything else is the file name itself.
    private static DatabaseDsn ParseSqlite(string original, string rest)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        string file = rest;
        int eq = rest.IndexOf('=');
        if (eq > 0)
        {
            string key = rest[..eq].Trim().ToLowerInvariant();
            if (key is "dbname" or "db" or "database")
            {
                string value = rest[(eq + 1)..];
                int semi = value.IndexOf(';');
                if (semi >= 0)
                {
                    foreach (var (k, v) in SplitPairs(value[(semi + 1)..], ';'))
                        parameters[k] = v;
                    value = value[..semi];
                }
                file = value;
                parameters[key] = value;
            }
        }
        if (file.Length == 0)
            throw new DatabaseDsnException("SQLite DSN names no database file: " + original);
        return new DatabaseDsn(DatabaseKind.Sqlite, original, file, null, null, parameters);
    }

    // DBD::Pg: ';'-separated libpq keywords; database/db are aliases of dbname.
    private static DatabaseDsn ParsePg(string original, string rest)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in SplitPairs(rest, ';'))
        {
            if (k.Length == 0)
                throw new DatabaseDsnException("Malformed PostgreSQL DSN element in " + original);
            parameters[k] = v;
        }
        string? db = Get(parameters, "dbname") ?? Get(parameters, "database") ?? Get(parameters, "db");
        string? host = Get(parameters, "host") ?? Get(parameters, "hostaddr");
        string? portText = Get(parameters, "port");
        if (host != null && host.Contains(','))
        {
            var hosts = ParsePgHosts(host, portText, original);
            int? common = portText != null && !portText.Contains(',') ? ParsePort(portText, original) : null;
            if (Get(parameters, "target_session_attrs") is { } tsa) ParseTargetSessionAttributes(tsa, original);
            return new DatabaseDsn(DatabaseKind.Postgres, original, db, host, common, parameters, hosts);
        }
        if (portText != null && portText.Contains(','))
            throw new DatabaseDsnException($"A list of ports needs a list of hosts of the same length in DSN {original}");
        int? port = ParsePort(portText, original);
        return new DatabaseDsn(DatabaseKind.Postgres, original, db, host, port, parameters);
    }

    // libpq's multi-host form: host=a,b,c with one port for all or a list of the same length
    // (port=p1,p2,p3); our addition: a port per host written host:port ([v6]:port for IPv6).
    private static List<DatabaseHost> ParsePgHosts(string hostList, string? portText, string original)
    {
        var names = hostList.Split(',', StringSplitOptions.TrimEntries);
        string[]? ports = portText?.Split(',', StringSplitOptions.TrimEntries);
        if (ports is { Length: > 1 } && ports.Length != names.Length)
            throw new DatabaseDsnException($"DSN {original} lists {names.Length} hosts but {ports.Length} ports");
        var result = new List<DatabaseHost>(names.Length);
        for (int i = 0; i < names.Length; i++)
        {
            string name = names[i];
            int? port = null;
            if (name.StartsWith('['))
            {
                int close = name.IndexOf(']');
                if (close < 0) throw new DatabaseDsnException($"Unclosed '[' in host '{name}' of DSN {original}");
                string after = name[(close + 1)..];
                if (after.StartsWith(':')) port = ParsePort(after[1..], original);
                else if (after.Length > 0) throw new DatabaseDsnException($"Malformed host '{name}' in DSN {original}");
                name = name[1..close];
            }
            else if (name.IndexOf(':') is int colon and >= 0 && name.IndexOf(':', colon + 1) < 0)
            {
                port = ParsePort(name[(colon + 1)..], original);
                name = name[..colon];
            }
            if (name.Length == 0) throw new DatabaseDsnException($"Empty host in the host list of DSN {original}");
            if (port is null && ports != null)
                port = ParsePort(ports.Length == 1 ? ports[0] : ports[i], original);
            result.Add(new DatabaseHost(name, port));
        }
        return result;
    }

    /// <summary>libpq's <c>target_session_attrs</c> (any, read-write, read-only, primary, standby,
    /// prefer-standby; Npgsql also knows prefer-primary) as Npgsql's enum.</summary>
    private static TargetSessionAttributes ParseTargetSessionAttributes(string text, string original) =>
        Enum.TryParse<TargetSessionAttributes>(text.Replace("-", "", StringComparison.Ordinal), true, out var v)
        && !int.TryParse(text, out _)
            ? v
            : throw new DatabaseDsnException($"Invalid target_session_attrs '{text}' in DSN {original} (any, read-write, read-only, primary, standby, prefer-standby)");

    /// <summary>Pg, multi-host: which server a connection must reach (<c>target_session_attrs</c>, default primary).</summary>
    public TargetSessionAttributes TargetSessionAttributes =>
        Get(_parameters, "target_session_attrs") is { } tsa ? ParseTargetSessionAttributes(tsa, Original) : TargetSessionAttributes.Primary;

    // DBD::mysql (its _OdbcParse): elements separated by ';' or ':' (an element may hold a bracketed
    // IPv6 address, brackets dropped); key=value with keys as written (case-sensitive), host/hostname
    // → host, db/dbname → database, later elements win; a bare element fills the first of database,
    // host, port that is still unset.
    private static DatabaseDsn ParseMySql(string original, string rest)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        string dsn = rest;
        while (dsn.Length > 0)
        {
            string val;
            var m = System.Text.RegularExpressions.Regex.Match(dsn, @"^([^:;]*\[.*\]|[^:;]*)[:;](.*)$", System.Text.RegularExpressions.RegexOptions.Singleline);
            if (m.Success)
            {
                val = m.Groups[1].Value.Replace("[", "").Replace("]", "");
                dsn = m.Groups[2].Value;
            }
            else
            {
                val = dsn;
                dsn = "";
            }
            int eq = val.IndexOf('=');
            if (eq >= 0)
            {
                string key = val[..eq];
                string value = val[(eq + 1)..];
                parameters[key switch { "hostname" or "host" => "host", "db" or "dbname" => "database", _ => key }] = value;
            }
            else
            {
                foreach (var slot in (string[])["database", "host", "port"])
                {
                    if (parameters.ContainsKey(slot)) continue;
                    parameters[slot] = val;
                    break;
                }
            }
        }
        string? db = Get(parameters, "database");
        string? host = Get(parameters, "host");
        return new DatabaseDsn(DatabaseKind.MySql, original, db, host, ParsePort(Get(parameters, "port"), original), parameters);
    }

    private static int? ParsePort(string? text, string original)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (!int.TryParse(text, System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new DatabaseDsnException($"Invalid port '{text}' in DSN {original}");
        return port;
    }

    private static string? Get(Dictionary<string, string> p, string key) =>
        p.TryGetValue(key, out var v) && v.Length > 0 ? v : null;

    private static IEnumerable<(string Key, string Value)> SplitPairs(string text, char separator)
    {
        foreach (var element in text.Split(separator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (element.Trim().Length == 0) continue;
            int eq = element.IndexOf('=');
            if (eq < 0) yield return ("", element);
            else yield return (element[..eq].Trim().ToLowerInvariant(), element[(eq + 1)..].Trim());
        }
    }

    /// <summary>Throws <see cref="DatabaseNotSupportedException"/> for a backend we cannot use (none today:
    /// SQLite, PostgreSQL and MySQL/MariaDB are all served).</summary>
    public void EnsureSupported()
    {
    }

    /// <summary>
    /// The ADO.NET connection string. SQLite: the file, created if missing (as DBD::SQLite does),
    /// pooled, with a 30 s busy/command timeout (2.73 uses 5 s; a longer wait never hurts a
    /// caller and avoids spurious "database is locked" under load). User and password are
    /// ignored for SQLite. Pg: host (or socket directory), port, database, user, password and
    /// the 10 s connect timeout of 2.73; libpq keywords we know are passed on.
    /// </summary>
    public string ToConnectionString(string? user, string? password)
    {
        switch (Kind)
        {
            case DatabaseKind.Sqlite:
                return new SqliteConnectionStringBuilder
                {
                    DataSource = Database,
                    Mode = SqliteOpenMode.ReadWriteCreate,
                    Pooling = true,
                    DefaultTimeout = 30,
                }.ToString();
            case DatabaseKind.Postgres:
                return BuildNpgsql(user, password).ToString();
            default:
                return BuildMySql(user, password).ConnectionString;
        }
    }

    /// <summary>
    /// MySQL as DBD::mysql (libmariadb) connects: no host, or <c>localhost</c>, means the Unix socket
    /// (<c>mysql_socket=</c>, else <c>$MYSQL_UNIX_PORT</c>, else /run/mysqld/mysqld.sock) and the port is
    /// ignored; any other host is TCP on <c>port=</c>, else <c>$MYSQL_TCP_PORT</c>, else 3306. The user is
    /// db_user, else <c>user=</c> in the DSN, else <c>$USER</c>; <c>mysql_connect_timeout=</c> replaces the
    /// 10 s connect timeout; <c>mysql_ssl=1</c> asks for TLS (without it, none, as DBD::mysql).
    /// </summary>
    private MySqlConnector.MySqlConnectionStringBuilder BuildMySql(string? user, string? password)
    {
        var b = new MySqlConnector.MySqlConnectionStringBuilder();
        if (Host is null or "localhost")
        {
            b.Server = Get(_parameters, "mysql_socket") ?? Environment.GetEnvironmentVariable("MYSQL_UNIX_PORT") ?? "/run/mysqld/mysqld.sock";
            b.ConnectionProtocol = MySqlConnector.MySqlConnectionProtocol.UnixSocket;
        }
        else
        {
            b.Server = Host;
            b.Port = (uint)(Port ?? (int.TryParse(Environment.GetEnvironmentVariable("MYSQL_TCP_PORT"), out int envPort) ? envPort : 3306));
        }
        b.UserID = !string.IsNullOrEmpty(user) ? user : Get(_parameters, "user") ?? Environment.UserName;
        string? effectivePassword = !string.IsNullOrEmpty(password) ? password : Get(_parameters, "password");
        if (effectivePassword != null) b.Password = effectivePassword;
        if (Database != null) b.Database = Database;
        b.ConnectionTimeout = ConnectTimeoutSeconds;
        if (Get(_parameters, "mysql_connect_timeout") is { } ct && uint.TryParse(ct, out uint seconds) && seconds > 0)
            b.ConnectionTimeout = seconds;
        b.SslMode = Get(_parameters, "mysql_ssl") is "1" ? MySqlConnector.MySqlSslMode.Required : MySqlConnector.MySqlSslMode.None;
        b.AllowPublicKeyRetrieval = true;
        b.Pooling = false; // a closed connection ends its server session (and its GET_LOCKs); the store pools sessions itself
        return b;
    }

    private NpgsqlConnectionStringBuilder BuildNpgsql(string? user, string? password)
    {
        var b = new NpgsqlConnectionStringBuilder();
        b.Host = Host ?? Environment.GetEnvironmentVariable("PGHOST")
            ?? (Directory.Exists("/var/run/postgresql") ? "/var/run/postgresql" : "localhost");
        b.Port = Port ?? (int.TryParse(Environment.GetEnvironmentVariable("PGPORT"), out int envPort) ? envPort : 5432);
        if (IsMultiHost)
        {
            // Npgsql's multi-host form: every host with its port, tried in order; only a server that
            // matches target_session_attrs (default: the primary) is used.
            b.Host = string.Join(',', Hosts.Select(h =>
                (h.Name.Contains(':') ? "[" + h.Name + "]" : h.Name) + ":" + (h.Port ?? b.Port).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            b.TargetSessionAttributes = TargetSessionAttributes switch
            {
                TargetSessionAttributes.Any => "any",
                TargetSessionAttributes.ReadWrite => "read-write",
                TargetSessionAttributes.ReadOnly => "read-only",
                TargetSessionAttributes.Primary => "primary",
                TargetSessionAttributes.Standby => "standby",
                TargetSessionAttributes.PreferPrimary => "prefer-primary",
                _ => "prefer-standby",
            };
            // The state Npgsql remembers per host (primary, standby, offline) is re-checked this often;
            // the store also forgets it whenever it sees a failover (PostgresMetadataStore).
            b.HostRecheckSeconds = 2;
            if (Get(_parameters, "load_balance_hosts") is { } lb)
                b.LoadBalanceHosts = lb.Equals("random", StringComparison.OrdinalIgnoreCase);
        }
        // An explicit user/password (db_user/db_pass) wins over user=/password= in the DSN, as with DBD::Pg.
        string? effectiveUser = !string.IsNullOrEmpty(user) ? user : Get(_parameters, "user")
            ?? Environment.GetEnvironmentVariable("PGUSER") ?? Environment.UserName;
        b.Username = effectiveUser;
        string? effectivePassword = !string.IsNullOrEmpty(password) ? password : Get(_parameters, "password");
        if (effectivePassword != null) b.Password = effectivePassword;
        b.Database = Database ?? Environment.GetEnvironmentVariable("PGDATABASE") ?? effectiveUser;
        b.Timeout = ConnectTimeoutSeconds;
        if (Get(_parameters, "connect_timeout") is { } ct && int.TryParse(ct, out int seconds) && seconds > 0)
            b.Timeout = seconds;
        if (Get(_parameters, "sslmode") is { } sslmode && Enum.TryParse<SslMode>(sslmode.Replace("-", ""), true, out var mode))
            b.SslMode = mode;
        if (Get(_parameters, "options") is { } options) b.Options = options;
        b.ApplicationName = Get(_parameters, "application_name") ?? "mogilefs";
        return b;
    }

    /// <summary>A new, closed connection for this DSN (SqliteConnection, NpgsqlConnection or MySqlConnection).</summary>
    public DbConnection CreateConnection(string? user, string? password)
    {
        return Kind switch
        {
            DatabaseKind.Sqlite => new SqliteConnection(ToConnectionString(user, password)),
            DatabaseKind.Postgres => new NpgsqlConnection(ToConnectionString(user, password)),
            _ => new MySqlConnector.MySqlConnection(ToConnectionString(user, password)),
        };
    }

    /// <summary>
    /// The port mogdbsetup fills in when --dbport is not given. 2.73 compares the host string
    /// *numerically* with "localhost" and "127.0.0.1" (both then count as 0 and 127), so only a
    /// host whose leading number is neither 0 nor 127 — in practice a dotted IP outside 127/8 —
    /// gets 3306 (MySQL) / 5432 (Postgres); every other host leaves the driver default.
    /// </summary>
    public static int? MogDbSetupDefaultPort(DatabaseKind kind, string host)
    {
        var m = System.Text.RegularExpressions.Regex.Match(host, @"^[ \t\n\x0B\f\r]*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)");
        double n = m.Success ? double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        if (n == 0 || n == 127) return null;
        return kind switch { DatabaseKind.MySql => 3306, DatabaseKind.Postgres => 5432, _ => null };
    }

    /// <summary>Builds the DSN mogdbsetup and the tracker use for a database on a host
    /// (<c>DBI:Pg:dbname=&lt;db&gt;;host=&lt;h&gt;[;port=&lt;p&gt;]</c>, <c>DBI:SQLite:&lt;db&gt;</c>, …).</summary>
    public static DatabaseDsn ForHost(DatabaseKind kind, string database, string? host, int? port) => kind switch
    {
        DatabaseKind.Sqlite => Parse("DBI:SQLite:" + database),
        DatabaseKind.Postgres => Parse($"DBI:Pg:dbname={database};host={host ?? "localhost"}" + (port is { } p ? $";port={p}" : "")),
        _ => Parse($"DBI:mysql:{database};host={host ?? "localhost"}" + (port is { } q ? $";port={q}" : "")), // 2.73 dsn_of_dbhost
    };
}

/// <summary>One host of a multi-host PostgreSQL DSN; <see cref="Port"/> null means the DSN's port (or the default).</summary>
public readonly record struct DatabaseHost(string Name, int? Port);
