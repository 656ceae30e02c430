using System.Globalization;
using System.Text.RegularExpressions;
using MogileFS.Hosting;
using MogileFS.StorageNode;

namespace MogileFS.Cli.mogstored;

/// <summary>Everything <c>mogstored</c> was told by its flags and config file.</summary>
public sealed class MogstoredSettings
{
    public StorageNodeOptions Options { get; } = new();
    public bool Daemonize { get; set; }
    public bool SkipConfig { get; set; }
    public string? ConfigFile { get; set; }
    public string? ServerBin { get; set; }
    public string? PidFile { get; set; }
    /// <summary>status_listen: ip:port of the HTTP status port (/metrics, /healthz, /readyz); empty = none.</summary>
    public string StatusListen { get; set; } = "";
    /// <summary>log_target / log_file / log_format (docs/metrics.md).</summary>
    public string LogTarget { get; set; } = "";
    public string? LogFile { get; set; }
    public string LogFormat { get; set; } = "text";
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

    // Same specs as 2.73, in its order; the first name is what config-file keys match. The last
    // ten are ours (docs/security.md, docs/metrics.md, docs/storage-node.md), recognised only in full: 2.73's config files never
    // contain them, and they must not make a 2.73 abbreviation ambiguous.
    private static readonly string[] Specs =
    [
        "iostat", "s|skipconfig", "daemonize|d", "config=s", "httplisten=s", "mgmtlisten=s", "docroot=s",
        "maxconns=i", "server=s", "serverbin=s", "pidfile=s",
        "header_timeout=i", "body_timeout=i", "body_min_rate=i", "maxconns_per_ip=i", "status_listen=s",
        "access_log=s", "log_target=s", "log_file=s", "log_format=s", "join=s",
    ];

    private static readonly GetoptLong Flags = new(
        GetoptConfig.Mogstored with { ExactOnly = new HashSet<string>(StringComparer.Ordinal) { "header_timeout", "body_timeout", "body_min_rate", "maxconns_per_ip", "status_listen", "access_log", "log_target", "log_file", "log_format", "join" } },
        Specs);

    private static readonly HashSet<string> FileKeys = Specs.Select(s => s.Split('|', '=')[0]).ToHashSet(StringComparer.Ordinal);

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
        " --body_min_rate=<B/s>  Slowest upload accepted, in bytes per second. Default 1024\n" +
        " --skipconfig  -s       Do not read any config file\n" +
        " --pidfile=<file>       Write the process id to this file\n" +
        " --iostat               Report device utilisation on the side channel\n" +
        " --server=<type>        perlbal (the built-in server, default) or none (see docs/storage-node.md)\n" +
        " --serverbin=<path>     Accepted for 2.73 compatibility, not used\n" +
        " --status_listen=<ip:port> Serve /metrics, /healthz, /readyz over HTTP. Default off\n" +
        " --access_log=0|1       One log line per HTTP request. Default 1\n" +
        " --join=0|1             Serve POST <path>?join (files built from other files). Default 1\n" +
        " --log_target=<t>       stderr, stdout, syslog or file. Default stderr (syslog with --daemonize)\n" +
        " --log_file=<path>      Log to this file\n" +
        " --log_format=<f>       text or json. Default text\n" +
        " --help                 This text\n" +
        " --version              Print the version and exit\n";

    public static MogstoredSettings Parse(IReadOnlyList<string> args, string defaultConfigFile = DefaultConfigFile)
    {
        var s = new MogstoredSettings();
        s.Options.Server = Environment.GetEnvironmentVariable("MOGSTORED_SERVER_TYPE") is { Length: > 0 } env ? env : "perlbal";

        // Each value is applied in order (a bad maxconns stops at once), then flag problems.
        var parsed = Flags.Parse(args);
        foreach (var (option, value) in parsed.Occurrences) Apply(s, option, value);
        if (parsed.Warnings.Count > 0)
            throw new MogstoredUsageException(string.Join("\n", parsed.Warnings) + "\n" + Usage);

        // 2.73: /^perlbal|lighttpd|apache|nginx|none$/ (loose on purpose)
        if (!ServerRegex().IsMatch(s.Options.Server))
            throw new MogstoredUsageException("Unknown server type.  Valid options: --server={perlbal,lighttpd,apache,nginx,none}");

        if (s.ConfigFile == null && File.Exists(defaultConfigFile)) s.ConfigFile = defaultConfigFile;
        if (s.ConfigFile != null && !s.SkipConfig) LoadConfigFile(s, s.ConfigFile);

        if (s.LogTarget == "file" && s.LogFile == null)
            throw new MogstoredUsageException("log_target = file needs log_file = <path>");
        NormalizeServer(s);
        if (s.Options.DocRoot.Length > 1) s.Options.DocRoot = s.Options.DocRoot.TrimEnd('/');
        return s;
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
            case "pidfile": s.PidFile = value; break;
            case "access_log": o.AccessLog = PerlTrue(value.Trim()); break;
            case "join": o.Join = PerlTrue(value.Trim()); break;
            case "log_target":
                if (value.Trim() is not ("stderr" or "stdout" or "syslog" or "file"))
                    throw new MogstoredUsageException($"Invalid log_target value: {value} (stderr, stdout, syslog or file is expected)");
                s.LogTarget = value.Trim();
                break;
            case "log_file": s.LogFile = value.Trim().Length > 0 ? value.Trim() : null; break;
            case "log_format":
                if (value.Trim() is not ("text" or "json"))
                    throw new MogstoredUsageException($"Invalid log_format value: {value} (text or json is expected)");
                s.LogFormat = value.Trim();
                break;
            case "status_listen":
                try { MogileFS.Hosting.Status.StatusEndpoint.ParseListen(value); }
                catch (FormatException) { throw new MogstoredUsageException($"Invalid status_listen value: {value} (ip:port is expected, e.g. 127.0.0.1:7580)"); }
                s.StatusListen = value.Trim();
                break;
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
        List<ConfigLine> lines;
        try { lines = ConfigFile.Read(file, ConfigSyntax.Mogstored); }
        catch (Exception ex) { throw new MogstoredUsageException($"Couldn't open config file for reading: {ex.Message}"); }
        foreach (var line in lines)
        {
            if (line.Text.Contains("SERVER max_connect", StringComparison.OrdinalIgnoreCase) || line.Text.Contains("CREATE SERVICE", StringComparison.OrdinalIgnoreCase))
                throw new MogstoredUsageException($"NOTE: Your {file} file is the old syntax.  The new format is simply lines of <key> = <value> where keys are the same as mogstored's command line options.\n\n{Usage}");
            if (line.Key is not { } key || line.Value is not { } val) throw new MogstoredUsageException($"Unknown config syntax: {line.Raw}");
            // The key must be a spec's first name (so "s", not "skipconfig").
            if (!FileKeys.Contains(key)) throw new MogstoredUsageException($"Unknown config setting: {key}");
            Apply(s, key, val);
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

    [GeneratedRegex(@"^perlbal|lighttpd|apache|nginx|none$")]
    private static partial Regex ServerRegex();
}
