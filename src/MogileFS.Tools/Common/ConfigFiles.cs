using MogileFS.Hosting;

namespace MogileFS.Tools.Common;

/// <summary>
/// The tools' configuration files (<c>key = value</c>, <c>#</c> starts a comment):
/// an explicit file (<c>--conf</c>/<c>--config</c>), <c>$MOGUTILSCONF</c>, <c>~/.mogilefs.conf</c>,
/// <c>/etc/mogilefs/mogilefs.conf</c>. The first file in that list that sets a key wins
/// (command-line options win over all files).
/// </summary>
public static class ConfigFiles
{
    /// <summary>The system-wide file; overridable for tests with <c>MOGILEFS_SYSTEM_CONF</c>.</summary>
    public static string SystemFile => Environment.GetEnvironmentVariable("MOGILEFS_SYSTEM_CONF") ?? "/etc/mogilefs/mogilefs.conf";

    public static IEnumerable<string?> DefaultFiles(string? explicitFile, bool includeEnv)
    {
        yield return explicitFile;
        if (includeEnv) yield return Environment.GetEnvironmentVariable("MOGUTILSCONF");
        var home = Environment.GetEnvironmentVariable("HOME");
        if (!string.IsNullOrEmpty(home)) yield return Path.Combine(home, ".mogilefs.conf");
        yield return SystemFile;
    }

    /// <summary>Reads the files in priority order; a key set by an earlier file is kept.</summary>
    /// <exception cref="ToolException">An explicitly named file cannot be read.</exception>
    public static Dictionary<string, string> Read(IEnumerable<string?> files, string? explicitFile, bool commentNeedsSpace = false)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            if (string.IsNullOrEmpty(f)) continue;
            if (!File.Exists(f))
            {
                if (f == explicitFile) throw new ToolException($"unable to open {f}: No such file or directory");
                continue;
            }
            List<ConfigLine> lines;
            // mogadm and the Utils tools cut at any '#'; mogstats only at whitespace + '#'
            // (so DSNs and passwords may contain '#').
            try { lines = ConfigFile.Read(f, commentNeedsSpace ? ConfigSyntax.UtilsHashAfterSpace : ConfigSyntax.Utils); }
            catch (Exception e) { throw new ToolException($"unable to open {f}: {e.Message}"); }
            foreach (var line in lines)
                if (line.Key is { } key && line.Value is { } value) result.TryAdd(key, value);
        }
        return result;
    }
}
