using System.Globalization;

namespace MogileFS.Tools.Common;

/// <summary>
/// Command-line options the way Perl's Getopt::Long reads them (the originals use it):
/// <c>--name=value</c>, <c>--name value</c>, one or two dashes, names case-insensitive and
/// abbreviable to any unambiguous prefix, <c>--</c> ends options. Specs: <c>name</c> (flag),
/// <c>name=s</c> (string), <c>name=i</c> (integer).
/// </summary>
public sealed class GetOpt
{
    private readonly Dictionary<string, char> _specs = new(StringComparer.OrdinalIgnoreCase);

    public GetOpt(IEnumerable<string> specs)
    {
        foreach (var s in specs)
        {
            int eq = s.IndexOf('=');
            if (eq < 0) _specs[s] = 'f';
            else _specs[s[..eq]] = s[eq + 1];
        }
    }

    public sealed class Result
    {
        public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);
        public List<string> Rest { get; } = new();
        public string? Error { get; set; }
    }

    /// <summary>
    /// Parses <paramref name="args"/>. With <paramref name="requireOrder"/> parsing stops at the first
    /// non-option; with <paramref name="passThrough"/> unknown options are left in <see cref="Result.Rest"/>.
    /// </summary>
    public Result Parse(IReadOnlyList<string> args, bool requireOrder = false, bool passThrough = false)
    {
        var r = new Result();
        for (int i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--") { r.Rest.AddRange(args.Skip(i + 1)); break; }
            if (a.Length < 2 || a[0] != '-')
            {
                if (requireOrder) { r.Rest.AddRange(args.Skip(i)); break; }
                r.Rest.Add(a);
                continue;
            }
            var body = a.StartsWith("--", StringComparison.Ordinal) ? a[2..] : a[1..];
            string name = body; string? value = null;
            int eq = body.IndexOf('=');
            if (eq >= 0) { name = body[..eq]; value = body[(eq + 1)..]; }
            var match = Resolve(name, out var ambiguous);
            if (match is null)
            {
                if (passThrough) { r.Rest.Add(a); continue; }
                r.Error = ambiguous ? $"Option {name} is ambiguous" : $"Unknown option: {name}";
                return r;
            }
            char type = _specs[match];
            if (type == 'f')
            {
                if (value is not null) { r.Error = $"Option {match} does not take an argument"; return r; }
                r.Values[match] = "1";
                continue;
            }
            if (value is null)
            {
                if (i + 1 >= args.Count || (type == 'i' && !IsInt(args[i + 1])) || (type == 's' && args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                {
                    r.Error = $"Option {match} requires an argument";
                    return r;
                }
                value = args[++i];
            }
            if (type == 'i' && !IsInt(value))
            {
                r.Error = $"Value \"{value}\" invalid for option {match} (number expected)";
                return r;
            }
            r.Values[match] = value;
        }
        return r;
    }

    private static bool IsInt(string s) => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    private string? Resolve(string name, out bool ambiguous)
    {
        ambiguous = false;
        if (name.Length == 0) return null;
        foreach (var k in _specs.Keys)
            if (string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) return k;
        var candidates = _specs.Keys.Where(k => k.StartsWith(name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (candidates.Count == 1) return candidates[0];
        ambiguous = candidates.Count > 1;
        return null;
    }
}
