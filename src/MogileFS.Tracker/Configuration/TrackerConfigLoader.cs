using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MogileFS.Hosting;

namespace MogileFS.Tracker.Configuration;

/// <summary>A configuration problem that stops the tracker before it starts (the original dies
/// with the same text for the file errors).</summary>
public sealed class TrackerConfigException : Exception
{
    public TrackerConfigException(string message, string? detail = null) : base(message) { Detail = detail; }

    /// <summary>More help for a human (e.g. the offending line), printed after the message.</summary>
    public string? Detail { get; }
}

/// <summary>
/// Builds <see cref="TrackerOptions"/> exactly as MogileFS 2.73's mogilefsd does
/// (config.md §1): command-line flags (Getopt::Long, bundling) over the config file
/// (<c>--config</c>, else /etc/mogilefs/mogilefsd.conf if readable, not with
/// <c>--skipconfig</c>) over the built-in defaults, with the original's file syntax and quirks.
///
/// Where 2.73 silently turns a non-numeric value into 0 we refuse to start with a message naming
/// the key (a tracker with conf_port 0 or no query workers is never what was meant); values with
/// a numeric prefix ("10 # ten") are used like Perl does, with a warning. Flag problems (unknown
/// option, missing value) are warnings and parsing continues, as in 2.73.
/// </summary>
public static class TrackerConfigLoader
{
    public const string DefaultConfigFile = "/etc/mogilefs/mogilefsd.conf";

    /// <summary>Every key the file may set (2.73's plus our <c>log_target</c> and the limits of
    /// docs/security.md); others are ignored with a warning.</summary>
    public static readonly IReadOnlySet<string> KnownFileKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "daemonize", "db_dsn", "db_user", "db_pass", "conf_port", "listen", "listener_jobs", "query_jobs",
        "delete_jobs", "replicate_jobs", "fsck_jobs", "reaper_jobs", "job_master", "monitor_jobs",
        "min_free_space", "max_disk_age", "max_handles", "debug", "pidfile", "mogstored_stream_port",
        "default_mindevcount", "node_timeout", "conn_timeout", "conn_pool_size", "rebalance_ignore_missing",
        "repl_use_get_port", "local_network", "no_schema_check", "plugins", "user",
        "log_target", "max_reply_bytes", "slow_reader_timeout", "max_conns_per_ip",
        "db_write_timeout", "db_reconnect_wait", "status_listen", "log_file", "log_format",
        "dashboard_admin_user", "dashboard_admin_password",
    };

    // 2.73's GetOptions table, name for name (config.md §1.3), plus --help.
    private static readonly GetoptLong Flags = new(bundling: true,
        "c|config=s", "s|skipconfig", "d|debug+", "D|daemonize", "dsn=s", "dbuser=s", "dbpass:s", "user=s",
        "p|confport=i", "l|listen=s@", "w|workers=i", "no_http", "workerport=i", "max_disk_age=i",
        "min_free_space=i", "default_mindevcount=i", "node_timeout=i", "conn_timeout=i", "conn_pool_size=i",
        "max_handles=i", "pidfile=s", "no_schema_check", "plugins=s@", "repl_use_get_port=i",
        "local_network=s", "mogstored_stream_port", "job_master!", "help", "status_listen=s");

    // Flag name → config key, where they differ.
    private static readonly Dictionary<string, string> FlagToKey = new(StringComparer.Ordinal)
    {
        ["dsn"] = "db_dsn", ["dbuser"] = "db_user", ["dbpass"] = "db_pass", ["p"] = "conf_port",
        ["w"] = "query_jobs", ["D"] = "daemonize", ["d"] = "debug",
    };

    public static string Usage => """
        Usage: mogilefsd [options]

          -c, --config=FILE        configuration file (default /etc/mogilefs/mogilefsd.conf if readable)
          -s, --skipconfig         do not read any configuration file
          -D, --daemonize          detach and log to syslog
          -d, --debug              more debug output (repeatable)
              --dsn=DSN            database: DBI:SQLite:<file> or DBI:Pg:dbname=<db>;host=<h>;port=<p>
              --dbuser=USER        database user (default mogile)
              --dbpass[=PASS]      database password
          -l, --listen=IP[:PORT]   client/admin listen address (repeatable; default 0.0.0.0)
          -p, --confport=PORT      default port for --listen entries (default 7001)
          -w, --workers=N          concurrent query limit (default 20)
              --pidfile=FILE       write the process id to FILE
              --user=NAME          only 'root' matters: allows running as root
              --no_schema_check    start even if the schema version is not 17
              --node_timeout=S, --conn_timeout=S, --conn_pool_size=N, --min_free_space=MB,
              --default_mindevcount=N, --max_handles=N, --repl_use_get_port=0|1,
              --local_network=CIDR, --plugins=NAMES, --[no]job_master, --max_disk_age=N,
              --mogstored_stream_port, --no_http, --workerport=N (2.73 flags; see docs/configuration.md)
              --status_listen=IP:PORT  serve /metrics, /healthz, /readyz and the dashboard over HTTP (default off)
              --help               this text
              --version            print the version and exit
        Every key of the configuration file is described in docs/configuration.md.
        """;

    /// <summary>Loads the configuration. Warnings (flag problems, ignored keys, the --debug echo
    /// of each file line) are written to <paramref name="warnings"/> (stderr in mogilefsd).</summary>
    /// <param name="defaultConfigFile">The file read when no --config is given (null: none).</param>
    /// <param name="environment">Environment lookup (DEBUG); null = the process environment.</param>
    /// <exception cref="TrackerConfigException">Unreadable --config file, malformed line, bad value.</exception>
    public static TrackerOptions Load(IReadOnlyList<string> args, TextWriter? warnings = null,
        string? defaultConfigFile = DefaultConfigFile, Func<string, string?>? environment = null)
    {
        warnings ??= TextWriter.Null;
        environment ??= Environment.GetEnvironmentVariable;
        var parsed = Flags.Parse(args);
        foreach (var w in parsed.Warnings) warnings.WriteLine(w);

        var options = new TrackerOptions { ShowHelp = parsed.Has("help") };
        if (parsed.Last("workerport") is { } wp && PerlTrue(wp))
            warnings.WriteLine("The command line option --workerport is no longer needed (and has no necessary replacement)");
        options.NoHttp = parsed.Has("no_http");

        // Command-line values keyed like the file.
        var cmdline = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (flag, values) in parsed.Values)
        {
            if (flag is "c" or "s" or "l" or "plugins" or "workerport" or "no_http" or "help") continue;
            cmdline[FlagToKey.GetValueOrDefault(flag, flag)] = values[^1];
        }
        int debugCount = parsed.Count("d");
        if (debugCount > 0) cmdline["debug"] = debugCount.ToString(CultureInfo.InvariantCulture);

        string? config = parsed.Last("c");
        if (!PerlTrue(config) && defaultConfigFile != null && IsReadable(defaultConfigFile))
            config = defaultConfigFile;
        var file = new Dictionary<string, (string Value, int Line)>(StringComparer.Ordinal);
        if (PerlTrue(config) && !parsed.Has("s"))
        {
            ReadFile(config!, file, debugCount > 0 ? warnings : null, warnings);
            options.ConfigFile = config;
        }
        options.FileSettings = file.ToDictionary(kv => kv.Key, kv => kv.Value.Value, StringComparer.Ordinal);

        var chooser = new Chooser(cmdline, file, config, warnings);
        options.Daemonize = chooser.Bool("daemonize", false);
        options.DbDsn = chooser.String("db_dsn", "DBI:mysql:mogilefs");
        options.DbUser = chooser.String("db_user", "mogile");
        options.DbPass = chooser.String("db_pass", "");
        options.ConfPort = chooser.Int("conf_port", 7001, 0, 65535);
        // listener_jobs (old name, file only) wins over query_jobs and --workers when it is true.
        int listenerJobs = chooser.Has("listener_jobs") ? chooser.Int("listener_jobs", 0, 0, int.MaxValue) : 0;
        options.QueryJobs = listenerJobs != 0 ? listenerJobs : chooser.Int("query_jobs", 20, 1, int.MaxValue);
        options.DeleteJobs = chooser.Int("delete_jobs", 1, 0, 1000);
        options.ReplicateJobs = chooser.Int("replicate_jobs", 1, 0, 1000);
        options.FsckJobs = chooser.Int("fsck_jobs", 1, 0, 1000);
        options.ReaperJobs = chooser.Int("reaper_jobs", 1, 0, 1000);
        options.JobMaster = chooser.Bool("job_master", true);
        options.MonitorJobs = chooser.Int("monitor_jobs", 1, int.MinValue, int.MaxValue);
        options.MinFreeSpaceMb = chooser.Int("min_free_space", 100, 0, int.MaxValue);
        options.MaxDiskAge = chooser.Int("max_disk_age", 5, int.MinValue, int.MaxValue);
        options.MaxHandles = chooser.Int("max_handles", 0, 0, int.MaxValue);
        options.Debug = chooser.Has("debug")
            ? chooser.Int("debug", 0, 0, int.MaxValue)
            : Math.Max(0, (int)Math.Clamp(PerlNumber.Parse(environment("DEBUG")).Value, 0, int.MaxValue));
        options.PidFile = chooser.String("pidfile", "") is { Length: > 0 } pid ? pid : null;
        options.MogstoredStreamPort = chooser.Int("mogstored_stream_port", 7501, 0, 65535);
        options.DefaultMinDevCount = chooser.Int("default_mindevcount", 2, 0, 255);
        options.NodeTimeoutSeconds = chooser.Double("node_timeout", 2);
        options.ConnTimeoutSeconds = chooser.Double("conn_timeout", 2);
        options.ConnPoolSize = chooser.Int("conn_pool_size", 20, 1, int.MaxValue);
        options.RebalanceIgnoreMissing = chooser.Bool("rebalance_ignore_missing", false);
        options.ReplUseGetPort = chooser.Bool("repl_use_get_port", false);
        options.LocalNetwork = chooser.String("local_network", "");
        options.NoSchemaCheck = chooser.Bool("no_schema_check", false);
        options.User = chooser.String("user", "");
        options.LogTarget = chooser.String("log_target", "");
        options.MaxReplyBytes = chooser.Int("max_reply_bytes", options.MaxReplyBytes, 4096, int.MaxValue);
        options.SlowReaderTimeoutSeconds = chooser.Double("slow_reader_timeout", options.SlowReaderTimeoutSeconds);
        options.DbWriteTimeoutSeconds = chooser.Double("db_write_timeout", options.DbWriteTimeoutSeconds);
        options.DbReconnectWaitSeconds = chooser.Double("db_reconnect_wait", options.DbReconnectWaitSeconds);
        options.MaxConnsPerIp = chooser.Int("max_conns_per_ip", options.MaxConnsPerIp, 0, int.MaxValue);
        options.StatusListen = chooser.String("status_listen", "").Trim();
        if (options.StatusListen.Length > 0)
        {
            try { MogileFS.Hosting.Status.StatusEndpoint.ParseListen(options.StatusListen); }
            catch (FormatException)
            {
                throw new TrackerConfigException(
                    $"Invalid value '{options.StatusListen}' for status_listen{chooser.Where("status_listen")}: expected ip:port (e.g. 127.0.0.1:7080)");
            }
        }
        options.LogFile = chooser.String("log_file", "") is { Length: > 0 } lf ? lf : null;
        options.LogFormat = chooser.String("log_format", "text").Trim();
        options.DashboardAdminUser = chooser.String("dashboard_admin_user", "admin");
        options.DashboardAdminPassword = chooser.String("dashboard_admin_password", "") is { Length: > 0 } dap ? dap : null;
        if (options.LogTarget is not ("" or "stderr" or "stdout" or "syslog" or "file"))
            throw new TrackerConfigException(
                $"Invalid value '{options.LogTarget}' for log_target{chooser.Where("log_target")}: expected stderr, stdout, syslog or file");
        if (options.LogTarget == "file" && options.LogFile == null)
            throw new TrackerConfigException(
                $"Invalid value 'file' for log_target{chooser.Where("log_target")}: log_file = <path> is not set");
        if (options.LogFormat is not ("text" or "json"))
            throw new TrackerConfigException(
                $"Invalid value '{options.LogFormat}' for log_format{chooser.Where("log_format")}: expected text or json");

        // Plugins from the file and from every --plugins add up; each is a comma list.
        var plugins = new List<string>();
        if (file.TryGetValue("plugins", out var filePlugins)) plugins.AddRange(SplitList(filePlugins.Value));
        foreach (var p in parsed.All("plugins")) plugins.AddRange(SplitList(p));
        options.Plugins = plugins;

        // --listen replaces the file's comma list; entries without ':' get conf_port.
        IEnumerable<string> listen = parsed.All("l") is { Count: > 0 } flagListen ? flagListen
            : file.TryGetValue("listen", out var fileListen) ? SplitList(fileListen.Value)
            : ["0.0.0.0"];
        options.Listen = listen.Select(l => l.Contains(':') ? l : $"{l}:{options.ConfPort}").ToList();
        return options;
    }

    private static IEnumerable<string> SplitList(string value) =>
        Regex.Split(value.Trim(), @"\s*,\s*").Where(s => s.Length > 0);

    // Perl truthiness: undef, "" and "0" are false, everything else ("no", "0.0", "off") is true.
    public static bool PerlTrue(string? value) => !string.IsNullOrEmpty(value) && value != "0";

    private static bool IsReadable(string path)
    {
        try
        {
            using var _ = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static void ReadFile(string path, Dictionary<string, (string, int)> into, TextWriter? echo, TextWriter warnings)
    {
        List<ConfigLine> lines;
        try
        {
            lines = ConfigFile.Read(path, ConfigSyntax.Mogilefsd);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrackerConfigException($"open: {path}: {StrError(e)}");
        }
        foreach (var line in lines)
        {
            if (line.Key is not { } key || line.Value is not { } value)
                throw new TrackerConfigException($"Malformed config file (line {line.Number})",
                    $"{path} line {line.Number}: '{line.Raw.TrimEnd('\r')}': expected 'key = value' or 'key value' (whitespace after the key is required)");
            echo?.WriteLine($"Setting '{key}' to '{value}'");
            if (!KnownFileKeys.Contains(key))
                warnings.WriteLine($"Ignoring unknown configuration key '{key}' in {path} (line {line.Number})");
            into[key] = (value, line.Number);
        }
    }

    private static string StrError(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException u when u.Message == "Is a directory" => "Is a directory",
        UnauthorizedAccessException => "Permission denied",
        PathTooLongException => "File name too long",
        _ => e.Message,
    };

    /// <summary>2.73's choose_value: the command line, else the file, else the default.</summary>
    private sealed class Chooser(Dictionary<string, string> cmdline, Dictionary<string, (string Value, int Line)> file,
        string? configPath, TextWriter warnings)
    {
        public bool Has(string key) => cmdline.ContainsKey(key) || file.ContainsKey(key);

        private string? Raw(string key) =>
            cmdline.TryGetValue(key, out var v) ? v : file.TryGetValue(key, out var f) ? f.Value : null;

        public string Where(string key) =>
            cmdline.ContainsKey(key) ? " on the command line"
            : file.TryGetValue(key, out var f) ? $" in {configPath} (line {f.Line})" : "";

        public string String(string key, string fallback) => Raw(key) ?? fallback;

        public bool Bool(string key, bool fallback) => Raw(key) is { } v ? PerlTrue(v) : fallback;

        public int Int(string key, int fallback, int min, int max)
        {
            if (Raw(key) is not { } raw) return fallback;
            double d = Number(key, raw);
            double t = Math.Truncate(d);
            if (t < min || t > max)
                throw new TrackerConfigException(
                    $"Invalid value '{raw}' for {key}{Where(key)}: expected a whole number" +
                    (max == int.MaxValue ? $" of at least {min}" : $" from {min} to {max}"));
            return (int)t;
        }

        public double Double(string key, double fallback)
        {
            if (Raw(key) is not { } raw) return fallback;
            double d = Number(key, raw);
            if (!(d > 0) || double.IsInfinity(d))
                throw new TrackerConfigException($"Invalid value '{raw}' for {key}{Where(key)}: expected a positive number of seconds");
            return d;
        }

        private double Number(string key, string raw)
        {
            var (value, clean, any) = PerlNumber.Parse(raw);
            if (!any)
                throw new TrackerConfigException($"Invalid value '{raw}' for {key}{Where(key)}: expected a number");
            if (!clean)
                warnings.WriteLine($"Value '{raw}' for {key}{Where(key)} is not a plain number; using {value.ToString(CultureInfo.InvariantCulture)} as MogileFS 2.73 does");
            return value;
        }
    }
}
