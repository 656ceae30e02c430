using System.Globalization;
using System.Text.RegularExpressions;

namespace MogileFS.Hosting;

/// <summary>
/// A command-line parser that behaves like Perl's Getopt::Long as MogileFS 2.73 configures it,
/// because operators' scripts and init files pass flags the original accepted, and its
/// warnings name the offending option the same way.
///
/// Specs: <c>"c|config=s"</c> (mandatory string), <c>"dbpass:s"</c> (optional string),
/// <c>"p|confport=i"</c> (integer), <c>"l|listen=s@"</c> (repeatable), <c>"d|debug+"</c>
/// (counter), <c>"job_master!"</c> (negatable: also <c>--nojob_master</c>, <c>--no-job_master</c>),
/// <c>"no_http"</c> (flag). Long names are case-insensitive and may be abbreviated to any
/// unambiguous prefix. With <see cref="Bundling"/>, a single dash introduces bundled
/// single-letter options (<c>-dD</c>, <c>-w3</c>, <c>-cFILE</c>) which are case-sensitive, and
/// long options need two dashes; without it, one or two dashes both introduce long names.
/// Problems do not stop parsing: each produces Getopt::Long's warning text in
/// <see cref="Result.Warnings"/> and the option is skipped, as in the original.
///
/// This is the only command-line parser of the executables. The three 2.73 programs it stands in
/// for (mogilefsd/mogdbsetup, mogstored, the MogileFS::Utils tools and mogadm) configured
/// Getopt::Long differently and our earlier ports reproduced their texts exactly; those
/// differences are the switches of <see cref="GetoptConfig"/> and its presets.
/// </summary>
public sealed class GetoptLong
{
    private enum ArgKind { None, Counter, Negatable, Mandatory, Optional }

    private sealed record Spec(string Key, string[] Names, ArgKind Kind, bool Integer, bool Repeatable);

    private sealed record NameEntry(string Name, string Compare, Spec Spec, bool Negated, bool Abbreviable);

    private static readonly Regex IntegerValue = new(@"^[-+]?\d+$", RegexOptions.CultureInvariant);
    private static readonly Regex LeadingInteger = new(@"^[-+]?\d+", RegexOptions.CultureInvariant);

    private readonly List<NameEntry> _names = new();
    private readonly Dictionary<char, Spec> _singles = new();

    public GetoptLong(bool bundling, params string[] specs)
        : this(GetoptConfig.Default with { Bundling = bundling }, specs)
    {
    }

    public GetoptLong(GetoptConfig config, params IEnumerable<string> specs)
    {
        Config = config;
        foreach (var text in specs) Add(text);
    }

    public GetoptConfig Config { get; }

    public bool Bundling => Config.Bundling;

    /// <summary>What a parse produced. Values are keyed by the option's first name.</summary>
    public sealed class Result
    {
        public Dictionary<string, List<string>> Values { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, int> Counters { get; } = new(StringComparer.Ordinal);
        public List<string> Warnings { get; } = new();
        public List<string> Arguments { get; } = new();
        /// <summary>Every value stored, in command-line order (for programs that act on each one).</summary>
        public List<KeyValuePair<string, string>> Occurrences { get; } = new();
        public bool Success => Warnings.Count == 0;
        /// <summary>The first problem, or null (with <see cref="GetoptConfig.StopAtFirstError"/> the only one).</summary>
        public string? Error => Warnings.Count > 0 ? Warnings[0] : null;
        /// <summary>Each option given, with its last value.</summary>
        public IEnumerable<KeyValuePair<string, string>> LastValues =>
            Values.Where(kv => kv.Value.Count > 0).Select(kv => KeyValuePair.Create(kv.Key, kv.Value[^1]));

        public bool Has(string key) => Values.ContainsKey(key) || Counters.ContainsKey(key);
        public string? Last(string key) => Values.TryGetValue(key, out var v) && v.Count > 0 ? v[^1] : null;
        public IReadOnlyList<string> All(string key) => Values.TryGetValue(key, out var v) ? v : [];
        public int Count(string key) => Counters.TryGetValue(key, out var n) ? n : 0;
    }

    private void Add(string text)
    {
        var m = Regex.Match(text, @"^([\w|?-]+)(=s@?|=i@?|:s|\+|!)?$", RegexOptions.CultureInvariant);
        if (!m.Success) throw new ArgumentException("bad option spec " + text);
        var names = m.Groups[1].Value.Split('|');
        string type = m.Groups[2].Value;
        var kind = type switch
        {
            "" => ArgKind.None,
            "+" => ArgKind.Counter,
            "!" => ArgKind.Negatable,
            ":s" => ArgKind.Optional,
            _ => ArgKind.Mandatory,
        };
        var spec = new Spec(names[0], names, kind, type.StartsWith("=i", StringComparison.Ordinal), type.EndsWith('@'));
        foreach (var name in names)
        {
            // Single letters are case-sensitive when bundling (-d is not -D); long names never are.
            string compare = Bundling && name.Length == 1 ? name : name.ToLowerInvariant();
            bool abbreviable = Config.ExactOnly?.Contains(names[0]) != true;
            _names.Add(new NameEntry(name, compare, spec, false, abbreviable));
            if (name.Length == 1 && Bundling) _singles[name[0]] = spec;
            if (kind == ArgKind.Negatable)
            {
                _names.Add(new NameEntry("no" + name, ("no" + name).ToLowerInvariant(), spec, true, abbreviable));
                _names.Add(new NameEntry("no-" + name, ("no-" + name).ToLowerInvariant(), spec, true, abbreviable));
            }
        }
    }

    public Result Parse(IReadOnlyList<string> args)
    {
        var r = new Result();
        for (int i = 0; i < args.Count; i++)
        {
            if (Config.StopAtFirstError && r.Warnings.Count > 0) break;
            string a = args[i];
            if (a == "--")
            {
                for (int j = i + 1; j < args.Count; j++) r.Arguments.Add(args[j]);
                break;
            }
            if (a.Length < 2 || a[0] != '-')
            {
                if (Config.RequireOrder)
                {
                    for (int j = i; j < args.Count; j++) r.Arguments.Add(args[j]);
                    break;
                }
                r.Arguments.Add(a);
                continue;
            }
            if (Bundling && a[1] != '-')
                ParseBundle(a.AsSpan(1).ToString(), args, ref i, r);
            else
                ParseLong(a, a.StartsWith("--", StringComparison.Ordinal) ? a[2..] : a[1..], args, ref i, r);
        }
        return r;
    }

    private void ParseLong(string arg, string body, IReadOnlyList<string> args, ref int i, Result r)
    {
        string name = body;
        string? inline = null;
        int eq = body.IndexOf('=');
        if (eq >= 0)
        {
            name = body[..eq];
            inline = body[(eq + 1)..];
        }
        var entry = Find(name, r, out string? problem);
        if (entry == null)
        {
            if (Config.PassThrough) r.Arguments.Add(arg);
            else r.Warnings.Add(problem!);
            return;
        }
        var spec = entry.Spec;
        string shown = Config.NameOptionsByFirstName ? spec.Names[0] : entry.Name;
        switch (spec.Kind)
        {
            case ArgKind.None:
            case ArgKind.Counter:
            case ArgKind.Negatable:
                if (inline != null)
                {
                    r.Warnings.Add($"Option {shown} does not take an argument");
                    return;
                }
                ApplyFlag(spec, entry.Negated, r);
                return;
            case ArgKind.Optional:
                if (inline != null) Store(spec, inline, r);
                else if (i + 1 < args.Count && !LooksLikeOption(args[i + 1])) Store(spec, args[++i], r);
                else Store(spec, "", r);
                return;
            default:
                string? value = inline;
                if (value == null && i + 1 < args.Count && !(Config.ValueMustNotLookLikeOption && LooksLikeOtherOption(spec, args[i + 1])))
                    value = args[++i];
                if (value == null || (inline != null && inline.Length == 0 && !Config.AllowEmptyInlineValue))
                {
                    r.Warnings.Add($"Option {shown} requires an argument");
                    return;
                }
                if (spec.Integer && !IsInteger(value))
                {
                    r.Warnings.Add($"Value \"{value}\" invalid for option {shown} (number expected)");
                    return;
                }
                Store(spec, spec.Integer ? NormalizeInteger(value) : value, r);
                return;
        }
    }

    private void ParseBundle(string bundle, IReadOnlyList<string> args, ref int i, Result r)
    {
        int pos = 0;
        while (pos < bundle.Length)
        {
            char c = bundle[pos++];
            if (!_singles.TryGetValue(c, out var spec))
            {
                r.Warnings.Add($"Unknown option: {c}");
                continue;
            }
            string rest = bundle[pos..];
            switch (spec.Kind)
            {
                case ArgKind.None:
                case ArgKind.Counter:
                case ArgKind.Negatable:
                    ApplyFlag(spec, false, r);
                    continue;
                case ArgKind.Optional:
                    if (rest.Length > 0) Store(spec, rest, r);
                    else if (i + 1 < args.Count && !LooksLikeOption(args[i + 1])) Store(spec, args[++i], r);
                    else Store(spec, "", r);
                    return;
                default:
                    if (rest.Length == 0)
                    {
                        if (i + 1 >= args.Count)
                        {
                            r.Warnings.Add($"Option {c} requires an argument");
                            return;
                        }
                        string next = args[++i];
                        if (spec.Integer && !IsInteger(next))
                            r.Warnings.Add($"Value \"{next}\" invalid for option {c} (number expected)");
                        else
                            Store(spec, spec.Integer ? NormalizeInteger(next) : next, r);
                        return;
                    }
                    if (!spec.Integer)
                    {
                        Store(spec, rest, r);
                        return;
                    }
                    // -w3D: the digits are the value and the rest is more bundled options;
                    // -wD: a warning, and D is still processed (Getopt::Long does the same).
                    var m = LeadingInteger.Match(rest);
                    if (m.Success)
                    {
                        Store(spec, NormalizeInteger(m.Value), r);
                        pos += m.Length;
                    }
                    else
                        r.Warnings.Add($"Value \"{rest}\" invalid for option {c} (number expected)");
                    continue;
            }
        }
    }

    private NameEntry? Find(string name, Result r, out string? problem)
    {
        problem = null;
        string key = name.ToLowerInvariant();
        string shown = Config.EchoTypedName ? name : key;
        var exact = _names.Where(n => n.Compare == key).ToList();
        if (exact.Count == 0 && Bundling && name.Length == 1)
            exact = _names.Where(n => n.Compare == name).ToList();
        if (exact.Count > 0) return exact[0];
        var hits = _names.Where(n => n.Abbreviable && n.Compare.StartsWith(key, StringComparison.Ordinal)).ToList();
        if (key.Length > 0 && hits.Select(h => (h.Spec.Key, h.Negated)).Distinct().Count() == 1) return hits[0];
        if (hits.Count == 0 || key.Length == 0)
        {
            problem = $"Unknown option: {shown}";
            return null;
        }
        if (!Config.ListAmbiguousCandidates)
        {
            problem = $"Option {shown} is ambiguous";
            return null;
        }
        var candidates = hits.Select(h => h.Compare).Distinct().OrderBy(s => s, StringComparer.Ordinal);
        problem = $"Option {shown} is ambiguous ({string.Join(", ", candidates)})";
        return null;
    }

    private static bool LooksLikeOption(string arg) => arg.Length > 1 && arg[0] == '-';

    // GetoptConfig.ValueMustNotLookLikeOption: "--key --other" leaves --other alone, and an
    // integer option does not take a next word that is no integer.
    private bool LooksLikeOtherOption(Spec spec, string next) =>
        spec.Integer ? !IsInteger(next) : next.Length > 2 && next.StartsWith("--", StringComparison.Ordinal);

    private bool IsInteger(string value) => Config.Int64Values
        ? long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
        : IntegerValue.IsMatch(value);

    private string NormalizeInteger(string value)
    {
        if (!Config.NormalizeIntegers) return value;
        // "+5" and "05" are 5, as Perl numifies them; keep the text if it does not fit a long.
        return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)
            ? n.ToString(CultureInfo.InvariantCulture) : value;
    }

    private static void ApplyFlag(Spec spec, bool negated, Result r)
    {
        if (spec.Kind == ArgKind.Counter)
        {
            r.Counters[spec.Key] = r.Count(spec.Key) + 1;
            return;
        }
        Store(spec, negated ? "0" : "1", r);
    }

    private static void Store(Spec spec, string value, Result r)
    {
        if (!r.Values.TryGetValue(spec.Key, out var list)) r.Values[spec.Key] = list = new List<string>();
        if (!spec.Repeatable) list.Clear();
        list.Add(value);
        r.Occurrences.Add(KeyValuePair.Create(spec.Key, value));
    }
}
