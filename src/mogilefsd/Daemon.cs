using System.Diagnostics;
using System.IO.Pipes;

namespace MogileFS.Cli.mogilefsd;

/// <summary>
/// --daemonize. .NET cannot fork, so the process re-executes itself as a detached child: the
/// child starts a new session (setsid), changes to /, points its stdio at /dev/null and runs
/// the tracker. The parent waits until the child reports on an inherited pipe that it is
/// listening (or why it could not start), prints that, and exits — so unlike 2.73, start-up
/// errors of a daemonized tracker are shown on the terminal, not only in syslog.
/// </summary>
internal static class Daemon
{
    private const string ChildVariable = "MOGILEFSD_DAEMON_READY_FD";
    private static AnonymousPipeClientStream? _ready;

    /// <summary>The working directory before detaching (relative paths are resolved against it).</summary>
    public static string StartDirectory { get; private set; } = Environment.CurrentDirectory;

    /// <summary>True in the re-executed child.</summary>
    public static bool IsChild => Environment.GetEnvironmentVariable(ChildVariable) is { Length: > 0 };

    /// <summary>In the parent: starts the child and waits for its report. Returns the exit code.</summary>
    public static async Task<int> SpawnAndWaitAsync(string[] args, TextWriter stderr)
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
        // The child gets its own (immediately closed) pipes as stdio rather than ours: whatever it
        // inherits would otherwise keep our caller's pipes open after we exit.
        var psi = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find our own executable");
        psi.FileName = self;
        // Run through the dotnet host ("dotnet mogilefsd.dll"): pass the assembly again.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            psi.ArgumentList.Add(typeof(Daemon).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment[ChildVariable] = pipe.GetClientHandleAsString();

        Process child;
        try
        {
            child = Process.Start(psi) ?? throw new InvalidOperationException("could not start the daemon process");
        }
        catch (Exception e)
        {
            stderr.WriteLine($"Cannot daemonize: {e.Message}");
            return 1;
        }
        pipe.DisposeLocalCopyOfClientHandle();
        child.StandardInput.Close();
        child.StandardOutput.Close();
        child.StandardError.Close();
        using (child)
        {
            using var reader = new StreamReader(pipe);
            var read = reader.ReadToEndAsync();
            if (await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(120))) != read)
            {
                stderr.WriteLine($"mogilefsd (pid {child.Id}) did not report that it started within 120 s; see syslog.");
                return 1;
            }
            string report = await read;
            if (report.StartsWith("OK", StringComparison.Ordinal)) return 0;
            stderr.Write(report.Length > 0 ? report : $"mogilefsd (pid {child.Id}) exited during start-up; see syslog.\n");
            return 1;
        }
    }

    /// <summary>In the child, first thing: new session, stdio to /dev/null. (The host changes to /
    /// once it has resolved relative paths.)</summary>
    public static void Detach()
    {
        string? fd = Environment.GetEnvironmentVariable(ChildVariable);
        Environment.SetEnvironmentVariable(ChildVariable, null);
        if (fd != null)
        {
            try { _ready = new AnonymousPipeClientStream(PipeDirection.Out, fd); }
            catch (Exception) { _ready = null; }
        }
        StartDirectory = Environment.CurrentDirectory;
        Native.SetSid();
        Native.StdioToDevNull();
    }

    /// <summary>In the child: tell the parent we are listening (or why not) and let it exit.</summary>
    public static void Report(string? error)
    {
        if (_ready == null) return;
        try
        {
            using var w = new StreamWriter(_ready);
            w.Write(error == null ? "OK\n" : error.TrimEnd('\n') + "\n");
        }
        catch (IOException) { /* parent gone */ }
        _ready = null;
    }
}
