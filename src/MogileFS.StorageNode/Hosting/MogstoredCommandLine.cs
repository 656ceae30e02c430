using System.Globalization;
using System.Text.RegularExpressions;

namespace MogileFS.StorageNode;

/// <summary>Everything <c>mogstored</c> was told by its flags and config file.</summary>
public sealed class MogstoredSettings
{
    public StorageNodeOptions Options { get; } = new();
    public bool Daemonize { get; set; }
    public bool SkipConfig { get; set; }
    public string? ConfigFile { get; set; }
    public string? ServerBin { get; set; }
    /// <summary>Notes for the operator (e.g. an external server type that is not launched).</summary>
    public List<string> Warnings { get; } = [];
}

/// <summary>A command-line or config-file error; <see cref="Exception.Message"/> is what
/// mogstored prints before exiting.</summary>
public sealed class MogstoredUsageException(string message) : Exception(message);

/// <summary>
/// mogstored's flags (Getopt::Long style: <c>-x</c> or <c>--x</c>, <c>--opt=value</c> or
/// <c>--opt value</c>, unambiguous abbreviations, case-insensitive) and its config file
/// (config.md §2), including the 2.73 quirk that the file overrides the flags.
/// </summary>
public static partial class MogstoredCommandLine
{
    public const string DefaultConfigFile = "/etc/mogilefs/mogstored.conf";

    private enum Kind { Flag, String, Int }

    // Same specs as 2.73, in its order; the first name is what config-file keys match.
    private static readonly (string[] Names, Kind Kind)[] Specs =
    [
        (["iostat"], Kind.Flag),
        (["s", "skipconfig"], Kind.Flag),
        (["daemonize", "d"], Kind.Flag),
        (["config"], Kind.String),
        (["httplisten"], Kind.String),
        (["mgmtlisten"], Kind.String),
        (["docroot"], Kind.String),
        (["maxconns"], Kind.Int),
        (["server"], Kind.String),
        (["serverbin"], Kind.String),
        (["pidfile"], Kind.String),
        // Ours (docs/security.md), given in full only; 2.73's config files never contain them.
        (["header_timeout"], Kind.Int),
        (["body_timeout"], Kind.Int),
        (["body_min_rate"], Kind.Int),
        (["maxconns_per_ip"], Kind.Int),
    ];

    private const int Specs27Count = 11;

    public const string Usage =
        "Usage: mogstored [OPTS]\n\n" +
        "OPTS:\n" +
        " --daemonize  -d        Daemonize\n" +
        " --config=<file>        Set config file (default is /etc/mogilefs/mogstored.conf)\n" +
        " --httplisten=<ip:port> IP/Port HTTP server listens on\n" +
        " --mgmtlisten=<ip:port> IP/Port management/sidechannel listens on\n" +
        " --docroot=<path>       Docroot above device mount points.  Defaults to /var/mogdata\n" +
        " --maxconns=<number>    Number of simultaneous clients to serve. Default 10000\n" +
        " --maxconns_per_ip=<n>  Connections one client address may hold. Default maxconns/2\n" +
        " --header_timeout=<s>   Time allowed for a whole request head. Default 10\n" +
        " --body_timeout=<s>     Upload body deadline before body_min_rate counts. Default 30\n" +
        " --body_min_rate=<B/s>  Slowest upload accepted, in bytes per second. Default 1024\n";

    public static MogstoredSettings Parse(IReadOnlyList<string> args, string defaultConfigFile = DefaultConfigFile)
    {
        var s = new MogstoredSettings();
        s.Options.Server = Environment.GetEnvironmentVariable("MOGSTORED_SERVER_TYPE") is { Length: > 0 } env ? env : "perlbal";
        var errors = new List<string>();

        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a == "--") break;
            if (a.Length < 2 || a[0] != '-') continue; // non-options are left alone, as Getopt::Long does
            string body = a.StartsWith("--", StringComparison.Ordinal) ? a[2..] : a[1..];
            string name = body;
            string? value = null;
            int eq = body.IndexOf('=');
            if (eq >= 0) { name = body[..eq]; value = body[(eq + 1)..]; }

            var spec = Find(name, errors);
            if (spec == null) continue;
            var (names, kind) = spec.Value;
            if (kind == Kind.Flag)
            {
                if (value != null) { errors.Add($"Option {names[0]} does not take an argument"); continue; }
                Apply(s, names[0], "1");
                continue;
            }
            if (value == null)
            {
                if (i + 1 >= args.Count) { errors.Add($"Option {names[0]} requires an argument"); continue; }
                value = args[++i];
            }
            if (kind == Kind.Int && !IntRegex().IsMatch(value))
            {
                errors.Add($"Value \"{value}\" invalid for option {names[0]} (number expected)");
                continue;
            }
            Apply(s, names[0], value);
        }
        if (errors.Count > 0)
            throw new MogstoredUsageException(string.Join("\n", errors) + "\n" + Usage);

        // 2.73: /^perlbal|lighttpd|apache|nginx|none$/ (loose on purpose)
        if (!ServerRegex().IsMatch(s.Options.Server))
            throw new MogstoredUsageException("Unknown server type.  Valid options: --server={perlbal,lighttpd,apache,nginx,none}");

        if (s.ConfigFile == null && File.Exists(defaultConfigFile)) s.ConfigFile = defaultConfigFile;
        if (s.ConfigFile != null && !s.SkipConfig) LoadConfigFile(s, s.ConfigFile);

        NormalizeServer(s);
        if (s.Options.DocRoot.Length > 1) s.Options.DocRoot = s.Options.DocRoot.TrimEnd('/');
        return s;
    }

    private static (string[] Names, Kind Kind)? Find(string name, List<string> errors)
    {
        foreach (var spec in Specs)
            foreach (var n in spec.Names)
                if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase)) return spec;
        var matches = new List<(string Name, (string[], Kind) Spec)>();
        // Abbreviations resolve among 2.73's options only, so that ours never make one ambiguous.
        foreach (var spec in Specs.AsSpan(0, Specs27Count))
            foreach (var n in spec.Names)
                if (name.Length > 0 && n.StartsWith(name, StringComparison.OrdinalIgnoreCase)) matches.Add((n, spec));
        var distinct = matches.Select(m => m.Spec).Distinct().ToList();
        if (distinct.Count == 1) return distinct[0];
        if (distinct.Count == 0) errors.Add($"Unknown option: {name}");
        else errors.Add($"Option {name} is ambiguous ({string.Join(", ", matches.Select(m => m.Name).OrderBy(x => x, StringComparer.Ordinal))})");
        return null;
    }

    private static void Apply(MogstoredSettings s, string option, string value)
    {
        var o = s.Options;
        switch (option)
        {
            case "iostat": o.IoStat = PerlTrue(value); break;
            case "s": s.SkipConfig = PerlTrue(value); break;
            case "daemonize": s.Daemonize = PerlTrue(value); break;
            case "config": s.ConfigFile = value; break;
            case "httplisten": o.HttpListen = value; break;
            case "mgmtlisten": o.MgmtListen = value; break;
            case "docroot": o.DocRoot = value; break;
            case "maxconns":
                if (!int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int mc) || mc <= 0)
                    throw new MogstoredUsageException($"Invalid maxconns value: {value} (a positive number is expected)");
                o.MaxConns = mc;
                break;
            case "maxconns_per_ip": o.MaxConnsPerIp = Positive(option, value); break;
            case "header_timeout": o.HeaderTimeout = TimeSpan.FromSeconds(Positive(option, value)); break;
            case "body_timeout": o.BodyTimeout = TimeSpan.FromSeconds(Positive(option, value)); break;
            case "body_min_rate": o.BodyMinRate = Positive(option, value); break;
            case "server": o.Server = value; break;
            case "serverbin": s.ServerBin = value; break;
            case "pidfile": o.PidFile = value; break;
        }
    }

    private static int Positive(string option, string value)
    {
        if (!int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) || n <= 0)
            throw new MogstoredUsageException($"Invalid {option} value: {value} (a positive number is expected)");
        return n;
    }

    /// <summary>Perl truthiness: "" and "0" are false, anything else is true (so "no" is true).</summary>
    private static bool PerlTrue(string v) => v.Length > 0 && v != "0";

    private static void LoadConfigFile(MogstoredSettings s, string file)
    {
        if (!File.Exists(file)) throw new MogstoredUsageException($"Config file {file} doesn't exist.");
        string[] lines;
        try { lines = File.ReadAllLines(file); }
        catch (Exception ex) { throw new MogstoredUsageException($"Couldn't open config file for reading: {ex.Message}"); }
        foreach (var raw in lines)
        {
            int hash = raw.IndexOf('#');
            string line = hash >= 0 ? raw[..hash] : raw;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (line.Contains("SERVER max_connect", StringComparison.OrdinalIgnoreCase) || line.Contains("CREATE SERVICE", StringComparison.OrdinalIgnoreCase))
                throw new MogstoredUsageException($"NOTE: Your {file} file is the old syntax.  The new format is simply lines of <key> = <value> where keys are the same as mogstored's command line options.\n\n{Usage}");
            var m = ConfigLine().Match(line);
            if (!m.Success) throw new MogstoredUsageException($"Unknown config syntax: {raw}");
            string key = m.Groups[1].Value, val = m.Groups[2].Value;
            // The key must be a spec's first name followed by a word boundary (so "s", not "skipconfig").
            string? option = null;
            foreach (var (names, _) in Specs)
                if (names[0] == key) option = names[0];
            if (option == null) throw new MogstoredUsageException($"Unknown config setting: {key}");
            Apply(s, option, val);
        }
    }

    private static void NormalizeServer(MogstoredSettings s)
    {
        string server = s.Options.Server;
        if (server.StartsWith("perlbal", StringComparison.Ordinal)) s.Options.Server = "perlbal";
        else if (server.EndsWith("none", StringComparison.Ordinal)) s.Options.Server = "none";
        else
        {
            s.Warnings.Add($"--server={server}: HTTP is served by the built-in server (external servers are not launched)");
            s.Options.Server = "perlbal";
        }
    }

    [GeneratedRegex(@"^\s*(\w+)\s*=\s*(.+?)\s*$")]
    private static partial Regex ConfigLine();

    [GeneratedRegex(@"^[-+]?\d+$")]
    private static partial Regex IntRegex();

    [GeneratedRegex(@"^perlbal|lighttpd|apache|nginx|none$")]
    private static partial Regex ServerRegex();
}
