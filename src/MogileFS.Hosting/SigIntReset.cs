using System.Globalization;

namespace MogileFS.Hosting;

/// <summary>
/// A non-interactive shell starts background jobs with SIGINT ignored, and the .NET runtime
/// never handles a signal that was ignored when it started. 2.73 installs its SIGINT handler
/// regardless (a backgrounded mogilefsd stops cleanly on SIGINT), so when we find SIGINT
/// ignored we reset it to the default and re-execute ourselves once, keeping the PID.
/// (mogilefsd does this; mogstored never has.)
/// </summary>
public static class SigIntReset
{
    /// <summary>Call first thing in Main. <paramref name="program"/> names the guard variable
    /// (<c>MOGILEFSD_SIGINT_RESET</c> for mogilefsd) that stops a second re-execution.</summary>
    public static void ReexecIfIgnored(string program)
    {
        string guard = program.ToUpperInvariant() + "_SIGINT_RESET";
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(guard) == "1") return;
        try
        {
            if (!SigIntIgnored()) return;
            string[] argv = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0');
            var env = new List<string?>();
            foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
                env.Add($"{e.Key}={e.Value}");
            env.Add(guard + "=1");
            env.Add(null);
            Native.Signal(2, 0); // SIGINT -> SIG_DFL; the new image starts with it not ignored
            Native.Execve("/proc/self/exe", [.. argv, null], [.. env]);
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
