using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using MySqlConnector;

namespace MogileFS.TestSupport;

/// <summary>
/// A private MariaDB (or MySQL) server for tests, beside <see cref="PostgresServer"/>:
/// <c>mariadb-install-db</c> into a temp directory, <c>mariadbd --no-defaults</c> on 127.0.0.1 with an
/// OS-chosen free port and its own socket, stopped (SIGTERM) when disposed or when the test process
/// ends (a small watchdog shell loop outside the process). As root the server runs with
/// <c>--user=root</c>. Root logs in without a password; <see cref="User"/> may create databases.
/// Tests that need it use <see cref="MariaDbFactAttribute"/>: skipped only when the binaries are absent.
/// </summary>
public sealed class MariaDbServer : IAsyncDisposable
{
    public const string User = "mogile";
    public const string Password = "mogile";

    private static readonly Lazy<Task<MariaDbServer>> Shared = new(() => StartAsync());
    private static readonly object LiveLock = new();
    private static readonly HashSet<MariaDbServer> Live = new();
    private static int _exitHookInstalled;

    private readonly string _root;
    private readonly string _server;
    private Process? _process;
    private Process? _watchdog;
    private int _dbCounter;
    private bool _disposed;

    private MariaDbServer(string root, string server)
    {
        _root = root;
        _server = server;
    }

    public string Host => "127.0.0.1";
    public int Port { get; private set; }
    public string Socket => Path.Combine(_root, "mysqld.sock");
    public string LogFile => Path.Combine(_root, "mariadb.log");
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Why MariaDB tests are skipped here, or null when the binaries exist.</summary>
    public static string? SkipReason => FindServer() is null || FindInstallDb() is null
        ? "MariaDB/MySQL server binaries (mariadbd, mariadb-install-db) not found: apt-get install mariadb-server"
        : null;

    /// <summary>One server shared by the whole test process.</summary>
    public static Task<MariaDbServer> GetSharedAsync() => Shared.Value;

    public static async Task<MariaDbServer> StartAsync(CancellationToken ct = default)
    {
        string server = FindServer() ?? throw new InvalidOperationException(SkipReason);
        string installDb = FindInstallDb() ?? throw new InvalidOperationException(SkipReason);
        string root = Directory.CreateTempSubdirectory("mogfs-mariadb-").FullName;
        var s = new MariaDbServer(root, server);
        InstallExitHook();
        lock (LiveLock) Live.Add(s);
        try
        {
            var userArgs = IsRoot() ? new[] { "--user=root" } : [];
            var r = await RunAsync(installDb, ["--no-defaults", .. userArgs, $"--datadir={Path.Combine(root, "data")}",
                "--auth-root-authentication-method=normal", "--skip-test-db",
                // Its own temp dir, as the server's: the bootstrap's temporary tables in the shared /tmp
                // once vanished under a full parallel test run ("Error on delete of '/tmp/#sql-temptable-...MAI'").
                $"--tmpdir={root}"], ct).ConfigureAwait(false);
            if (r.ExitCode != 0) throw new InvalidOperationException($"mariadb-install-db failed (exit {r.ExitCode}):\n{r.Output}");
            for (int attempt = 0; ; attempt++)
            {
                s.Port = FreePort();
                if (await s.TryStartAsync(userArgs, ct).ConfigureAwait(false)) break;
                if (attempt >= 4) throw new InvalidOperationException("mariadbd did not start:\n" + s.LogTail());
            }
            s.StartWatchdog();
            await s.AdminAsync($"CREATE USER '{User}'@'%' IDENTIFIED BY '{Password}'", ct).ConfigureAwait(false);
            await s.AdminAsync($"CREATE USER '{User}'@'localhost' IDENTIFIED BY '{Password}'", ct).ConfigureAwait(false);
            await s.AdminAsync($"GRANT ALL PRIVILEGES ON *.* TO '{User}'@'%' WITH GRANT OPTION", ct).ConfigureAwait(false);
            await s.AdminAsync($"GRANT ALL PRIVILEGES ON *.* TO '{User}'@'localhost' WITH GRANT OPTION", ct).ConfigureAwait(false);
            return s;
        }
        catch
        {
            await s.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<bool> TryStartAsync(string[] userArgs, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(_server) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["--no-defaults", .. userArgs, $"--datadir={Path.Combine(_root, "data")}", $"--socket={Socket}",
                     $"--port={Port}", "--bind-address=127.0.0.1", $"--pid-file={Path.Combine(_root, "mariadbd.pid")}",
                     $"--log-error={LogFile}", "--skip-name-resolve", "--max-connections=1000",
                     "--innodb-flush-log-at-trx-commit=2", "--innodb-buffer-pool-size=64M", $"--tmpdir={_root}"])
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + _server);
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) return false;
            try
            {
                await using var c = new MySqlConnection(AdminConnectionString());
                await c.OpenAsync(ct).ConfigureAwait(false);
                return true;
            }
            catch (MySqlException) { await Task.Delay(200, ct).ConfigureAwait(false); }
        }
        try { _process.Kill(); } catch (InvalidOperationException) { }
        return false;
    }

    /// <summary>Root, over TCP, no database selected.</summary>
    public string AdminConnectionString(string? database = null) => new MySqlConnectionStringBuilder
    {
        Server = Host, Port = (uint)Port, UserID = "root", Database = database ?? "", Pooling = false,
        SslMode = MySqlSslMode.None, ConnectionTimeout = 10,
    }.ConnectionString;

    /// <summary>Creates a fresh empty database (server defaults, as 2.73's mogdbsetup makes it) and
    /// returns its DBI DSN (<c>DBI:mysql:database=…;host=127.0.0.1;port=…</c>).</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= $"mogtest_{Environment.ProcessId}_{Interlocked.Increment(ref _dbCounter)}_{Guid.NewGuid().ToString("N")[..6]}";
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z_][a-z0-9_]*$"))
            throw new ArgumentException("database name must be a lower-case SQL identifier", nameof(name));
        await AdminAsync($"CREATE DATABASE {name}").ConfigureAwait(false);
        return DsnFor(name);
    }

    public string DsnFor(string database) => $"DBI:mysql:database={database};host={Host};port={Port}";

    public Task DropDatabaseAsync(string name) => AdminAsync($"DROP DATABASE IF EXISTS {name}");

    /// <summary>Runs one statement as root.</summary>
    public async Task AdminAsync(string sql, CancellationToken ct = default)
    {
        await using var c = new MySqlConnection(AdminConnectionString());
        await c.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = new MySqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Rows of one query as root (each row's columns as objects).</summary>
    public async Task<List<object?[]>> QueryAsync(string sql, string? database = null)
    {
        await using var c = new MySqlConnection(AdminConnectionString(database));
        await c.OpenAsync().ConfigureAwait(false);
        await using var cmd = new MySqlCommand(sql, c);
        await using var r = await cmd.ExecuteReaderAsync().ConfigureAwait(false);
        var rows = new List<object?[]>();
        while (await r.ReadAsync().ConfigureAwait(false))
        {
            var row = new object?[r.FieldCount];
            for (int i = 0; i < row.Length; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        MySqlConnection.ClearAllPools();
        if (_process is { HasExited: false } p)
        {
            Kill(p.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await p.WaitForExitAsync(cts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { try { p.Kill(); } catch (InvalidOperationException) { } }
        }
        _process?.Dispose();
        lock (LiveLock) Live.Remove(this);
        try { if (_watchdog is { HasExited: false }) _watchdog.Kill(); } catch (Exception) { }
        _watchdog?.Dispose();
        try { Directory.Delete(_root, true); } catch (Exception) { }
    }

    private string LogTail()
    {
        try { return string.Join('\n', File.ReadLines(LogFile).TakeLast(30)); }
        catch (Exception) { return "(no server log)"; }
    }

    // The test host may be killed after its last test: a shell loop outside it stops the server.
    private void StartWatchdog()
    {
        const string script = """
            while kill -0 "$1" 2>/dev/null; do sleep 1; done
            kill -TERM "$2" 2>/dev/null
            sleep 5
            rm -rf "$3"
            """;
        try
        {
            var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-c", script, "mogfs-mariadb-watchdog", Environment.ProcessId.ToString(), _process!.Id.ToString(), _root })
                psi.ArgumentList.Add(a);
            _watchdog = Process.Start(psi);
            _watchdog?.StandardInput.Close();
        }
        catch (Exception) { _watchdog = null; }
    }

    private static void InstallExitHook()
    {
        if (Interlocked.Exchange(ref _exitHookInstalled, 1) == 1) return;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            MariaDbServer[] servers;
            lock (LiveLock) servers = Live.ToArray();
            foreach (var s in servers)
                if (s._process is { HasExited: false } p) Kill(p.Id, 15);
        };
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    private static bool IsRoot() => OperatingSystem.IsLinux() && GetEuid() == 0;

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string? FindServer() => Find(Environment.GetEnvironmentVariable("MOGILEFS_MARIADB_BIN"), "mariadbd", "mysqld");

    private static string? FindInstallDb() => Find(Environment.GetEnvironmentVariable("MOGILEFS_MARIADB_BIN"), "mariadb-install-db", "mysql_install_db");

    private static string? Find(string? extraDir, params string[] names)
    {
        var dirs = new List<string>();
        if (!string.IsNullOrEmpty(extraDir)) dirs.Add(extraDir);
        dirs.AddRange(["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]);
        dirs.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        foreach (var n in names)
            foreach (var d in dirs)
                if (File.Exists(Path.Combine(d, n))) return Path.Combine(d, n);
        return null;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
        var output = new StringBuilder();
        var o = p.StandardOutput.ReadToEndAsync(ct);
        var e = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        output.Append(await o.ConfigureAwait(false)).Append(await e.ConfigureAwait(false));
        return (p.ExitCode, output.ToString());
    }
}

/// <summary>A test that needs <see cref="MariaDbServer"/>: skipped only when the server binaries are absent.</summary>
public sealed class MariaDbFactAttribute : Xunit.FactAttribute
{
    public MariaDbFactAttribute()
    {
        if (MariaDbServer.SkipReason is { } reason) Skip = reason;
    }
}

/// <summary>The <see cref="MariaDbFactAttribute"/> of theories.</summary>
public sealed class MariaDbTheoryAttribute : Xunit.TheoryAttribute
{
    public MariaDbTheoryAttribute()
    {
        if (MariaDbServer.SkipReason is { } reason) Skip = reason;
    }
}
