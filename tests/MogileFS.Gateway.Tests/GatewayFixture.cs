using System.Collections.Concurrent;
using Amazon.Runtime;
using Microsoft.AspNetCore.Http;
using MogileFS.Gateway.S3;
using Amazon.S3;
using MogileFS.Client;
using MogileFS.Store;
using MogileFS.TestSupport.Cluster;

namespace MogileFS.Gateway.Tests;

/// <summary>
/// A real cluster (tracker, three storage nodes, the database of <see cref="Database"/>) with a real
/// gateway in front of it, shared by a test class. Addresses: 127.0.115.x (SQLite), .116 (PostgreSQL),
/// .117 (MariaDB). The gateway knows one access key, serves bucket <c>public</c> to anyone for reading,
/// and <c>bucket.s3.localhost</c> virtual-hosted style.
/// </summary>
public class GatewayFixture : IAsyncLifetime
{
    public const string AccessKey = "AKIDMOGILEFSTEST";
    public const string SecretKey = "mogilefs/secret/key/for/tests/0123456789";
    public const string PublicBucket = "public";
    public const string VirtualHostDomain = "s3.localhost";

    public TestCluster Cluster { get; private set; } = null!;
    public GatewayServer Gateway { get; private set; } = null!;

    protected virtual DatabaseKind Database => DatabaseKind.Sqlite;
    protected virtual string Net => "127.0.115";

    /// <summary>Lets a test class change the storage nodes' options.</summary>
    protected virtual void ConfigureNode(MogileFS.StorageNode.StorageNodeOptions options) { }

    /// <summary>Lets a test class change the gateway's options (before it starts).</summary>
    protected virtual void Configure(GatewayOptions options) { }

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync(new ClusterOptions
        {
            Database = Database,
            TrackerIp = Net + ".1",
            QueryJobs = 8,
            Nodes = [new("h1", Net + ".1", [1, 2]), new("h2", Net + ".2", [3]), new("h3", Net + ".3", [4])],
            ConfigureTracker = o => o.MinFreeSpaceMb = 0,
            ConfigureNode = ConfigureNode,
        });
        await Cluster.RegisterTopologyAsync("testdom");
        var options = new GatewayOptions
        {
            Dsn = Cluster.Dsn,
            DbUser = Cluster.DbUser,
            DbPassword = Cluster.DbPass,
            Listen = Net + ".1:0",
        };
        options.Trackers.Add(Cluster.TrackerEndPoint.ToString());
        options.AccessKeys.Add(new AccessKey(AccessKey, SecretKey));
        options.PublicReadBuckets.Add(PublicBucket);
        options.VirtualHostDomains.Add(VirtualHostDomain);
        Configure(options);
        Gateway = new GatewayServer(options, Cluster.Logs.CreateFactory())
        {
            Configure = g => g.Router.FrontEnds.Add(Recorder),
        };
        await Gateway.StartAsync();
    }

    public string Url => Gateway.Url;

    /// <summary>Sees every request first (and passes it on): tests check which signing mode a client used.</summary>
    public RequestRecorder Recorder { get; } = new();

    /// <summary>An AWS SDK client for the gateway (path style).</summary>
    public AmazonS3Client S3(string? accessKey = null, string? secret = null, Action<AmazonS3Config>? configure = null)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = Url,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(60),
        };
        configure?.Invoke(config);
        return new AmazonS3Client(new BasicAWSCredentials(accessKey ?? AccessKey, secret ?? SecretKey), config);
    }

    /// <summary>A MogileFS client for one domain (= bucket), talking to the same trackers.</summary>
    public MogileFSClient Mogile(string domain) => new(new MogileFSClientOptions
    {
        Trackers = [Cluster.TrackerEndPoint.ToString()],
        Domain = domain,
    });

    public async Task DisposeAsync()
    {
        if (Gateway != null) await Gateway.DisposeAsync();
        if (Cluster != null) await Cluster.DisposeAsync();
    }
}

/// <summary>Records the x-amz-content-sha256 header of each request and lets S3 handle it.</summary>
public sealed class RequestRecorder : IFrontEnd
{
    public ConcurrentQueue<(string Method, string Path, string? PayloadMode)> Seen { get; } = new();

    /// <summary>Whether requests arrived over the gateway's own transport (the one that can send files with sendfile).</summary>
    public bool SawSpliceTransport { get; private set; }

    public ValueTask<bool> TryHandleAsync(HttpContext http)
    {
        if (http.Features.Get<MogileFS.Gateway.Transport.IFileSpliceFeature>() != null) SawSpliceTransport = true;
        var mode = http.Request.Headers["x-amz-content-sha256"];
        Seen.Enqueue((http.Request.Method, http.Request.Path.Value ?? "", mode.Count > 0 ? mode.ToString() : null));
        return ValueTask.FromResult(false);
    }

    /// <summary>It never answers a request, so GETs the transport can answer itself (FastGet) need not pass here.</summary>
    public bool MayClaim(string rawPath) => false;

    public bool Saw(string method, string pathEnd, string payloadMode) =>
        Seen.Any(s => s.Method == method && s.Path.EndsWith(pathEnd, StringComparison.Ordinal) && s.PayloadMode == payloadMode);
}
