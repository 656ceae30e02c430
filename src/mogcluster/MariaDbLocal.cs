using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MogileFS.Cli.mogcluster;

/// <summary>
/// A private MariaDB (or MySQL) server in the data folder (<c>--mysql</c>): mariadb-install-db once
/// (root without a password, on the socket and 127.0.0.1 only), then mariadbd with its own socket and
/// port; SIGTERM stops it. As root it runs with <c>--user=root</c>.
/// </summary>
internal sealed partial class MariaDbLocal(string dir, int port, string logFile)
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    private Process? _server;

    public string Socket => Path.Combine(dir, "mysqld.sock");

    public async Task StartAsync(CancellationToken ct)
    {
        string server = Find("mariadbd", "mysqld") ?? throw new LocalCluster.ClusterException(
            "--mysql needs the MariaDB server programs (mariadbd, mariadb-install-db); on Debian: apt-get install mariadb-server");
        string installDb = Find("mariadb-install-db", "mysql_install_db") ?? throw new LocalCluster.ClusterException(
            "--mysql needs mariadb-install-db; on Debian: apt-get install mariadb-server");
        string[] user = GetEuid() == 0 ? ["--user=root"] : [];
        string data = Path.Combine(dir, "data");
        if (!Directory.Exists(Path.Combine(data, "mysql")))
        {
            Directory.CreateDirectory(dir);
            await RunAsync(installDb, ["--no-defaults", .. user, $"--datadir={data}", "--auth-root-authentication-method=normal", "--skip-test-db"], ct);
        }
        var psi = new ProcessStartInfo(server) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["--no-defaults", .. user, $"--datadir={data}", $"--socket={Socket}", $"--port={port}",
                     "--bind-address=127.0.0.1", $"--pid-file={Path.Combine(dir, "mariadbd.pid")}", $"--log-error={logFile}", "--skip-name-resolve"])
            psi.ArgumentList.Add(a);
        _server = Process.Start(psi) ?? throw new LocalCluster.ClusterException("cannot start " + server);
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        for (int i = 0; i < 600 && !File.Exists(Socket); i++)
        {
            if (_server.HasExited) throw new LocalCluster.ClusterException($"mariadbd exited (see {logFile})");
            await Task.Delay(100, ct);
        }
        await Task.Delay(300, ct); // the socket appears just before the server accepts
    }

    public async Task StopAsync()
    {
        if (_server is not { HasExited: false } p) return;
        Kill(p.Id, 15);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(); }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    private static string? Find(params string[] names)
    {
        foreach (var n in names)
            foreach (var d in (string[])["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"])
                if (File.Exists(Path.Combine(d, n))) return Path.Combine(d, n);
        return null;
    }

    private static async Task RunAsync(string program, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync(ct);
        var error = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
            throw new LocalCluster.ClusterException($"{Path.GetFileName(program)} failed (exit {p.ExitCode}): {(await error).Trim()} {(await output).Trim()}");
    }
}
