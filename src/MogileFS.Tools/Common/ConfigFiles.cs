using System.Text.RegularExpressions;

namespace MogileFS.Tools.Common;

/// <summary>
/// The tools' configuration files (<c>key = value</c>, <c>#</c> starts a comment):
/// an explicit file (<c>--conf</c>/<c>--config</c>), <c>$MOGUTILSCONF</c>, <c>~/.mogilefs.conf</c>,
/// <c>/etc/mogilefs/mogilefs.conf</c>. The first file in that list that sets a key wins
/// (command-line options win over all files).
/// </summary>
public static partial class ConfigFiles
{
    [GeneratedRegex(@"^\s*(\w+)\s*=\s*(.+?)\s*$")]
    private static partial Regex Line();

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

    private static int CommentAfterSpace(string line)
    {
        for (int i = 1; i < line.Length; i++)
            if (line[i] == '#' && char.IsWhiteSpace(line[i - 1]))
            {
                int j = i - 1;
                while (j > 0 && char.IsWhiteSpace(line[j - 1])) j--;
                return j;
            }
        return -1;
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
            string[] lines;
            try { lines = File.ReadAllLines(f); }
            catch (Exception e) { throw new ToolException($"unable to open {f}: {e.Message}"); }
            foreach (var raw in lines)
            {
                var line = raw;
                // mogadm and the Utils tools cut at any '#'; mogstats only at whitespace + '#'
                // (so DSNs and passwords may contain '#').
                int hash = commentNeedsSpace ? CommentAfterSpace(line) : line.IndexOf('#');
                if (hash >= 0) line = line[..hash];
                var m = Line().Match(line);
                if (!m.Success) continue;
                result.TryAdd(m.Groups[1].Value, m.Groups[2].Value);
            }
        }
        return result;
    }
}
