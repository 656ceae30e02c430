using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MogileFS.Cli.mogcluster;

/// <summary>
/// The programs the local cluster started. Each runs with its output in a log file; on stop
/// every one gets SIGTERM (by its PID), then SIGKILL if it has not exited within a few seconds.
/// </summary>
internal sealed partial class ChildProcesses : IAsyncDisposable
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
    private const int SigTerm = 15;

    private readonly List<(string Name, Process Process)> _children = new();

    public IReadOnlyList<(string Name, Process Process)> Children => _children;

    public Process Start(string name, string exe, IEnumerable<string> args, string logFile)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        var log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var gate = new object();
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (gate) log.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (gate) log.WriteLine(e.Data); };
        p.Exited += (_, _) => { lock (gate) log.Dispose(); };
        p.EnableRaisingEvents = true;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _children.Add((name, p));
        return p;
    }

    /// <summary>Stops the children in reverse start order.</summary>
    public async Task StopAllAsync(TextWriter? report)
    {
        for (int i = _children.Count - 1; i >= 0; i--)
        {
            var (name, p) = _children[i];
            if (p.HasExited) continue;
            report?.WriteLine($"  stopping {name} (pid {p.Id})");
            Kill(p.Id, SigTerm);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await p.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException)
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await p.WaitForExitAsync();
            }
        }
        _children.Clear();
    }

    public async ValueTask DisposeAsync() => await StopAllAsync(null);
}
