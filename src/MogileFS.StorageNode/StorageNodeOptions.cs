namespace MogileFS.StorageNode;

/// <summary>
/// Settings of one storage node. Defaults are those of MogileFS 2.73 mogstored unless
/// the comment says otherwise. <see cref="MogstoredCommandLine"/> fills this from flags
/// and the config file.
/// </summary>
public sealed class StorageNodeOptions
{
    /// <summary>HTTP address, <c>ip:port</c> or a bare port (all addresses). Same default as 2.73.</summary>
    public string HttpListen { get; set; } = "0.0.0.0:7500";

    /// <summary>Side-channel address, <c>ip:port</c> or a bare port. Same default as 2.73.</summary>
    public string MgmtListen { get; set; } = "0.0.0.0:7501";

    /// <summary>Directory holding the <c>devN</c> directories. Same default as 2.73.</summary>
    public string DocRoot { get; set; } = "/var/mogdata";

    /// <summary>Most concurrent HTTP connections; more are answered 503 and closed.
    /// (2.73 applied this as the file-descriptor limit.) Same default as 2.73.</summary>
    public int MaxConns { get; set; } = 10000;

    /// <summary>Feed <c>watch</c> subscribers with per-device utilisation. Same default as 2.73.</summary>
    public bool IoStat { get; set; } = true;

    /// <summary>Command whose output is parsed like <c>iostat -dx 1 30</c> (env MOG_IOSTAT_CMD in 2.73).
    /// Null: utilisation is computed from /proc/diskstats once a second (ours).</summary>
    public string? IoStatCommand { get; set; } = Environment.GetEnvironmentVariable("MOG_IOSTAT_CMD");

    /// <summary>Period of the iostat report from /proc/diskstats.</summary>
    public TimeSpan IoStatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Period of the <c>devN/usage</c> rewrite (10 s in 2.73). Zero disables the writer.</summary>
    public TimeSpan UsageInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Replace <c>used</c> by <c>du</c> output (env MOG_DEV_USAGE_VIA_DU in 2.73).</summary>
    public bool UsageViaDu { get; set; } = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MOG_DEV_USAGE_VIA_DU"));

    /// <summary>Idle keep-alive timeout and no-progress timeout (30 s in Perlbal).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a graceful stop (SIGTERM) waits for requests in flight before
    /// aborting them (aborted uploads leave nothing behind). Ours; 2.73 exited at once.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>header_timeout: the most a request head (request line and headers) may take from its
    /// first byte to its blank line; then the connection is closed (slowloris). Ours; 10 s, far
    /// more than any client needs for a head of at most <see cref="MaxHeaderBytes"/>.</summary>
    public TimeSpan HeaderTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>body_timeout and body_min_rate: an upload body must arrive by
    /// <c>start + body_timeout + received / body_min_rate</c>, or the connection is closed and the
    /// upload discarded. Ours; 30 s (Perlbal's no-progress limit) and 1024 bytes/s.</summary>
    public TimeSpan BodyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <inheritdoc cref="BodyTimeout"/>
    public int BodyMinRate { get; set; } = 1024;

    /// <summary>maxconns_per_ip: HTTP connections one client address may hold; more are answered 503.
    /// Ours; null = half of <see cref="MaxConns"/>, so one address can never take them all.</summary>
    public int? MaxConnsPerIp { get; set; }

    internal int EffectiveMaxConnsPerIp => MaxConnsPerIp is > 0 and var n ? n : Math.Max(1, MaxConns / 2);

    /// <summary>Largest request line plus headers, in bytes (ours; 414/431 beyond).</summary>
    public int MaxHeaderBytes { get; set; } = 8192;

    /// <summary>HTTP engine: only <c>perlbal</c> (ours, built in) and <c>none</c> are served in-process.</summary>
    public string Server { get; set; } = "perlbal";

    /// <summary>access_log: one log line per HTTP request (method, path, status, bytes, duration,
    /// client). On by default (2.73 had none; docs/metrics.md); <c>access_log = 0</c> turns it off.</summary>
    public bool AccessLog { get; set; } = true;

    /// <summary>Tests: exercise the path-containment fallback used where openat2(2) is missing.</summary>
    internal bool DisableOpenat2 { get; set; }

    /// <summary>Tests: exercise the named temp files used where O_TMPFILE is missing.</summary>
    internal bool DisableTmpfile { get; set; }

    /// <summary>join: serve <c>POST &lt;path&gt;?join</c>, which builds a file from other files of this node
    /// (and of other nodes) without the bytes passing through the client (docs/storage-node.md, "Join").
    /// Ours; 2.73 has no such request. On by default.</summary>
    public bool Join { get; set; } = true;

    /// <summary>fsync a PUT before renaming it into place (ours; off like 2.73 and nginx).</summary>
    public bool FsyncUploads { get; set; }
}
