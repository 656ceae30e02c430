using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using MogileFS.Core.Protocol;

namespace MogileFS.Tracker.Commands.Files;

/// <summary>
/// The argument rules of <c>list_keys</c> (tracker-protocol.md §7.15) as pure functions.
/// </summary>
public static class ListKeysRules
{
    public const int MaxLimit = 1000;

    public enum AfterCheck { Ok, Mismatch, Failure }

    private static readonly SearchValues<char> RegexMeta = SearchValues.Create("\\^$.|?*+()[]{}");

    /// <summary>
    /// 2.73 checks <c>$after =~ /^$prefix/</c> when the prefix is non-empty and <c>after</c> is truthy:
    /// the prefix is a Perl regex (quirk Q12). A prefix without metacharacters is compared literally
    /// (the common case, no regex engine involved); otherwise .NET's regex engine stands in for Perl's,
    /// which agrees on ordinary patterns. An invalid pattern is <see cref="AfterCheck.Failure"/>
    /// (<c>ERR failure</c>, as 2.73 crashes there); a pattern that runs too long is treated the same.
    /// </summary>
    public static AfterCheck CheckAfter(string? prefix, string? after)
    {
        if (string.IsNullOrEmpty(prefix) || !Perl.IsTrue(after)) return AfterCheck.Ok;
        if (prefix.AsSpan().IndexOfAny(RegexMeta) < 0)
            return after!.StartsWith(prefix, StringComparison.Ordinal) ? AfterCheck.Ok : AfterCheck.Mismatch;
        try
        {
            return Regex.IsMatch(after!, "^(?:" + prefix + ")", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100))
                ? AfterCheck.Ok : AfterCheck.Mismatch;
        }
        catch (ArgumentException) { return AfterCheck.Failure; } // RegexParseException
        catch (RegexMatchTimeoutException) { return AfterCheck.Failure; }
    }

    /// <summary>
    /// <c>limit || 1000</c>, numified, capped at 1000. A non-numeric limit gives 0 (no rows, as 2.73).
    /// Deliberate difference: a negative limit means 1000 here (2.73 passes it to the database, where
    /// SQLite treats it as "no limit" and MySQL fails); an unbounded reply is never what a pager wants.
    /// A limit that is not a whole number (<c>1.9</c>, <c>1e-5</c>, <c>nan</c>) is null: 2.73 writes the number
    /// into its SQL (<c>LIMIT 1.9</c>), every database refuses it, and the client gets <c>ERR failure</c>.
    /// </summary>
    public static int? Limit(string? limitArg)
    {
        if (!Perl.IsTrue(limitArg)) return MaxLimit;
        double n = Perl.Numify(limitArg);
        if (double.IsNaN(n)) return null;
        if (n > MaxLimit) return MaxLimit; // capped before it reaches the SQL: 5000.5 and inf are 1000
        if (n != Math.Floor(n)) return null;
        if (n < 0) return MaxLimit;
        return (int)n;
    }

    /// <summary>SQL LIKE pattern for a literal prefix: <c>%</c>, <c>_</c> and <c>\</c> escaped with <c>\</c>, then <c>%</c>.</summary>
    public static string LikePattern(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix)) return "%";
        var sb = new StringBuilder(prefix.Length + 4);
        foreach (char c in prefix)
        {
            if (c is '%' or '_' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        sb.Append('%');
        return sb.ToString();
    }

    /// <summary>ASCII case-insensitive "starts with" (what SQLite's LIKE does without case_sensitive_like).</summary>
    public static bool StartsWithAsciiIgnoreCase(string key, string prefix)
    {
        if (key.Length < prefix.Length) return false;
        for (int i = 0; i < prefix.Length; i++)
        {
            char a = key[i], b = prefix[i];
            if (a == b) continue;
            if (char.IsAsciiLetter(a) && char.IsAsciiLetter(b) && (a | 0x20) == (b | 0x20)) continue;
            return false;
        }
        return true;
    }
}
