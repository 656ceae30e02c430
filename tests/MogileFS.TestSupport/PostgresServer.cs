using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;

namespace MogileFS.TestSupport;

/// <summary>
/// A private PostgreSQL cluster for tests: <c>initdb</c> into a temp directory, <c>pg_ctl
/// start</c> listening on 127.0.0.1 with an OS-assigned port and a Unix socket in the same
/// directory, trust authentication, durability switched off for speed. The superuser is
/// <c>postgres</c>; a login role <c>mogile</c> (the tracker's default db_user) exists too.
///
/// PostgreSQL refuses to run as root, so when the tests run as root the binaries are started
/// through <c>runuser -u postgres</c> (or <c>nobody</c>) and the directory is chowned to that
/// user. Binaries come from MOGILEFS_PG_BIN, else the newest /usr/lib/postgresql/*/bin, else
/// PATH. When they are missing <see cref="StartAsync"/> throws (tests fail loudly) unless
/// MOGILEFS_TEST_SKIP_PG=1, which makes <see cref="PostgresFactAttribute"/> tests skip.
///
/// If the test process dies without cleaning up, the server notices that its data directory
/// lock file is gone once the temp directory is removed, and a process-exit hook stops every
/// cluster this process started.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string SuperUser = "postgres";
    /// <summary>Login role created in every cluster; owner of databases from <see cref="CreateDatabaseAsync"/>.</summary>
    public const string User = "mogile";
    public const string Password = "mogile";

    internal const string SkipReason = "MOGILEFS_TEST_SKIP_PG=1: PostgreSQL tests skipped";
    public static bool SkipRequested => Environment.GetEnvironmentVariable("MOGILEFS_TEST_SKIP_PG") == "1";

    private static readonly object LiveLock = new();
    private static readonly HashSet<PostgresServer> Live = new();
    private static Lazy<Task<PostgresServer>> _shared = new(() => StartAsync());
    private static int _exitHookInstalled;

    private readonly string _binDir;
    private readonly string? _runAs;
    private readonly string _root;
    private readonly string _dataDir;
    private readonly string _socketDir;
    private readonly string _logFile;
    private int _dbCounter;
    private Process? _watchdog;
    private bool _running;
    private bool _disposed;

    private PostgresServer(string binDir, string? runAs, string root)
    {
        _binDir = binDir;
        _runAs = runAs;
        _root = root;
        _dataDir = Path.Combine(root, "data");
        _socketDir = Path.Combine(root, "sock");
        _logFile = Path.Combine(root, "postgres.log");
    }

    public string Host => "127.0.0.1";
    public int Port { get; private set; }
    public string SocketDirectory => _socketDir;
    public string LogFile => _logFile;
    public bool IsRunning => _running;

    /// <summary>Superuser connection string to the given database (default <c>postgres</c>).</summary>
    public string AdminConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = Host, Port = Port, Username = SuperUser, Database = database, Pooling = false, Timeout = 15,
    }.ToString();

    /// <summary>One cluster shared by the whole test process, started on first use and stopped at
    /// process exit. Do not stop it from a test; start your own for outage tests.</summary>
    public static Task<PostgresServer> GetSharedAsync() => _shared.Value;

    public static async Task<PostgresServer> StartAsync(CancellationToken ct = default)
    {
        string binDir = FindBinDir() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) not found in MOGILEFS_PG_BIN, /usr/lib/postgresql/*/bin or PATH. " +
            "Install them (Debian: apt-get install -y postgresql) or set MOGILEFS_TEST_SKIP_PG=1 to skip PostgreSQL tests.");
        string? runAs = IsRoot() ? FindUnprivilegedUser() : null;
        SweepStaleDirectories();
        string root = Directory.CreateTempSubdirectory("mogfs-pg-").FullName;
        var server = new PostgresServer(binDir, runAs, root);
        InstallExitHook();
        lock (LiveLock) Live.Add(server);
        try
        {
            await server.InitAsync(ct).ConfigureAwait(false);
            await server.StartOnFreePortAsync(ct).ConfigureAwait(false);
            server.StartWatchdog();
            await server.AdminAsync($"CREATE ROLE {User} LOGIN PASSWORD '{Password}'", ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates a fresh empty database owned by <see cref="User"/> and returns its DBI DSN
    /// (<c>DBI:Pg:dbname=…;host=127.0.0.1;port=…</c>).</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= $"mogtest_{Environment.ProcessId}_{Interlocked.Increment(ref _dbCounter)}_{Guid.NewGuid().ToString("N")[..6]}";
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z_][a-z0-9_]*$"))
            throw new ArgumentException("database name must be a lower-case SQL identifier", nameof(name));
        await AdminAsync($"CREATE DATABASE {name} OWNER {User} TEMPLATE template0 ENCODING 'UTF-8'", default).ConfigureAwait(false);
        return DsnFor(name);
    }

    public string DsnFor(string database) => $"DBI:Pg:dbname={database};host={Host};port={Port}";

    public async Task DropDatabaseAsync(string name)
    {
        await AdminAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", default).ConfigureAwait(false);
    }

    /// <summary>Runs one statement as the superuser in database <c>postgres</c>.</summary>
    public async Task AdminAsync(string sql, CancellationToken ct = default)
    {
        await using var c = new NpgsqlConnection(AdminConnectionString());
        await c.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Stops the server (fast shutdown: connections are cut) — for outage tests.</summary>
    public async Task StopAsync()
    {
        if (!_running) return;
        NpgsqlConnection.ClearAllPools();
        await PgCtlAsync(["stop", "-D", _dataDir, "-m", "fast", "-w", "-t", "60"], default).ConfigureAwait(false);
        _running = false;
    }

    /// <summary>Starts the server again on the same port after <see cref="StopAsync"/>.</summary>
    public async Task StartAgainAsync()
    {
        if (_running) return;
        var result = await TryStartAsync(Port, default).ConfigureAwait(false);
        if (!result.Ok)
            throw new InvalidOperationException($"PostgreSQL did not start again on port {Port}:\n{result.Output}\n{LogTail()}");
    }

    /// <summary>
    /// A hot standby of this server for failover tests: <c>pg_basebackup -R</c> (streaming replication,
    /// the standby follows this server from then on) into its own temp directory, started on a free
    /// port. Promote it with <see cref="PromoteAsync"/>; dispose it like any server.
    /// </summary>
    public async Task<PostgresServer> StartStandbyAsync(CancellationToken ct = default)
    {
        string root = Directory.CreateTempSubdirectory("mogfs-pg-").FullName;
        var standby = new PostgresServer(_binDir, _runAs, root);
        lock (LiveLock) Live.Add(standby);
        try
        {
            Directory.CreateDirectory(standby._socketDir);
            if (_runAs != null)
                await standby.RunAsync("chown", ["-R", _runAs, root], null, ct).ConfigureAwait(false);
            var r = await standby.RunAsync(Path.Combine(_binDir, "pg_basebackup"),
                ["-h", Host, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", SuperUser,
                 "-D", standby._dataDir, "-R", "-X", "stream", "-c", "fast", "--no-sync"],
                _runAs, ct).ConfigureAwait(false);
            if (r.ExitCode != 0)
                throw new InvalidOperationException($"pg_basebackup failed (exit {r.ExitCode}):\n{r.Output}");
            await standby.StartOnFreePortAsync(ct).ConfigureAwait(false);
            standby.StartWatchdog();
            return standby;
        }
        catch
        {
            await standby.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Makes a standby the primary (<c>pg_ctl promote</c>, waiting until it accepts writes).</summary>
    public async Task PromoteAsync()
    {
        var r = await PgCtlAsync(["promote", "-D", _dataDir, "-w", "-t", "60"], default).ConfigureAwait(false);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"pg_ctl promote failed (exit {r.ExitCode}):\n{r.Output}\n{LogTail()}");
    }

    /// <summary>Stops the server the way a crash does (<c>pg_ctl stop -m immediate</c>: no checkpoint,
    /// connections cut) — for failover tests. <see cref="StartAgainAsync"/> recovers it.</summary>
    public async Task CrashAsync()
    {
        if (!_running) return;
        await PgCtlAsync(["stop", "-D", _dataDir, "-m", "immediate", "-w", "-t", "60"], default).ConfigureAwait(false);
        _running = false;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try { await StopAsync().ConfigureAwait(false); }
        catch (Exception) { StopImmediatelySync(); }
        lock (LiveLock) Live.Remove(this);
        StopWatchdog();
        DeleteRoot();
    }

    // If the test process is killed (the test host may be, after the last test), nothing in it
    // runs any more: a small shell loop outside it stops the server and removes the directory.
    private void StartWatchdog()
    {
        const string script = """
            while kill -0 "$1" 2>/dev/null; do sleep 1; done
            pid=$(head -n 1 "$2/postmaster.pid" 2>/dev/null) && kill -QUIT "$pid" 2>/dev/null
            sleep 2
            rm -rf "$3"
            """;
        try
        {
            var psi = new ProcessStartInfo("/bin/sh")
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in new[] { "-c", script, "mogfs-pg-watchdog", Environment.ProcessId.ToString(), _dataDir, _root })
                psi.ArgumentList.Add(a);
            _watchdog = Process.Start(psi);
            _watchdog?.StandardInput.Close();
        }
        catch (Exception) { _watchdog = null; }
    }

    private void StopWatchdog()
    {
        try
        {
            if (_watchdog is { HasExited: false }) _watchdog.Kill();
        }
        catch (Exception) { }
        _watchdog?.Dispose();
        _watchdog = null;
    }

    // ---- implementation ----

    private async Task InitAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(_socketDir);
        if (_runAs != null)
            await RunAsync("chown", ["-R", _runAs, _root], null, ct).ConfigureAwait(false);
        var r = await RunAsync(Path.Combine(_binDir, "initdb"),
            ["-D", _dataDir, "-U", SuperUser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            _runAs, ct).ConfigureAwait(false);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"initdb failed (exit {r.ExitCode}):\n{r.Output}");
    }

    private async Task StartOnFreePortAsync(CancellationToken ct)
    {
        string lastOutput = "";
        for (int attempt = 0; attempt < 8; attempt++)
        {
            int port = FreePort();
            var result = await TryStartAsync(port, ct).ConfigureAwait(false);
            if (result.Ok) return;
            lastOutput = result.Output + "\n" + LogTail();
            // Someone else took the port between our probe and postgres' bind: try another.
            if (!lastOutput.Contains("could not bind", StringComparison.OrdinalIgnoreCase) &&
                !lastOutput.Contains("Address already in use", StringComparison.OrdinalIgnoreCase))
                break;
        }
        throw new InvalidOperationException("PostgreSQL did not start:\n" + lastOutput);
    }

    private async Task<(bool Ok, string Output)> TryStartAsync(int port, CancellationToken ct)
    {
        string options = string.Join(' ',
            $"-p {port}", "-c listen_addresses=127.0.0.1", $"-c unix_socket_directories={_socketDir}",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
            "-c max_connections=300", "-c shared_buffers=32MB", "-c log_min_messages=warning");
        var r = await PgCtlAsync(["start", "-D", _dataDir, "-l", _logFile, "-w", "-t", "60", "-o", options], ct)
            .ConfigureAwait(false);
        if (r.ExitCode == 0)
        {
            Port = port;
            _running = true;
            return (true, r.Output);
        }
        return (false, r.Output);
    }

    private async Task<ProcessResult> PgCtlAsync(string[] args, CancellationToken ct)
    {
        var r = await RunAsync(Path.Combine(_binDir, "pg_ctl"), args, _runAs, ct).ConfigureAwait(false);
        if (r.ExitCode != 0 && args[0] == "stop")
            throw new InvalidOperationException($"pg_ctl stop failed (exit {r.ExitCode}):\n{r.Output}");
        return r;
    }

    private void StopImmediatelySync()
    {
        if (!_running) return;
        try
        {
            RunAsync(Path.Combine(_binDir, "pg_ctl"), ["stop", "-D", _dataDir, "-m", "immediate", "-w", "-t", "20"],
                _runAs, default).GetAwaiter().GetResult();
        }
        catch (Exception) { /* best effort at exit */ }
        _running = false;
    }

    private void DeleteRoot()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (Exception) { /* leave it for the OS temp cleaner */ }
    }

    private string LogTail()
    {
        try
        {
            var lines = File.ReadAllLines(_logFile);
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 30)));
        }
        catch (IOException) { return "(no server log)"; }
        catch (UnauthorizedAccessException) { return "(server log unreadable)"; }
    }

    private static void InstallExitHook()
    {
        if (Interlocked.Exchange(ref _exitHookInstalled, 1) == 1) return;
        // The test host may be killed shortly after ProcessExit starts, so do nothing slow here:
        // SIGQUIT (immediate shutdown) to each postmaster, and a detached rm for the directory.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            PostgresServer[] servers;
            lock (LiveLock) servers = Live.ToArray();
            foreach (var s in servers)
            {
                if (s._running && s.PostmasterPid() is int pid) Kill(pid, 3 /* SIGQUIT */);
                s._running = false;
                try
                {
                    var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
                    foreach (var a in new[] { "-c", "sleep 2; rm -rf \"$0\"", s._root }) psi.ArgumentList.Add(a);
                    Process.Start(psi)?.Dispose();
                }
                catch (Exception) { /* best effort */ }
            }
        };
    }

    private int? PostmasterPid()
    {
        try
        {
            using var reader = new StreamReader(Path.Combine(_dataDir, "postmaster.pid"));
            return int.TryParse(reader.ReadLine(), out int pid) ? pid : null;
        }
        catch (Exception) { return null; }
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    // Directories of clusters whose test process died before cleaning up (no server running,
    // untouched for an hour).
    private static void SweepStaleDirectories()
    {
        try
        {
            foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "mogfs-pg-*"))
            {
                if (File.Exists(Path.Combine(dir, "data", "postmaster.pid"))) continue;
                if (Directory.GetLastWriteTimeUtc(dir) > DateTime.UtcNow.AddHours(-1)) continue;
                try { Directory.Delete(dir, true); } catch (Exception) { }
            }
        }
        catch (Exception) { }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string? FindBinDir()
    {
        static bool Has(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));
        var env = Environment.GetEnvironmentVariable("MOGILEFS_PG_BIN");
        if (!string.IsNullOrEmpty(env)) return Has(env) ? env : null;
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var best = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out int v) ? v : 0))
                .Where(x => Has(x.Dir)).OrderByDescending(x => x.Version).FirstOrDefault();
            if (best.Dir != null) return best.Dir;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (Has(dir)) return dir;
        return null;
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    private static bool IsRoot() => OperatingSystem.IsLinux() && GetEuid() == 0;

    private static string FindUnprivilegedUser()
    {
        var users = File.ReadAllLines("/etc/passwd").Select(l => l.Split(':')[0]).ToHashSet();
        if (users.Contains("postgres")) return "postgres";
        if (users.Contains("nobody")) return "nobody";
        throw new InvalidOperationException("Running as root and neither user 'postgres' nor 'nobody' exists to run PostgreSQL as.");
    }

    private readonly record struct ProcessResult(int ExitCode, string Output);

    private async Task<ProcessResult> RunAsync(string file, string[] args, string? runAs, CancellationToken ct)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        if (runAs != null && file != "chown")
        {
            psi.FileName = "runuser";
            foreach (var a in new[] { "-u", runAs, "--", file }) psi.ArgumentList.Add(a);
        }
        else psi.FileName = file;
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        psi.Environment.Remove("PGDATA");

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        p.StandardInput.Close();
        var output = new StringBuilder();
        // Read both streams without waiting for EOF: pg_ctl's forked server could in theory keep
        // an inherited descriptor open, and we only care about pg_ctl itself.
        var stdout = PumpAsync(p.StandardOutput, output);
        var stderr = PumpAsync(p.StandardError, output);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        try
        {
            await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish:\n{output}");
        }
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(2000)).ConfigureAwait(false);
        lock (output) return new ProcessResult(p.ExitCode, output.ToString());
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder sink)
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            lock (sink) sink.Append(buffer, 0, n);
    }
}
