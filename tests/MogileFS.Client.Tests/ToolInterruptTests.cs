using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MogileFS.Client.Tests;

/// <summary>Ctrl-C (SIGINT) stops a tool cleanly: one line on stderr and exit 130.</summary>
public sealed partial class ToolInterruptTests
{
    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    [SigintFact]
    public async Task SIGINT_while_waiting_for_a_tracker_prints_interrupted_and_exits_130()
    {
        // A "tracker" that accepts and never answers, so the tool is waiting when the signal comes.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "mogfileinfo"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in new[] { $"--trackers=127.0.0.1:{port}", "--domain=d", "--key=k" }) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = Path.Combine(Path.GetTempPath(), "mogtools-nohome");
        psi.Environment["MOGILEFS_SYSTEM_CONF"] = "/nonexistent/mogilefs.conf";
        psi.Environment.Remove("MOGUTILSCONF");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var accepted = await silent.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        Assert.Equal(0, Kill(p.Id, 2));
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(p.ExitCode == 130, $"exit code {p.ExitCode}, stderr: {await stderr}");
        Assert.Equal("", await stdout);
        Assert.Equal("mogfileinfo: interrupted\n", await stderr);
    }
}

/// <summary>
/// Skips the test when this process ignores SIGINT: a process started in the background by a
/// non-interactive shell (<c>cmd &amp;</c>) does, its children inherit that, and .NET then leaves
/// SIGINT ignored, so the tool could not be interrupted at all (it would time out instead).
/// </summary>
public sealed class SigintFactAttribute : FactAttribute
{
    public SigintFactAttribute()
    {
        if (SigintIgnored())
            Skip = "SIGINT is ignored in this process (started in the background by a non-interactive shell); a tool started from here inherits that";
    }

    private static bool SigintIgnored()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
                    return (Convert.ToUInt64(line[7..].Trim(), 16) & (1UL << (2 - 1))) != 0;
        }
        catch (IOException) { }
        return false;
    }
}
