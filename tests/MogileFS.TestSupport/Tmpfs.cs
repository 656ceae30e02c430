using Xunit;
using System.Diagnostics;

namespace MogileFS.TestSupport;

/// <summary>Small tmpfs mounts for full-disk and read-only tests (root only), and running a command.</summary>
public static class Tmpfs
{
    /// <summary>Mounts a tmpfs with <paramref name="options"/> (e.g. <c>size=1m</c>, <c>ro,size=1m</c>) on <paramref name="path"/>.</summary>
    public static bool Mount(string path, string options, out string error)
    {
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", path);
        error = output;
        return code == 0;
    }

    public static void Unmount(string path) => Run("umount", "-l", path);

    /// <summary>Runs a command; its exit code and its stdout + stderr (-1 and the message if it cannot start).</summary>
    public static (int Code, string Output) Run(string file, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            string o = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, o.Trim());
        }
        catch (Exception ex) { return (-1, ex.Message); }
    }
}

/// <summary>Skipped (with the reason) unless a tmpfs can be mounted, i.e. running as root with
/// CAP_SYS_ADMIN, which CI has.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Problem = new(Probe);

    public TmpfsFactAttribute()
    {
        if (Problem.Value != null) Skip = Problem.Value;
    }

    private static string? Probe()
    {
        if (!Processes.IsRoot) return "needs root to mount a small tmpfs";
        using var dir = new TempDirectory("mog-mountprobe-");
        if (!Tmpfs.Mount(dir.Path, "size=64k", out string err)) return "cannot mount tmpfs: " + err;
        Tmpfs.Unmount(dir.Path);
        return null;
    }
}
