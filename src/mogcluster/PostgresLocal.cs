using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MogileFS.Cli.mogcluster;

/// <summary>
/// A private PostgreSQL server in the data folder (<c>--postgres</c>): initdb once (trust
/// authentication, loopback only), pg_ctl start/stop. PostgreSQL refuses to run as root, so as
/// root its commands run through <c>runuser -u postgres</c> (or <c>nobody</c>).
/// </summary>
internal sealed partial class PostgresLocal(string dir, int port, string logFile)
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    private string? _bin;
    private string? _runAs;
    private bool _started;

    public async Task StartAsync(CancellationToken ct)
    {
        _bin = FindBin() ?? throw new LocalCluster.ClusterException(
            "--postgres needs the PostgreSQL server programs (initdb, pg_ctl); on Debian: apt-get install postgresql");
        if (GetEuid() == 0)
        {
            _runAs = UserExists("postgres") ? "postgres" : UserExists("nobody") ? "nobody" : throw new LocalCluster.ClusterException("no 'postgres' or 'nobody' user to run PostgreSQL as");
        }
        if (!File.Exists(Path.Combine(dir, "PG_VERSION")))
        {
            Directory.CreateDirectory(dir);
            await Chown(dir);
            await RunAsync("initdb", ["-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"], ct);
        }
        if (!File.Exists(logFile)) { File.WriteAllText(logFile, ""); }
        await Chown(logFile);
        await RunAsync("pg_ctl", ["-D", dir, "-l", logFile, "-w", "-t", "60", "-o",
            $"-p {port} -k {dir} -c listen_addresses=127.0.0.1", "start"], ct);
        _started = true;
    }

    public async Task StopAsync()
    {
        if (!_started || _bin is null) return;
        try { await RunAsync("pg_ctl", ["-D", dir, "-m", "fast", "-w", "stop"], CancellationToken.None); }
        catch (LocalCluster.ClusterException e) { Console.Error.WriteLine($"cluster: {e.Message}"); }
        _started = false;
    }

    private async Task Chown(string path)
    {
        if (_runAs is null) return;
        using var p = Process.Start("chown", ["-R", _runAs, path]);
        await p.WaitForExitAsync();
    }

    private async Task RunAsync(string program, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        if (_runAs != null)
        {
            psi.FileName = "runuser";
            foreach (var a in new[] { "-u", _runAs, "--", Path.Combine(_bin!, program) }) psi.ArgumentList.Add(a);
        }
        else psi.FileName = Path.Combine(_bin!, program);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync(ct);
        var error = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
            throw new LocalCluster.ClusterException($"{program} failed (exit {p.ExitCode}): {(await error).Trim()} {(await output).Trim()}");
    }

    private static bool UserExists(string user) => File.ReadLines("/etc/passwd").Any(l => l.StartsWith(user + ":", StringComparison.Ordinal));

    private static string? FindBin()
    {
        static bool Has(string d) => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl"));
        if (Environment.GetEnvironmentVariable("MOGILEFS_PG_BIN") is { Length: > 0 } env && Has(env)) return env;
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var best = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin")).Where(Has)
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault();
            if (best != null) return best;
        }
        foreach (var d in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (d.Length > 0 && Has(d)) return d;
        return null;
    }
}
