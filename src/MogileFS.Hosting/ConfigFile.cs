using System.Text;
using System.Text.RegularExpressions;

namespace MogileFS.Hosting;

/// <summary>The three line syntaxes of the 2.73 configuration files (config.md).</summary>
public enum ConfigSyntax
{
    /// <summary>mogilefsd.conf: <c>key = value</c> or <c>key value</c> (whitespace
    /// after the key is required), <c>#</c> only at the start of a line, lines end at <c>\n</c>.</summary>
    Mogilefsd,

    /// <summary>mogstored.conf: <c>key = value</c>, everything after any <c>#</c> is a comment.</summary>
    Mogstored,

    /// <summary>The tools' files (~/.mogilefs.conf): as <see cref="Mogstored"/>.</summary>
    Utils,

    /// <summary>mogstats: as <see cref="Utils"/>, but <c>#</c> starts a comment only after
    /// whitespace (so DSNs and passwords may contain <c>#</c>).</summary>
    UtilsHashAfterSpace,
}

/// <summary>One line of a configuration file that is neither blank nor a comment.</summary>
/// <param name="Number">1-based line number.</param>
/// <param name="Raw">The line as read (for messages).</param>
/// <param name="Text">The line with its comment removed.</param>
/// <param name="Key">The key, or null when the line is not a setting in this syntax.</param>
/// <param name="Value">The value (surrounding whitespace removed), or null with <paramref name="Key"/>.</param>
public sealed record ConfigLine(int Number, string Raw, string Text, string? Key, string? Value);

/// <summary>
/// The one reader of the 2.73 configuration files. It only splits a file into settings, in file
/// order; what a program does with them (which file wins, unknown keys, value checks) stays with
/// the program, as each 2.73 program had its own rules. File errors are the .NET exceptions of
/// opening and reading the file (the callers word them as their originals did).
/// </summary>
public static partial class ConfigFile
{
    [GeneratedRegex(@"^[ \t\n\x0B\f\r]*(#.*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex MogilefsdBlankOrComment();

    [GeneratedRegex(@"^[ \t\n\x0B\f\r]*([A-Za-z0-9_.]+)[ \t\n\x0B\f\r]+=?[ \t\n\x0B\f\r]*(.+?)[ \t\n\x0B\f\r]*$", RegexOptions.CultureInvariant)]
    private static partial Regex MogilefsdSetting();

    [GeneratedRegex(@"^\s*(\w+)\s*=\s*(.+?)\s*$")]
    private static partial Regex EqualsSetting();

    /// <summary>Reads <paramref name="path"/> in the given syntax. Blank and comment lines are left out.</summary>
    /// <exception cref="IOException">and <see cref="UnauthorizedAccessException"/>: the file cannot be read
    /// (a directory gives <see cref="UnauthorizedAccessException"/> "Is a directory" in <see cref="ConfigSyntax.Mogilefsd"/>).</exception>
    public static List<ConfigLine> Read(string path, ConfigSyntax syntax) =>
        syntax == ConfigSyntax.Mogilefsd ? ReadMogilefsd(path) : ReadEquals(path, syntax);

    private static List<ConfigLine> ReadMogilefsd(string path)
    {
        if (Directory.Exists(path)) throw new UnauthorizedAccessException("Is a directory");
        string text = File.ReadAllText(path, new UTF8Encoding(false, false));
        var lines = text.Split('\n');
        int count = lines.Length;
        if (count > 0 && lines[^1].Length == 0) count--; // the newline at the end of the last line
        var result = new List<ConfigLine>();
        for (int i = 0; i < count; i++)
        {
            string line = lines[i];
            if (MogilefsdBlankOrComment().IsMatch(line)) continue;
            var m = MogilefsdSetting().Match(line);
            result.Add(m.Success
                ? new ConfigLine(i + 1, line, line, m.Groups[1].Value, m.Groups[2].Value)
                : new ConfigLine(i + 1, line, line, null, null));
        }
        return result;
    }

    private static List<ConfigLine> ReadEquals(string path, ConfigSyntax syntax)
    {
        var result = new List<ConfigLine>();
        string[] lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            string raw = lines[i];
            int hash = syntax == ConfigSyntax.UtilsHashAfterSpace ? CommentAfterSpace(raw) : raw.IndexOf('#');
            string line = hash >= 0 ? raw[..hash] : raw;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var m = EqualsSetting().Match(line);
            result.Add(m.Success
                ? new ConfigLine(i + 1, raw, line, m.Groups[1].Value, m.Groups[2].Value)
                : new ConfigLine(i + 1, raw, line, null, null));
        }
        return result;
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
}
