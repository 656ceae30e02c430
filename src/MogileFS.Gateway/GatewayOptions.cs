namespace MogileFS.Gateway;

/// <summary>One access key the gateway accepts (AWS Signature Version 4).</summary>
public sealed record AccessKey(string Id, string Secret);

/// <summary>
/// Everything the gateway is told by its config file and flags (docs/configuration.md, "moggateway").
/// The gateway keeps no state of its own besides its tables in the cluster's database, so any
/// number of gateways with the same options can run behind a load balancer.
/// </summary>
public sealed class GatewayOptions
{
    /// <summary>Trackers (host:port), tried with fail-over. Required.</summary>
    public List<string> Trackers { get; } = [];

    /// <summary>The cluster's database (the same DBI DSN as the trackers' <c>db_dsn</c>). Required:
    /// listing reads the 2.73 <c>file</c> table, and the gateway's own <c>s3_*</c> tables live beside it.</summary>
    public string? Dsn { get; set; }
    public string? DbUser { get; set; }
    public string? DbPassword { get; set; }

    /// <summary>Address to listen on (ip:port, port 0 = any free port). Default 0.0.0.0:7070.</summary>
    public string Listen { get; set; } = "0.0.0.0:7070";

    /// <summary>Access keys; a request signed with any other key gets InvalidAccessKeyId.</summary>
    public List<AccessKey> AccessKeys { get; } = [];

    /// <summary>Buckets anonymous clients may read (GET/HEAD objects, list). Everything else needs a signature.</summary>
    public HashSet<string> PublicReadBuckets { get; } = new(StringComparer.Ordinal);

    /// <summary>The region in signatures and in GetBucketLocation. AWS's default: us-east-1.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Host names under which <c>bucket.name</c> means virtual-hosted-style addressing
    /// (e.g. <c>s3.example.com</c> makes <c>photos.s3.example.com</c> the bucket <c>photos</c>).</summary>
    public List<string> VirtualHostDomains { get; } = [];

    /// <summary>Class for new objects when the request names none (header <c>x-amz-storage-class</c> names a
    /// MogileFS class; STANDARD and the other AWS names mean this). Null: the domain's default class.</summary>
    public string? DefaultClass { get; set; }

    /// <summary>How far a request's signing time may be from the gateway's clock. AWS: 15 minutes.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Largest single PUT (and copy). AWS: 5 GiB.</summary>
    public long MaxObjectSize { get; set; } = 5L << 30;

    /// <summary>Tracker request timeout. Same default as the MogileFS client library.</summary>
    public TimeSpan TrackerTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an idle storage-node transfer may stall before it is abandoned.</summary>
    public TimeSpan StorageIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a read may reuse a key's fid and S3 row without asking the database (0: always ask). Writes
    /// and deletes through this gateway are seen at once; changes through other gateways or MogileFS clients within
    /// this time. Default one second.</summary>
    public TimeSpan ObjectCacheTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Memory for the bytes of small files (a fid's bytes never change, so this cache is never stale). 0: off.</summary>
    public long ContentCacheSize { get; set; } = 64L << 20;

    /// <summary>Largest file kept in the content cache.</summary>
    public long ContentCacheMaxObject { get; set; } = 256L << 10;

    /// <summary>Storage nodes on this host, by the ip:port of their HTTP address in storage URLs → their docroot
    /// (option <c>local_storage</c>). Copies on them are read from the disk and sent with sendfile.</summary>
    public Dictionary<string, string> LocalStorage { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether PUTs to a device of a <see cref="LocalStorage"/> node are written into its docroot by the
    /// gateway itself instead of over HTTP (option <c>local_storage_writes</c>, default on).</summary>
    public bool LocalStorageWrites { get; set; } = true;

    /// <summary>Whether GETs and HEADs of small objects in the gateway's caches are answered on the transport's
    /// receive loop without Kestrel (<see cref="S3.FastGet"/>; option <c>fast_get</c>, default on).</summary>
    public bool FastGet { get; set; } = true;

    /// <summary>ip:port of the HTTP status port (/metrics, /healthz, /readyz; option <c>status_listen</c>); null: none.</summary>
    public string? StatusListen { get; set; }

    /// <summary>Settings of features that plug into the gateway (short URLs, ...): key → values, as read from the
    /// config file, for the feature's own parser.</summary>
    public Dictionary<string, List<string>> Extra { get; } = new(StringComparer.Ordinal);

    /// <summary>Checks the options; the message names the offending key.</summary>
    public void Validate()
    {
        if (Trackers.Count == 0) throw new GatewayConfigException("trackers: at least one tracker (host:port) is required");
        if (string.IsNullOrEmpty(Dsn)) throw new GatewayConfigException("db_dsn: the cluster's database DSN is required");
        if (MaxClockSkew <= TimeSpan.Zero) throw new GatewayConfigException("max_clock_skew: must be positive");
        if (ObjectCacheTime < TimeSpan.Zero) throw new GatewayConfigException("object_cache_ms: must not be negative");
        if (ContentCacheSize < 0) throw new GatewayConfigException("content_cache_size: must not be negative");
        if (ContentCacheMaxObject < 0 || ContentCacheMaxObject > int.MaxValue) throw new GatewayConfigException("content_cache_max_object: must be between 0 and 2G");
        if (MaxObjectSize <= 0) throw new GatewayConfigException("max_object_size: must be positive");
        foreach (var k in AccessKeys)
            if (k.Id.Length == 0 || k.Secret.Length == 0)
                throw new GatewayConfigException("access_key: expected <id>:<secret>");
    }
}

/// <summary>A bad setting; the message names the key.</summary>
public sealed class GatewayConfigException(string message) : Exception(message);
