using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MogileFS.TestSupport;

/// <summary>
/// A child process started by a test (mogilefsd, mogstored, mogdbsetup), with its output kept in
/// memory. Stopping signals only this process, by its PID; dispose kills it if it is still running.
/// </summary>
public sealed partial class ManagedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ManagedProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts an executable found by <see cref="Executables.Resolve"/>.</summary>
    public static ManagedProcess Start(string name, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var (file, prefix) = Executables.Resolve(name);
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in prefix) psi.ArgumentList.Add(a);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        if (environment != null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        var managed = new ManagedProcess(process, name);
        process.OutputDataReceived += (_, e) => { if (e.Data != null) managed._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) managed._output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    /// <summary>Runs to completion and returns the exit code.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string name, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        await using var p = Start(name, arguments);
        int code = await p.WaitForExitAsync(timeout ?? TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        return (code, p.Output);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} (pid {Pid}) did not exit within {timeout.TotalSeconds} s\n{Output}");
        }
        return _process.ExitCode;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public const int SIGTERM = 15;
    public const int SIGKILL = 9;

    /// <summary>Sends a signal to this process only.</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited) Kill(_process.Id, signal);
    }

    /// <summary>Waits until something accepts TCP connections on the endpoint (or the process dies).</summary>
    public async Task<TimeSpan> WaitForListenAsync(IPEndPoint endPoint, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before listening on {endPoint}\n{Output}");
            using var s = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await s.ConnectAsync(endPoint).ConfigureAwait(false);
                return sw.Elapsed;
            }
            catch (SocketException)
            {
                await Task.Delay(20).ConfigureAwait(false);
            }
        }
        throw new TimeoutException($"{Name} not listening on {endPoint} after {timeout.TotalSeconds} s\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal(SIGKILL);
            try { await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
            catch (TimeoutException) { }
        }
        _process.Dispose();
    }
}

/// <summary>
/// Finds the project's executables: <c>$MOGILEFS_BIN/NAME</c> when set (e.g. artifacts/bin from
/// ./build.sh), else the newest build output <c>src/NAME/bin/*/net10.0/NAME.dll</c> run through
/// <c>dotnet exec</c> (the integration test project builds those as project references).
/// </summary>
public static class Executables
{
    public static (string File, string[] PrefixArguments) Resolve(string name)
    {
        string? binDir = Environment.GetEnvironmentVariable("MOGILEFS_BIN");
        if (!string.IsNullOrEmpty(binDir))
        {
            string exe = Path.Combine(binDir, name);
            if (File.Exists(exe)) return (exe, []);
            throw new FileNotFoundException($"MOGILEFS_BIN is set but {exe} does not exist");
        }
        string projectBin = Path.Combine(Processes.RepositoryRoot, "src", name, "bin");
        var dll = Directory.Exists(projectBin)
            ? Directory.GetFiles(projectBin, name + ".dll", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(Path.GetDirectoryName(f)) == "net10.0")
                .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            : null;
        if (dll == null)
            throw new FileNotFoundException($"{name} is not built: build src/{name} (or run ./build.sh and set MOGILEFS_BIN=artifacts/bin)");
        return (DotnetHost, ["exec", dll]);
    }

    /// <summary>The dotnet host running this test process.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p
        : "dotnet";

    /// <summary>A port that was free a moment ago on the address (for processes that need a fixed port).</summary>
    public static int FreePort(IPAddress address)
    {
        using var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>True when the port can be bound on the address right now (nothing holds it).</summary>
    public static bool IsPortFree(IPEndPoint endPoint)
    {
        using var s = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        // As a restarted server would bind: connections it closed may linger in TIME_WAIT.
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        try
        {
            s.Bind(endPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
