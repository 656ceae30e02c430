namespace MogileFS.Tracker.Commands.Core;

/// <summary>
/// Validates a replication policy string the way 2.73 does before storing it: the LEADING policy
/// expression must parse (trailing text is accepted and stored as given). Grammar:
/// <c>Name(args)</c> with Name one of the built-in policies (<c>MultipleHosts</c>,
/// <c>MultipleDevices</c>, <c>Union</c>; a <c>MogileFS::ReplicationPolicy::</c> prefix is allowed),
/// args numbers or nested policies separated by commas.
/// </summary>
public static class ReplPolicySyntax
{
    private static readonly string[] Known = { "MultipleHosts", "MultipleDevices", "Union" };
    private const string Prefix = "MogileFS::ReplicationPolicy::";

    /// <summary>Null when valid, else the error text for <c>ERR invalid_replpolicy</c>.</summary>
    public static string? Validate(string policy)
    {
        int pos = 0;
        var err = ParsePolicy(policy, ref pos);
        return err is null ? null : $"Failed to parse policy string: {policy} ({err})";
    }

    private static string? ParsePolicy(string s, ref int pos)
    {
        SkipWs(s, ref pos);
        int start = pos;
        while (pos < s.Length && (char.IsAsciiLetterOrDigit(s[pos]) || s[pos] == '_' || s[pos] == ':')) pos++;
        var name = s[start..pos];
        if (name.Length == 0) return "no policy name";
        if (name.StartsWith(Prefix, StringComparison.Ordinal)) name = name[Prefix.Length..];
        if (Array.IndexOf(Known, name) < 0) return $"unknown policy '{name}'";
        SkipWs(s, ref pos);
        if (pos >= s.Length || s[pos] != '(') return "expected '('";
        pos++;
        SkipWs(s, ref pos);
        if (pos < s.Length && s[pos] == ')') { pos++; return null; }
        while (true)
        {
            SkipWs(s, ref pos);
            if (pos < s.Length && char.IsAsciiDigit(s[pos]))
            {
                while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
            }
            else
            {
                var e = ParsePolicy(s, ref pos);
                if (e != null) return e;
            }
            SkipWs(s, ref pos);
            if (pos < s.Length && s[pos] == ',') { pos++; continue; }
            if (pos < s.Length && s[pos] == ')') { pos++; return null; }
            return "expected ',' or ')'";
        }
    }

    private static void SkipWs(string s, ref int pos)
    {
        while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
    }
}
