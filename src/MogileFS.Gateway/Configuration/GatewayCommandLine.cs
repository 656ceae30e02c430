using System.Globalization;
using MogileFS.Hosting;

namespace MogileFS.Gateway.Configuration;

/// <summary>Everything <c>moggateway</c> was told by its flags and config file.</summary>
public sealed class GatewaySettings
{
    public GatewayOptions Options { get; } = new();
    public bool Daemonize { get; set; }
    public string? ConfigFile { get; set; }
    public string? PidFile { get; set; }
}

/// <summary>A command-line or config-file error; the message is what moggateway prints before exiting.</summary>
public class GatewayUsageException(string message) : Exception(message);

/// <summary><c>--help</c>: the message is the usage text, printed on stdout with exit code 0.</summary>
public sealed class GatewayHelpRequested(string usage) : GatewayUsageException(usage);

/// <summary>
/// moggateway's flags (Getopt::Long style, as the other programs) and its config file
/// (<c>/etc/mogilefs/moggateway.conf</c>, <c>key = value</c> lines with the flag names as keys; repeatable
/// keys such as <c>access_key</c> may appear several times). Flags given on the command line win over the file.
/// </summary>
public static partial class GatewayCommandLine
{
    public const string DefaultConfigFile = "/etc/mogilefs/moggateway.conf";

    private static readonly List<string> Specs =
    [
        "config=s", "help|h", "daemonize|d", "pidfile=s", "listen=s", "trackers=s", "db_dsn=s", "db_user=s", "db_pass=s",
        "access_key=s", "public_read=s", "region=s", "virtual_host=s", "default_class=s", "max_clock_skew=i",
        "max_object_size=s", "tracker_timeout=i", "storage_timeout=i",
        "object_cache_ms=s", "content_cache_size=s", "content_cache_max_object=s", "local_storage=s",
        "local_storage_writes=s", "fast_get=s", "status_listen=s",
    ];

    /// <summary>Keys of features that plug in (short URLs, ...): they add their flag specs here.</summary>
    static partial void AddFeatureSpecs(List<string> specs);

    /// <summary>Features apply their own keys; set <paramref name="handled"/> when the key was theirs.</summary>
    static partial void ApplyFeature(GatewaySettings s, string key, string value, ref bool handled);

    public const string Usage =
        "Usage: moggateway [OPTS]\n\n" +
        "OPTS:\n" +
        " --config=<file>          Config file (default /etc/mogilefs/moggateway.conf)\n" +
        " --listen=<ip:port>       Address of the S3 endpoint (default 0.0.0.0:7070)\n" +
        " --trackers=<h:p,...>     MogileFS trackers\n" +
        " --db_dsn=<DSN>           The cluster's database (as the trackers' db_dsn)\n" +
        " --db_user=<user> --db_pass=<password>\n" +
        " --access_key=<id:secret> An access key (repeatable)\n" +
        " --public_read=<bucket>   A bucket anyone may read (repeatable, or comma-separated)\n" +
        " --region=<name>          Region in signatures and GetBucketLocation (default us-east-1)\n" +
        " --virtual_host=<domain>  Serve <bucket>.<domain> virtual-hosted style (repeatable)\n" +
        " --default_class=<class>  MogileFS class of new objects (default: the domain's default)\n" +
        " --local_storage=<ip:port>=<docroot>  A storage node on this host: read its files from disk (repeatable)\n" +
        " --local_storage_writes=0 Write to local_storage nodes over HTTP (default 1: into their docroots)\n" +
        " --fast_get=0             Answer every request through Kestrel (default 1: cached small GETs below it)\n" +
        " --status_listen=<ip:port> Serve /metrics, /healthz, /readyz over HTTP. Default off\n" +
        " --daemonize -d  --pidfile=<file>\n";

    public static GatewaySettings Parse(IReadOnlyList<string> args, string defaultConfigFile = DefaultConfigFile)
    {
        var specs = new List<string>(Specs);
        AddFeatureSpecs(specs);
        var flags = new GetoptLong(GetoptConfig.Mogstored, specs);
        var parsed = flags.Parse(args);
        if (parsed.Warnings.Count > 0) throw new GatewayUsageException(string.Join("\n", parsed.Warnings) + "\n" + Usage);
        if (parsed.Arguments.Count > 0) throw new GatewayUsageException($"Unexpected argument: {parsed.Arguments[0]}\n{Usage}");

        var s = new GatewaySettings();
        if (parsed.Has("help")) throw new GatewayHelpRequested(Usage);
        s.ConfigFile = parsed.Last("config");
        if (s.ConfigFile == null && File.Exists(defaultConfigFile)) s.ConfigFile = defaultConfigFile;
        var fileKeys = specs.Select(x => x.Split('|', '=')[0]).ToHashSet(StringComparer.Ordinal);
        var fromFlags = parsed.Occurrences.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
        if (s.ConfigFile != null)
        {
            if (!File.Exists(s.ConfigFile)) throw new GatewayUsageException($"Config file {s.ConfigFile} doesn't exist.");
            List<ConfigLine> lines;
            try { lines = ConfigFile.Read(s.ConfigFile, ConfigSyntax.UtilsHashAfterSpace); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw new GatewayUsageException($"Couldn't read config file {s.ConfigFile}: {ex.Message}"); }
            foreach (var line in lines)
            {
                if (line.Raw.TrimStart().StartsWith('#')) continue;
                if (line.Key is not { } key || line.Value is not { } value) throw new GatewayUsageException($"{s.ConfigFile}:{line.Number}: expected key = value: {line.Raw}");
                if (!fileKeys.Contains(key) || key is "config" or "help") throw new GatewayUsageException($"{s.ConfigFile}:{line.Number}: unknown setting '{key}'");
                if (fromFlags.Contains(key)) continue; // the command line wins
                Apply(s, key, value);
            }
        }
        foreach (var (option, value) in parsed.Occurrences) Apply(s, option, value);
        try { s.Options.Validate(); }
        catch (GatewayConfigException e) { throw new GatewayUsageException(e.Message); }
        return s;
    }

    private static void Apply(GatewaySettings s, string key, string value)
    {
        var o = s.Options;
        switch (key)
        {
            case "config": case "help": break;
            case "daemonize": s.Daemonize = value.Length > 0 && value != "0"; break;
            case "pidfile": s.PidFile = value; break;
            case "listen":
                try { GatewayServer.ParseListen(value); }
                catch (GatewayConfigException e) { throw new GatewayUsageException(e.Message); }
                o.Listen = value;
                break;
            case "trackers":
                o.Trackers.Clear();
                o.Trackers.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                break;
            case "db_dsn": o.Dsn = value; break;
            case "db_user": o.DbUser = value; break;
            case "db_pass": o.DbPassword = value; break;
            case "access_key":
                int colon = value.IndexOf(':');
                if (colon <= 0 || colon == value.Length - 1) throw new GatewayUsageException($"access_key: expected <id>:<secret>, got '{value}'");
                o.AccessKeys.Add(new AccessKey(value[..colon].Trim(), value[(colon + 1)..].Trim()));
                break;
            case "public_read":
                foreach (var b in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) o.PublicReadBuckets.Add(b);
                break;
            case "region": o.Region = value; break;
            case "virtual_host":
                foreach (var d in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) o.VirtualHostDomains.Add(d.TrimStart('.'));
                break;
            case "default_class": o.DefaultClass = value.Length == 0 ? null : value; break;
            case "max_clock_skew": o.MaxClockSkew = TimeSpan.FromSeconds(Positive(key, value)); break;
            case "tracker_timeout": o.TrackerTimeout = TimeSpan.FromSeconds(Positive(key, value)); break;
            case "storage_timeout": o.StorageIdleTimeout = TimeSpan.FromSeconds(Positive(key, value)); break;
            case "max_object_size": o.MaxObjectSize = Size(key, value); break;
            case "object_cache_ms": o.ObjectCacheTime = TimeSpan.FromMilliseconds(NonNegative(key, value)); break;
            case "content_cache_size": o.ContentCacheSize = value.Trim() == "0" ? 0 : Size(key, value); break;
            case "content_cache_max_object": o.ContentCacheMaxObject = value.Trim() == "0" ? 0 : Size(key, value); break;
            case "local_storage":
                try { Mogile.LocalStorage.Add(o, value); }
                catch (GatewayConfigException e) { throw new GatewayUsageException(e.Message); }
                break;
            case "local_storage_writes": o.LocalStorageWrites = Switch(key, value); break;
            case "fast_get": o.FastGet = Switch(key, value); break;
            case "status_listen":
                if (value.Trim().Length == 0) { o.StatusListen = null; break; }
                try { MogileFS.Hosting.Status.StatusEndpoint.ParseListen(value.Trim()); }
                catch (FormatException) { throw new GatewayUsageException($"Invalid status_listen value: {value} (ip:port is expected, e.g. 127.0.0.1:7580)"); }
                o.StatusListen = value.Trim();
                break;
            default:
                bool handled = false;
                ApplyFeature(s, key, value, ref handled);
                if (!handled) throw new GatewayUsageException($"unknown setting '{key}'");
                break;
        }
    }

    private static bool Switch(string key, string value) => value.Trim() switch
    {
        "1" => true,
        "0" => false,
        _ => throw new GatewayUsageException($"{key}: 0 or 1 is expected, got '{value}'"),
    };

    private static int Positive(string key, string value) =>
        int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
            : throw new GatewayUsageException($"{key}: a positive number is expected, got '{value}'");

    private static int NonNegative(string key, string value) =>
        int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n
            : throw new GatewayUsageException($"{key}: a number of 0 or more is expected, got '{value}'");

    /// <summary>A byte count with an optional K/M/G/T suffix (powers of 1024).</summary>
    public static long Size(string key, string value)
    {
        var v = value.Trim().ToUpperInvariant().TrimEnd('B', 'I');
        long mult = 1;
        if (v.Length > 0 && "KMGT".Contains(v[^1]))
        {
            mult = v[^1] switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L << 40 };
            v = v[..^1];
        }
        if (!long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0 || n > long.MaxValue / mult)
            throw new GatewayUsageException($"{key}: a size such as 5368709120 or 5G is expected, got '{value}'");
        return n * mult;
    }
}
