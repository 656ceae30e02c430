namespace MogileFS.Tracker.Configuration;

/// <summary>
/// Every setting of the tracker (mogilefsd). Defaults are those of MogileFS 2.73
/// (see docs/configuration.md and the spec's config.md §1.3). Filled by
/// <c>TrackerConfigLoader</c> from flags, the config file and defaults, in that precedence.
/// </summary>
public sealed class TrackerOptions
{
    /// <summary>db_dsn / --dsn. Same default as 2.73 (MySQL, which we reject at start-up).</summary>
    public string DbDsn { get; set; } = "DBI:mysql:mogilefs";
    public string DbUser { get; set; } = "mogile";
    public string DbPass { get; set; } = "";

    /// <summary>listen / -l / --listen; entries without ':' get ':' + ConfPort. Empty = 0.0.0.0:ConfPort.</summary>
    public List<string> Listen { get; set; } = new();
    public int ConfPort { get; set; } = 7001;

    /// <summary>query_jobs / --workers (listener_jobs in the file overrides). We use it as the
    /// limit on concurrently executing query commands, not as a process count.</summary>
    public int QueryJobs { get; set; } = 20;
    public int DeleteJobs { get; set; } = 1;
    public int ReplicateJobs { get; set; } = 1;
    public int FsckJobs { get; set; } = 1;
    public int ReaperJobs { get; set; } = 1;
    public int MonitorJobs { get; set; } = 1;
    public bool JobMaster { get; set; } = true;

    public bool Daemonize { get; set; }
    public string? PidFile { get; set; }
    public string User { get; set; } = "";
    public int Debug { get; set; }

    public int MinFreeSpaceMb { get; set; } = 100;
    public int DefaultMinDevCount { get; set; } = 2;
    public double NodeTimeoutSeconds { get; set; } = 2;
    public double ConnTimeoutSeconds { get; set; } = 2;
    public int ConnPoolSize { get; set; } = 20;
    public int MogstoredStreamPort { get; set; } = 7501;
    public bool ReplUseGetPort { get; set; }
    public bool RebalanceIgnoreMissing { get; set; }
    public int MaxHandles { get; set; }
    public bool NoSchemaCheck { get; set; }
    public List<string> Plugins { get; set; } = new();
    public string LocalNetwork { get; set; } = "";
    public int MaxDiskAge { get; set; } = 5;

    /// <summary>Where log lines go: stderr when running in the foreground, syslog when daemonized
    /// (as 2.73). Overridable with the extension key <c>log_target</c> (stderr|stdout|syslog).</summary>
    public string LogTarget { get; set; } = "";

    /// <summary>log_file: log to this file (appended; log_target = file is implied).</summary>
    public string? LogFile { get; set; }

    /// <summary>log_format: text (one line per message, docs/metrics.md) or json.</summary>
    public string LogFormat { get; set; } = "text";

    // ---- observability (ours; docs/metrics.md) ----

    /// <summary>status_listen (<c>--status_listen</c>): ip:port of the HTTP status port (/metrics,
    /// /healthz, /readyz, the dashboard). Empty (the default, as 2.73 has none): no status port.</summary>
    public string StatusListen { get; set; } = "";

    // ---- limits (ours: 2.73 had none; docs/security.md) ----

    /// <summary>max_reply_bytes: replies a connection may have waiting for its client to read before
    /// the tracker stops reading that connection's requests (bounds the memory of a client that
    /// pipelines without reading). 1 MiB: a few hundred large list_keys replies.</summary>
    public int MaxReplyBytes { get; set; } = 1024 * 1024;

    /// <summary>slow_reader_timeout: a connection whose reply could not be written for this long is
    /// closed. 120 s, the value the tracker always used.</summary>
    public double SlowReaderTimeoutSeconds { get; set; } = 120;

    /// <summary>max_conns_per_ip: open client connections one address may hold; more are answered
    /// <c>ERR too_many_connections</c> and closed. 0 = no limit. 5000: far above a busy client
    /// host's pool, low enough that one host cannot take every file descriptor.</summary>
    public int MaxConnsPerIp { get; set; } = 5000;

    /// <summary>db_write_timeout: the most a write to the database may wait, in all (for the write
    /// connection, for another process's lock, retries); then the request answers
    /// <c>ERR failure</c>. 3 s, what MogileFS clients wait for a reply by default.</summary>
    public double DbWriteTimeoutSeconds { get; set; } = 3;

    /// <summary>db_reconnect_wait (ours): seconds a request keeps reconnecting when the database went
    /// away or stopped being the primary (a PostgreSQL failover) before it answers an error; reads are
    /// re-run, writes only when their COMMIT was not yet sent (docs/ha-database.md). 3 s, what
    /// MogileFS clients wait for a reply by default.</summary>
    public double DbReconnectWaitSeconds { get; set; } = 3;

    // ---- web dashboard (ours; docs/dashboard.md) ----

    /// <summary>dashboard_admin_user: the user name for the dashboard's operator actions (default admin).</summary>
    public string DashboardAdminUser { get; set; } = "admin";

    /// <summary>dashboard_admin_password: enables the dashboard's operator actions; unset = read-only dashboard.</summary>
    public string? DashboardAdminPassword { get; set; }

    // ---- not options of 2.73, but what loading found ----

    /// <summary>The configuration file that was read (null: none).</summary>
    public string? ConfigFile { get; set; }

    /// <summary>Every key=value of the configuration file as read (including keys 2.73 ignores).</summary>
    public IReadOnlyDictionary<string, string> FileSettings { get; set; } = new Dictionary<string, string>();

    /// <summary>--no_http was given (accepted and ignored, as 2.73).</summary>
    public bool NoHttp { get; set; }

    /// <summary>--help was given: print <c>TrackerConfigLoader.Usage</c> and exit.</summary>
    public bool ShowHelp { get; set; }
}
