using System.Diagnostics;
using MogileFS.StorageNode.Native;

namespace MogileFS.StorageNode;

/// <summary>
/// <c>--daemonize</c> for .NET, which cannot fork: the process starts a copy of itself
/// (marked by an environment variable) and waits until the copy reports that it is
/// listening, then exits 0. The copy calls setsid(2) to leave the terminal's session and,
/// once listening, points its stdin/stdout/stderr at /dev/null. Unlike a plain fork, the
/// command returns only when the node accepts connections, or fails with the copy's error.
/// </summary>
public static class Daemon
{
    private const string ChildVariable = "MOGSTORED_DAEMON_CHILD";
    private const string ReadyLine = "Running.";

    /// <summary>True in the detached copy.</summary>
    public static bool IsDaemonChild => Environment.GetEnvironmentVariable(ChildVariable) == "1";

    /// <summary>Starts the detached copy with the same arguments and waits for it to be ready.
    /// Returns the exit code for the launching process.</summary>
    public static int SpawnAndWait(string[] args, TextWriter error)
    {
        string exe = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find own executable");
        var psi = new ProcessStartInfo(exe)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Running as "dotnet mogstored.dll": pass the entry assembly again.
        if (string.Equals(Path.GetFileNameWithoutExtension(exe), "dotnet", StringComparison.Ordinal))
        {
            string? dll = System.Reflection.Assembly.GetEntryAssembly()?.Location;
            if (!string.IsNullOrEmpty(dll)) psi.ArgumentList.Add(dll);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment[ChildVariable] = "1";

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start the daemon process");
        p.StandardInput.Close();
        var stderr = p.StandardError.ReadToEndAsync();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) != null)
        {
            if (line == ReadyLine) return 0;
        }
        p.WaitForExit(5000);
        error.Write(stderr.Wait(2000) ? stderr.Result : "");
        error.WriteLine("mogstored: the daemon process exited before it was ready");
        return p.HasExited && p.ExitCode != 0 ? p.ExitCode : 1;
    }

    /// <summary>In the copy, before starting: leave the session of the launching terminal.</summary>
    public static void DetachSession() => Libc.SetSid();

    /// <summary>In the copy, once listening: tell the launcher, then drop stdio.</summary>
    public static unsafe void ReportReadyAndCloseStdio()
    {
        Console.Out.WriteLine(ReadyLine);
        Console.Out.Flush();
        byte* devnull = stackalloc byte[] { (byte)'/', (byte)'d', (byte)'e', (byte)'v', (byte)'/', (byte)'n', (byte)'u', (byte)'l', (byte)'l', 0 };
        int fd = Libc.Open(devnull, Libc.O_RDWR, 0);
        if (fd < 0) return;
        Libc.Dup2(fd, 0);
        Libc.Dup2(fd, 1);
        Libc.Dup2(fd, 2);
        if (fd > 2) Libc.Close(fd);
    }
}
