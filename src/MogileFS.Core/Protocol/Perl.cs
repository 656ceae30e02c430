using System.Globalization;

namespace MogileFS.Core.Protocol;

/// <summary>
/// Perl's conversions of argument strings (tracker-protocol.md §5.4), which decide what a
/// malformed request means: truthiness, numification ("4xyz" is 4, "abc" is 0) and int().
/// </summary>
public static class Perl
{
    /// <summary>False for absent, empty or exactly "0"; everything else ("00", "0.0", " 0") is true.</summary>
    public static bool IsTrue(string? v) => v is { Length: > 0 } && !(v.Length == 1 && v[0] == '0');

    /// <summary>Perl numeric value: leading whitespace, sign, digits, fraction, exponent; garbage after is ignored; nothing numeric = 0.</summary>
    public static double Numify(string? v)
    {
        if (v is null) return 0;
        return Numify(v.AsSpan());
    }

    public static double Numify(ReadOnlySpan<char> s)
    {
        int i = 0, n = s.Length;
        while (i < n && IsSpace(s[i])) i++;
        int start = i;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        int digitsStart = i;
        // Perl also accepts Inf/Infinity/NaN (any case).
        if (i < n && (s[i] is 'i' or 'I' or 'n' or 'N'))
        {
            var rest = s[i..];
            bool neg = i > start && s[start] == '-';
            if (rest.StartsWith("inf", StringComparison.OrdinalIgnoreCase)) return neg ? double.NegativeInfinity : double.PositiveInfinity;
            if (rest.StartsWith("nan", StringComparison.OrdinalIgnoreCase)) return double.NaN;
            return 0;
        }
        int mant = 0;
        while (i < n && IsDigit(s[i])) { i++; mant++; }
        if (i < n && s[i] == '.')
        {
            i++;
            while (i < n && IsDigit(s[i])) { i++; mant++; }
        }
        if (mant == 0) return 0;
        int end = i;
        if (i < n && (s[i] == 'e' || s[i] == 'E'))
        {
            int j = i + 1;
            if (j < n && (s[j] == '+' || s[j] == '-')) j++;
            int expDigits = 0;
            while (j < n && IsDigit(s[j])) { j++; expDigits++; }
            if (expDigits > 0) end = j;
        }
        _ = digitsStart;
        var slice = s[start..end];
        if (slice.Length > 0 && slice[^1] == '.') slice = slice[..^1];
        return double.TryParse(slice, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0;
    }

    /// <summary>Perl int(): numify, then truncate toward zero.</summary>
    public static double Int(string? v) => Math.Truncate(Numify(v));

    /// <summary>int() clamped into a long (NaN → 0).</summary>
    public static long IntAsLong(string? v)
    {
        var d = Int(v);
        if (double.IsNaN(d)) return 0;
        if (d >= long.MaxValue) return long.MaxValue;
        if (d <= long.MinValue) return long.MinValue;
        return (long)d;
    }

    /// <summary>How Perl prints a number: integers plainly, others with %.15g ("1.5", "1e+20").</summary>
    public static string FormatNumber(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Inf";
        if (double.IsNegativeInfinity(d)) return "-Inf";
        if (d == Math.Truncate(d) && Math.Abs(d) < 1e15) return ((long)d).ToString(CultureInfo.InvariantCulture);
        var s = d.ToString("G15", CultureInfo.InvariantCulture);
        int e = s.IndexOf('E');
        if (e < 0) return s;
        // .NET "1E+20" → Perl "1e+20"; exponent at least two digits.
        var mant = s[..e];
        var sign = s[e + 1];
        var digits = s[(e + 2)..].TrimStart('0');
        if (digits.Length < 2) digits = digits.PadLeft(2, '0');
        return mant + "e" + sign + digits;
    }

    /// <summary>True if the string is non-empty and only ASCII digits (Perl /^\d+$/ without the trailing-newline quirk).</summary>
    public static bool IsAllDigits(string? v)
    {
        if (string.IsNullOrEmpty(v)) return false;
        foreach (var c in v) if (!IsDigit(c)) return false;
        return true;
    }

    private static bool IsDigit(char c) => (uint)(c - '0') <= 9;
    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v';
}
