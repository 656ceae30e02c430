using System.Diagnostics;
using System.Text;
using MogileFS.TestSupport;

namespace MogileFS.Store.Tests;

/// <summary>Runs one of our built executables (bin/&lt;Configuration&gt;/net10.0/&lt;name&gt;.dll)
/// through the dotnet host, with a time limit.</summary>
internal static class ToolProcess
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public string All => StdOut + StdErr;
    }

    public static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    public static string DllPath(string project, string? assembly = null)
    {
        string path = Path.Combine(Processes.RepositoryRoot, "src", project, "bin", Configuration, "net10.0", (assembly ?? project) + ".dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is not built", path);
        return path;
    }

    public static ProcessStartInfo StartInfo(string project, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(DllPath(project));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("DEBUG");
        return psi;
    }

    public static async Task<Result> RunAsync(string project, IEnumerable<string> args, string? stdin = null, int timeoutSeconds = 60)
    {
        using var p = Process.Start(StartInfo(project, args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{project} {string.Join(' ', args)} did not exit within {timeoutSeconds}s");
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }
}
