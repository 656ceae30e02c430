using System.Diagnostics;

namespace MogileFS.Client.Tests;

/// <summary>Runs one of the built tools as a child process with a clean environment (own HOME, no system config).</summary>
internal static class ToolRunner
{
    public sealed record Result(int ExitCode, string Out, string Err);

    public static async Task<Result> RunAsync(string tool, IEnumerable<string> args, string? home = null,
        byte[]? stdin = null, IDictionary<string, string>? env = null)
    {
        var exe = Path.Combine(AppContext.BaseDirectory, tool);
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = home ?? Path.Combine(Path.GetTempPath(), "mogtools-nohome");
        psi.Environment["MOGILEFS_SYSTEM_CONF"] = "/nonexistent/mogilefs.conf";
        psi.Environment.Remove("MOGUTILSCONF");
        if (env != null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null) await p.StandardInput.BaseStream.WriteAsync(stdin);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); throw new TimeoutException($"{tool} did not finish"); }
        return new Result(p.ExitCode, await stdout, await stderr);
    }
}
