namespace MogileFS.Tracker.Commands.Core;

/// <summary>
/// Validates a replication policy string the way 2.73 does before storing it: the LEADING policy
/// expression must parse (trailing text is accepted and stored as given). Grammar:
/// <c>Name(args)</c> with Name one of the built-in policies (<c>MultipleHosts</c>,
/// <c>MultipleDevices</c>, <c>Union</c>, and the network policies <c>HostsPerNetwork</c> and
/// <c>MultipleNetworks</c> that 2.73 gets from the MogileFS::Network plugin; a
/// <c>MogileFS::ReplicationPolicy::</c> prefix is allowed), args numbers, <c>zone=N</c> pairs or
/// nested policies separated by commas.
/// </summary>
public static class ReplPolicySyntax
{
    private static readonly string[] Known = { "MultipleHosts", "MultipleDevices", "Union", "HostsPerNetwork", "MultipleNetworks" };
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
            else if (IsZoneCount(s, ref pos))
            {
                // HostsPerNetwork(zone=N, ...): consumed
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

    /// <summary>Consumes <c>name=digits</c> (a zone and its count) when it is next.</summary>
    private static bool IsZoneCount(string s, ref int pos)
    {
        int p = pos;
        while (p < s.Length && (char.IsAsciiLetterOrDigit(s[p]) || s[p] == '_' || s[p] == '-')) p++;
        if (p == pos || p >= s.Length || s[p] != '=') return false;
        int digits = ++p;
        while (p < s.Length && char.IsAsciiDigit(s[p])) p++;
        if (p == digits) return false;
        pos = p;
        return true;
    }

    private static void SkipWs(string s, ref int pos)
    {
        while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
    }
}
