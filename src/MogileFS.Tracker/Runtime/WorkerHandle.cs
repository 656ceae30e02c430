using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace MogileFS.Tracker.Runtime;

/// <summary>
/// The process id that <c>!jobs</c> shows for one worker. In 2.73 every worker is a process, and
/// operators (and MogileFS's own tests) signal those pids: <c>kill -STOP</c> pauses a worker,
/// <c>kill -CONT</c> resumes it, <c>kill</c> makes the parent start a fresh one. Our workers are
/// loops inside the tracker, so each gets a tiny companion process (<c>cat</c> reading a pipe the
/// tracker holds; it ends by itself when the tracker dies, even by SIGKILL) whose pid stands for
/// the worker: a stopped companion pauses the worker at its next item, a killed one is replaced.
/// A pid shown by <c>!jobs</c> is therefore always a process of this tracker, never a made-up
/// number that could name somebody else's process. Where no companion can be started, the
/// tracker's own pid is shown.
/// </summary>
public sealed partial class WorkerHandle : IDisposable
{
    private static int _descriptorsSealed;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, int arg);

    private const int FGetFd = 1, FSetFd = 2, FdCloExec = 1;

    /// <summary>
    /// Descriptors this process inherited (a daemon's start-up report pipe, a test harness's pipes)
    /// are not close-on-exec; a companion must not hold them open, or whoever waits for their end
    /// (the launcher of a daemonized tracker) would wait for the companions too. .NET opens its own
    /// descriptors close-on-exec, so marking the inherited ones once is enough.
    /// </summary>
    private static void SealInheritedDescriptors()
    {
        if (Interlocked.Exchange(ref _descriptorsSealed, 1) != 0) return;
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int fd) || fd < 3) continue;
                int flags = Fcntl(fd, FGetFd, 0);
                if (flags >= 0 && (flags & FdCloExec) == 0) Fcntl(fd, FSetFd, flags | FdCloExec);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static readonly string? CatPath = new[] { "/bin/cat", "/usr/bin/cat" }.FirstOrDefault(File.Exists);
    private readonly Process? _process;
    private readonly string? _statPath;
    private volatile bool _disposed;

    private WorkerHandle(Process? process)
    {
        _process = process;
        Pid = process?.Id ?? Environment.ProcessId;
        _statPath = process is null ? null : $"/proc/{Pid}/stat";
    }

    /// <summary>The pid shown by !jobs.</summary>
    public int Pid { get; }

    /// <summary>Raised once when the companion ended without <see cref="Dispose"/> (someone killed it).</summary>
    public event Action<WorkerHandle>? Killed;

    public static WorkerHandle Start()
    {
        if (CatPath is null || !OperatingSystem.IsLinux()) return new WorkerHandle(null);
        Process? p = null;
        SealInheritedDescriptors();
        try
        {
            var psi = new ProcessStartInfo(CatPath)
            {
                RedirectStandardInput = true,
                // Pipes that are never written: the companion holds none of the tracker's own descriptors.
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            p = Process.Start(psi);
            if (p is null) return new WorkerHandle(null);
            var h = new WorkerHandle(p);
            p.EnableRaisingEvents = true;
            p.Exited += (_, _) =>
            {
                if (!h._disposed) h.Killed?.Invoke(h);
            };
            if (p.HasExited && !h._disposed) h.Killed?.Invoke(h);
            return h;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            p?.Dispose();
            return new WorkerHandle(null);
        }
    }

    /// <summary>True while the companion is stopped (SIGSTOP/SIGTSTP): the worker must not start new work.</summary>
    public bool IsStopped
    {
        get
        {
            if (_statPath is null || _disposed) return false;
            try
            {
                // "pid (comm) S ...": the state follows the last ')'.
                var text = File.ReadAllText(_statPath);
                int close = text.LastIndexOf(')');
                return close > 0 && close + 2 < text.Length && text[close + 2] is 'T' or 't';
            }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }
    }

    /// <summary>Waits (polling) while the companion is stopped.</summary>
    public async Task WaitWhileStoppedAsync(CancellationToken ct)
    {
        while (IsStopped) await Task.Delay(200, ct).ConfigureAwait(false);
    }

    public override string ToString() => Pid.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_process is null) return;
        try
        {
            if (!_process.HasExited) _process.Kill();
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        try { _process.StandardInput.Dispose(); } catch (Exception e) when (e is IOException or InvalidOperationException) { }
        _process.Dispose();
    }
}
