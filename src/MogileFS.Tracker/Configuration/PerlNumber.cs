using System.Globalization;
using System.Text.RegularExpressions;

namespace MogileFS.Tracker.Configuration;

/// <summary>Perl's string-to-number conversion: leading white space, then the longest numeric
/// prefix ("10 # ten" is 10, "1e3" is 1000, "abc" is 0).</summary>
public static class PerlNumber
{
    private static readonly Regex Prefix = new(
        @"^[ \t\n\x0B\f\r]*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)", RegexOptions.CultureInvariant);

    /// <returns>The value, whether the whole string was the number, and whether any number was found.</returns>
    public static (double Value, bool Clean, bool Any) Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return (0, false, false);
        var m = Prefix.Match(text);
        if (!m.Success) return (0, false, false);
        double v = double.Parse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        bool clean = text[m.Length..].Trim(' ', '\t', '\n', '\x0B', '\f', '\r').Length == 0;
        return (v, clean, true);
    }
}
