using System.Diagnostics;
using Xunit.Abstractions;

namespace MogileFS.Gateway.Tests;

/// <summary>A gateway on its own addresses for the client-tool scripts.</summary>
public sealed class ScriptFixture : GatewayFixture
{
    protected override string Net => "127.0.124";
}

/// <summary>
/// Runs the scripts in tests/s3-clients — Debian's <c>s3cmd</c> and <c>python3-boto3</c> driving the
/// gateway as users do (buckets, put/get, listing, multipart, sync, presigned URLs, errors) — against
/// a real cluster and gateway. Skipped, with the package to install, only when the tool is missing.
/// </summary>
public class S3ClientScriptTests(ScriptFixture f, ITestOutputHelper output) : IClassFixture<ScriptFixture>
{
    [ToolFact("s3cmd")]
    public Task S3cmd_script_passes() => RunAsync("bash", "s3cmd.sh", "s3cmd-bucket");

    [ToolFact("boto3")]
    public Task Boto3_script_passes() => RunAsync(ToolFactAttribute.Python ?? "python3", "boto3_check.py", "boto3-bucket");

    private async Task RunAsync(string interpreter, string script, string bucket)
    {
        using var work = new MogileFS.TestSupport.TempDirectory("s3-client-");
        var psi = new ProcessStartInfo(interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = work.Path,
        };
        psi.ArgumentList.Add(Path.Combine(ScriptsDir, script));
        psi.Environment["S3_ENDPOINT"] = f.Gateway.EndPoint.ToString();
        psi.Environment["S3_ACCESS_KEY"] = GatewayFixture.AccessKey;
        psi.Environment["S3_SECRET_KEY"] = GatewayFixture.SecretKey;
        psi.Environment["S3_BUCKET"] = bucket;
        psi.Environment["WORK"] = work.Path;
        psi.Environment["HOME"] = work.Path; // no user's ~/.s3cfg or ~/.aws
        foreach (var v in new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONFIG_FILE", "http_proxy", "HTTP_PROXY" })
            psi.Environment.Remove(v);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
        string text = await stdout + await stderr;
        output.WriteLine(text);
        Assert.True(p.ExitCode == 0, $"{script} failed (exit {p.ExitCode}):\n{text}\n--- gateway log ---\n{f.Cluster.Logs.Dump(40)}");
    }

    private static string ScriptsDir
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "MogileFS.slnx"))) return Path.Combine(d.FullName, "tests", "s3-clients");
            throw new DirectoryNotFoundException("the repository (MogileFS.slnx) is not above " + AppContext.BaseDirectory);
        }
    }
}

/// <summary>A test that needs a client tool: skipped, naming the Debian package, when it is not installed.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    /// <summary>A Python 3 that can import boto3 (Debian's first: that is what python3-boto3 installs into).</summary>
    public static readonly string? Python = FindPython();

    public ToolFactAttribute(string tool)
    {
        if (tool == "s3cmd" && !OnPath("s3cmd")) Skip = "s3cmd is not installed (apt-get install s3cmd)";
        if (tool == "boto3" && Python is null) Skip = "boto3 is not installed (apt-get install python3-boto3)";
    }

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, name)));

    private static string? FindPython()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                var psi = new ProcessStartInfo(candidate, ["-c", "import boto3"]) { RedirectStandardError = true, RedirectStandardOutput = true };
                using var p = Process.Start(psi)!;
                if (p.WaitForExit(20_000) && p.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        return null;
    }
}
