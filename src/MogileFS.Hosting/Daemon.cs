using System.Diagnostics;
using System.IO.Pipes;

namespace MogileFS.Hosting;

/// <summary>How a daemonized start went, seen from the launching process.</summary>
/// <param name="Ready">The copy reported that it is listening.</param>
/// <param name="Report">What the copy reported instead (its start-up error), or "" when it
/// reported nothing before exiting.</param>
/// <param name="Pid">The copy's process id (0 when it could not be started).</param>
/// <param name="StartError">Why the copy could not be started at all.</param>
/// <param name="TimedOut">The copy did not report within the time allowed.</param>
/// <param name="ExitCode">The copy's exit code when it has exited (after a failed start).</param>
/// <param name="Stderr">What the copy wrote to its stderr before it detached (after a failed start).</param>
public sealed record DaemonLaunch(bool Ready, string Report, int Pid, string? StartError = null, bool TimedOut = false,
    int? ExitCode = null, string Stderr = "");

/// <summary>
/// <c>--daemonize</c> for .NET, which cannot fork, shared by mogilefsd and mogstored. The
/// launching process starts a copy of itself with the same arguments and an inherited pipe (named
/// by the environment variable <c>&lt;PROGRAM&gt;_DAEMON_READY_FD</c>), and waits on that pipe
/// until the copy reports that it is listening ("OK") or why it could not start. The copy calls
/// setsid(2) to leave the terminal's session and points its stdin/stdout/stderr at /dev/null —
/// at once (mogilefsd: it logs to syslog) or when it reports ready (mogstored: until then its
/// stderr reaches the launcher, which shows it if the start fails). Unlike a fork, the command
/// returns only when the server accepts connections, or fails with the copy's error; what the
/// launcher prints about it is the executable's business (<see cref="DaemonLaunch"/>).
/// </summary>
public sealed class Daemon
{
    private readonly string _program;
    private readonly string _variable;
    private AnonymousPipeClientStream? _ready;
    private bool _stdioDetached;

    /// <param name="program">The executable's name (<c>mogilefsd</c>, <c>mogstored</c>).</param>
    public Daemon(string program)
    {
        _program = program;
        _variable = program.ToUpperInvariant() + "_DAEMON_READY_FD";
        IsChild = Environment.GetEnvironmentVariable(_variable) is { Length: > 0 };
    }

    /// <summary>True in the detached copy.</summary>
    public bool IsChild { get; }

    /// <summary>The working directory before detaching (to resolve relative paths against once the
    /// copy has changed to /).</summary>
    public string StartDirectory { get; private set; } = Environment.CurrentDirectory;

    /// <summary>
    /// In the launcher of mogstored and moggateway: starts the copy, waits as long as it takes and
    /// returns the launcher's exit code: 0 once the copy listens; otherwise, after showing why (the
    /// copy's stderr, then a line naming the program), the copy's non-zero exit code or 1.
    /// </summary>
    public async Task<int> LaunchAsync(IReadOnlyList<string> args)
    {
        var launch = await SpawnAndWaitAsync(args, timeout: null).ConfigureAwait(false);
        if (launch.Ready) return 0;
        if (launch.StartError != null)
        {
            Console.Error.WriteLine($"Cannot daemonize: {launch.StartError}");
            return 1;
        }
        Console.Error.Write(launch.Stderr);
        Console.Error.WriteLine($"{_program}: the daemon process exited before it was ready");
        return launch.ExitCode is { } code && code != 0 ? code : 1;
    }

    /// <summary>In the launcher: starts the copy and waits for its report, at most
    /// <paramref name="timeout"/> (null: as long as it takes).</summary>
    public async Task<DaemonLaunch> SpawnAndWaitAsync(IReadOnlyList<string> args, TimeSpan? timeout)
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
        // The copy gets its own pipes as stdio rather than ours: whatever it inherited would
        // otherwise keep our caller's pipes open after we exit.
        var psi = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process child;
        try
        {
            string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find our own executable");
            psi.FileName = self;
            // Run through the dotnet host ("dotnet mogilefsd.dll"): pass the assembly again.
            if (Path.GetFileNameWithoutExtension(self) == "dotnet" && System.Reflection.Assembly.GetEntryAssembly()?.Location is { Length: > 0 } dll)
                psi.ArgumentList.Add(dll);
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment[_variable] = pipe.GetClientHandleAsString();
            child = Process.Start(psi) ?? throw new InvalidOperationException("could not start the daemon process");
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            return new DaemonLaunch(false, "", 0, StartError: e.Message);
        }
        pipe.DisposeLocalCopyOfClientHandle();
        using (child)
        {
            child.StandardInput.Close();
            _ = child.StandardOutput.ReadToEndAsync(); // drained so the copy never blocks on it
            var stderr = child.StandardError.ReadToEndAsync();
            using var reader = new StreamReader(pipe);
            var read = reader.ReadToEndAsync();
            if (timeout is { } t && await Task.WhenAny(read, Task.Delay(t)).ConfigureAwait(false) != read)
                return new DaemonLaunch(false, "", child.Id, TimedOut: true);
            string report = await read.ConfigureAwait(false);
            if (report.StartsWith("OK", StringComparison.Ordinal)) return new DaemonLaunch(true, "", child.Id);
            if (report.Length > 0) return new DaemonLaunch(false, report, child.Id);
            // Gone without a word: its exit code and what it wrote to stderr tell why.
            int pid = child.Id;
            child.WaitForExit(5000);
            string err = stderr.Wait(2000) ? stderr.Result : "";
            return new DaemonLaunch(false, report, pid, ExitCode: child.HasExited ? child.ExitCode : null, Stderr: err);
        }
    }

    /// <summary>In the copy, first thing: take the report pipe, leave the terminal's session and,
    /// with <paramref name="stdioToDevNull"/>, point stdio at /dev/null now (else at
    /// <see cref="ReportReady"/>).</summary>
    public void Detach(bool stdioToDevNull)
    {
        string? fd = Environment.GetEnvironmentVariable(_variable);
        Environment.SetEnvironmentVariable(_variable, null);
        if (fd != null)
        {
            try { _ready = new AnonymousPipeClientStream(PipeDirection.Out, fd); }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { _ready = null; }
        }
        StartDirectory = Environment.CurrentDirectory;
        Native.SetSid();
        if (stdioToDevNull) DetachStdio();
    }

    /// <summary>In the copy, once listening: drop stdio and tell the launcher, which exits 0.
    /// (Nothing happens in a process that is not the copy.)</summary>
    public void ReportReady()
    {
        if (!IsChild) return;
        DetachStdio();
        Send("OK\n");
    }

    /// <summary>In the copy, when it cannot start: the launcher prints <paramref name="error"/> and fails.</summary>
    public void ReportFailure(string error) => Send(error.TrimEnd('\n') + "\n");

    private void DetachStdio()
    {
        if (_stdioDetached) return;
        _stdioDetached = true;
        Console.Out.Flush();
        Console.Error.Flush();
        Native.StdioToDevNull();
    }

    private void Send(string text)
    {
        if (_ready == null) return;
        try
        {
            using var w = new StreamWriter(_ready);
            w.Write(text);
        }
        catch (IOException) { /* launcher gone */ }
        _ready = null;
    }
}
