using System.Globalization;
using System.Runtime.InteropServices;

namespace MogileFS.Cli.mogilefsd;

/// <summary>
/// A non-interactive shell starts background jobs with SIGINT ignored, and the .NET runtime
/// never handles a signal that was ignored when it started. 2.73 installs its SIGINT handler
/// regardless (a backgrounded mogilefsd stops cleanly on SIGINT), so when we find SIGINT
/// ignored we reset it to the default and re-execute ourselves once, keeping the PID.
/// </summary>
internal static partial class SigIntReset
{
    private const string Guard = "MOGILEFSD_SIGINT_RESET";

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint Signal(int signum, nint handler);

    [LibraryImport("libc", EntryPoint = "execve", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execve(string path, string?[] argv, string?[] envp);

    public static void ReexecIfIgnored()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Guard) == "1") return;
        try
        {
            if (!SigIntIgnored()) return;
            string[] argv = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0');
            var env = new List<string?>();
            foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
                env.Add($"{e.Key}={e.Value}");
            env.Add(Guard + "=1");
            env.Add(null);
            Signal(2, 0); // SIGINT -> SIG_DFL; the new image starts with it not ignored
            Execve("/proc/self/exe", [.. argv, null], [.. env]);
            // execve returned: carry on with SIGINT at its default (it still stops the process).
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static bool SigIntIgnored()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("SigIgn:", StringComparison.Ordinal)) continue;
            ulong mask = ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return (mask & (1UL << (2 - 1))) != 0;
        }
        return false;
    }
}
