using System.Data.Common;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MogileFS.StorageNode;
using MogileFS.Store;
using MogileFS.Store.Schema;
using MogileFS.TestSupport;
using MogileFS.TestSupport.Transcripts;
using MogileFS.Tracker;
using MogileFS.Tracker.Configuration;

namespace MogileFS.Integration.Tests.Cluster;

/// <summary>A storage node of a <see cref="TestCluster"/>.</summary>
public sealed class StorageNodeHandle
{
    internal StorageNodeHandle(NodeSpec spec, string docRoot) { Spec = spec; DocRoot = docRoot; }

    public NodeSpec Spec { get; }
    public string Ip => Spec.Ip;
    public string DocRoot { get; }
    public StorageNodeServer? Server { get; internal set; }
    public bool IsRunning => Server != null;

    /// <summary>The file that a storage URL path (<c>/devN/...</c>) names on this node.</summary>
    public string PathFor(string urlPath) => Path.Combine(DocRoot, urlPath.TrimStart('/'));
}

/// <summary>A tracker of a <see cref="TestCluster"/>.</summary>
public sealed class TrackerHandle
{
    internal TrackerHandle(TrackerServer server, IPEndPoint endPoint) { Server = server; EndPoint = endPoint; }

    public TrackerServer Server { get; }
    public IPEndPoint EndPoint { get; }
    public bool Stopped { get; internal set; }
}

/// <summary>
/// A whole MogileFS installation in this process, on loopback: a temp directory, a SQLite file or a
/// fresh database on the test PostgreSQL server (schema v17 via SchemaInstaller), storage nodes on
/// distinct 127.0.2.x addresses with their devN directories, and trackers. Every port is assigned by
/// the OS; all storage nodes share one HTTP port and one side-channel port (first node binds port 0,
/// the others take the same number on their own address), because the tracker's
/// mogstored_stream_port is one number for all nodes, as in 2.73. Dispose stops everything.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly ClusterOptions _options;
    private readonly TempDirectory _dir;
    private readonly List<StorageNodeHandle> _nodes = new();
    private readonly List<TrackerHandle> _trackers = new();
    private PostgresServer? _postgres;
    private MariaDbServer? _mariaDb;
    private string? _myDatabase;
    private string? _pgDatabase;

    private TestCluster(ClusterOptions options)
    {
        _options = options;
        _dir = new TempDirectory("mogfs-cluster-");
    }

    public CapturingLoggerProvider Logs { get; } = new();
    public string Root => _dir.Path;
    public DatabaseKind DatabaseKind => _options.Database;
    public string Dsn { get; private set; } = "";
    public string? DbUser { get; private set; }
    public string? DbPass { get; private set; }
    public int HttpPort { get; private set; }
    public int MgmtPort { get; private set; }
    public IReadOnlyList<StorageNodeHandle> Nodes => _nodes;
    public IReadOnlyList<TrackerHandle> Trackers => _trackers;
    public IPEndPoint TrackerEndPoint => _trackers.First(t => !t.Stopped).EndPoint;
    public PostgresServer? Postgres => _postgres;

    /// <summary>The real ports standing in for the capture's ports (for transcript replay).</summary>
    public CapturePorts CapturePorts => new(TrackerEndPoint.Port, HttpPort, MgmtPort);

    public static async Task<TestCluster> StartAsync(ClusterOptions? options = null)
    {
        var cluster = new TestCluster(options ?? new ClusterOptions());
        try
        {
            await cluster.CreateDatabaseAsync().ConfigureAwait(false);
            await cluster.StartNodesAsync().ConfigureAwait(false);
            for (int i = 0; i < cluster._options.Trackers; i++)
                await cluster.StartTrackerAsync().ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task CreateDatabaseAsync()
    {
        if (_options.Database == DatabaseKind.Postgres)
        {
            _postgres = _options.Postgres ?? await PostgresServer.GetSharedAsync().ConfigureAwait(false);
            Dsn = await _postgres.CreateDatabaseAsync().ConfigureAwait(false);
            _pgDatabase = DatabaseDsn.Parse(Dsn).Database;
            DbUser = PostgresServer.User;
            DbPass = PostgresServer.Password;
        }
        else if (_options.Database == DatabaseKind.MySql)
        {
            _mariaDb = await MariaDbServer.GetSharedAsync().ConfigureAwait(false);
            Dsn = await _mariaDb.CreateDatabaseAsync().ConfigureAwait(false);
            _myDatabase = DatabaseDsn.Parse(Dsn).Database;
            DbUser = MariaDbServer.User;
            DbPass = MariaDbServer.Password;
        }
        else
        {
            Dsn = "DBI:SQLite:dbname=" + _dir.Combine("mogilefs.sqlite");
        }
        await SchemaInstaller.InstallAsync(DatabaseDsn.Parse(Dsn), DbUser, DbPass).ConfigureAwait(false);
    }

    /// <summary>A new open connection to the cluster's database (for checks and fault set-up).</summary>
    public async Task<DbConnection> OpenDatabaseAsync()
    {
        var connection = DatabaseDsn.Parse(Dsn).CreateConnection(DbUser, DbPass);
        await connection.OpenAsync().ConfigureAwait(false);
        return connection;
    }

    /// <summary>Runs one statement and returns the first column of the first row (or null).</summary>
    public async Task<object?> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenDatabaseAsync().ConfigureAwait(false);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            cmd.Parameters.Add(p);
        }
        var result = await cmd.ExecuteScalarAsync().ConfigureAwait(false);
        return result is DBNull ? null : result;
    }

    public async Task<int> ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenDatabaseAsync().ConfigureAwait(false);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            cmd.Parameters.Add(p);
        }
        return await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private async Task StartNodesAsync()
    {
        foreach (var spec in _options.Nodes)
        {
            string docRoot = _dir.CreateSubdirectory("nodes", spec.Name);
            foreach (int dev in spec.Devices) Directory.CreateDirectory(Path.Combine(docRoot, "dev" + dev));
            _nodes.Add(new StorageNodeHandle(spec, docRoot));
        }
        // The first node picks the ports; the others must get the same numbers on their addresses.
        // Rarely one of those is taken on another address: then start over with new ports.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                HttpPort = 0;
                MgmtPort = 0;
                foreach (var node in _nodes) await StartNodeAsync(node).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (attempt < 8 && IsAddressInUse(e))
            {
                foreach (var node in _nodes) await StopNodeAsync(node).ConfigureAwait(false);
            }
        }
    }

    private static bool IsAddressInUse(Exception e)
    {
        for (var x = e; x != null; x = x.InnerException)
            if (x is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || x.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
                return true;
        return false;
    }

    /// <summary>Starts a stopped node again on the cluster's ports.</summary>
    public async Task StartNodeAsync(StorageNodeHandle node)
    {
        if (node.Server != null) return;
        var options = new StorageNodeOptions
        {
            HttpListen = $"{node.Ip}:{HttpPort}",
            MgmtListen = $"{node.Ip}:{MgmtPort}",
            DocRoot = node.DocRoot,
        };
        var server = new StorageNodeServer(options, Logs.CreateFactory());
        try
        {
            await server.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        node.Server = server;
        HttpPort = server.HttpEndPoint.Port;
        MgmtPort = server.MgmtEndPoint.Port;
    }

    public async Task StopNodeAsync(StorageNodeHandle node)
    {
        var server = node.Server;
        if (server == null) return;
        node.Server = null;
        try { await server.StopAsync().ConfigureAwait(false); }
        finally { await server.DisposeAsync().ConfigureAwait(false); }
    }

    public async Task RestartNodeAsync(StorageNodeHandle node)
    {
        await StopNodeAsync(node).ConfigureAwait(false);
        await StartNodeAsync(node).ConfigureAwait(false);
    }

    /// <summary>The tracker options a cluster tracker runs with (before <see cref="ClusterOptions.ConfigureTracker"/>).</summary>
    public TrackerOptions CreateTrackerOptions()
    {
        var options = new TrackerOptions
        {
            DbDsn = Dsn,
            DbUser = DbUser ?? "",
            DbPass = DbPass ?? "",
            Listen = [$"{_options.TrackerIp}:0"],
            QueryJobs = _options.QueryJobs,
            MogstoredStreamPort = MgmtPort,
            // The tracker refuses to run as root unless told to; CI runs as root.
            User = Processes.IsRoot ? "root" : "",
        };
        _options.ConfigureTracker?.Invoke(options);
        return options;
    }

    public async Task<TrackerHandle> StartTrackerAsync(TrackerOptions? options = null)
    {
        var server = new TrackerServer(options ?? CreateTrackerOptions(), Logs.CreateFactory());
        try
        {
            await server.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var handle = new TrackerHandle(server, server.EndPoints[0]);
        _trackers.Add(handle);
        return handle;
    }

    public async Task StopTrackerAsync(TrackerHandle tracker)
    {
        if (tracker.Stopped) return;
        tracker.Stopped = true;
        try { await tracker.Server.StopAsync().ConfigureAwait(false); }
        finally { await tracker.Server.DisposeAsync().ConfigureAwait(false); }
    }

    /// <summary>One request on a fresh connection to the (first running) tracker; the reply without CRLF.</summary>
    public Task<string> QueryAsync(string line, TrackerHandle? tracker = null) =>
        TrackerClient.QueryOnceAsync((tracker ?? _trackers.First(t => !t.Stopped)).EndPoint, line);

    /// <summary>Like <see cref="QueryAsync"/> but requires OK and returns the decoded pairs.</summary>
    public async Task<Dictionary<string, string>> QueryOkAsync(string line, TrackerHandle? tracker = null)
    {
        string reply = await QueryAsync(line, tracker).ConfigureAwait(false);
        if (!reply.StartsWith("OK", StringComparison.Ordinal))
            throw new InvalidOperationException($"'{line}' failed: {reply}\n{Logs.Dump(30)}");
        return TrackerClient.ParseOk(reply);
    }

    /// <summary>Registers the capture's topology through the protocol: domain testdom with class c1
    /// (mindevcount 2), hosts h1/h2 alive, devices 1-4 alive, and waits until the monitor has seen
    /// the devices writable.</summary>
    public async Task RegisterTopologyAsync(string domain = CaptureTopology.Domain)
    {
        await QueryOkAsync("create_domain domain=" + domain).ConfigureAwait(false);
        await QueryOkAsync($"create_class domain={domain}&class=c1&mindevcount=2").ConfigureAwait(false);
        int devid = 0;
        foreach (var node in _nodes)
        {
            await QueryOkAsync($"create_host host={node.Spec.Name}&ip={node.Ip}&port={HttpPort}&status=alive").ConfigureAwait(false);
            foreach (int dev in node.Spec.Devices)
            {
                await QueryOkAsync($"create_device devid={dev}&hostname={node.Spec.Name}&state=alive").ConfigureAwait(false);
                devid = dev;
            }
        }
        // Writable means the monitor has read the usage files and probed the devices.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await QueryOkAsync("do_monitor_round").ConfigureAwait(false);
            var devices = await QueryOkAsync("get_devices").ConfigureAwait(false);
            if (WritableWithSpace(devices) >= _nodes.Sum(n => n.Spec.Devices.Count)) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("devices never became writeable with known free space: " + string.Join("&", devices.Select(kv => kv.Key + "=" + kv.Value)));
            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    /// <summary>Devices the monitor has seen writeable and whose free space it knows (create_open
    /// places files by free space: before the usage files are read, no device qualifies).</summary>
    public static int WritableWithSpace(Dictionary<string, string> getDevicesReply) =>
        getDevicesReply.Count(kv => kv.Key.EndsWith("_observed_state", StringComparison.Ordinal) && kv.Value == "writeable"
            && getDevicesReply.GetValueOrDefault(kv.Key[..^"_observed_state".Length] + "_mb_free", "") != "");

    /// <summary>Uploads a file through the protocol the way MogileFS::Client does; returns its fid.</summary>
    public async Task<long> StoreFileAsync(string domain, string key, byte[] content, string? @class = null, TrackerHandle? tracker = null)
    {
        var open = await QueryOkAsync($"create_open domain={domain}&key={TranscriptText.EncodeValue(key)}"
            + (@class != null ? "&class=" + @class : "") + "&fid=0&multi_dest=1", tracker).ConfigureAwait(false);
        string path = open["path_1"];
        using (var http = new HttpClient())
        using (var body = new ByteArrayContent(content))
        {
            var response = await http.PutAsync(path, body).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
        }
        await QueryOkAsync($"create_close domain={domain}&key={TranscriptText.EncodeValue(key)}&fid={open["fid"]}&devid={open["devid_1"]}"
            + $"&size={content.Length}&path={TranscriptText.EncodeValue(path)}", tracker).ConfigureAwait(false);
        return long.Parse(open["fid"], System.Globalization.CultureInfo.InvariantCulture);
    }

    public StorageNodeHandle? NodeForUrl(string url)
    {
        var uri = new Uri(url);
        return _nodes.FirstOrDefault(n => n.Ip == uri.Host && uri.Port == HttpPort);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var t in _trackers)
        {
            try { await StopTrackerAsync(t).ConfigureAwait(false); } catch (Exception) { /* already gone (!shutdown) */ }
        }
        foreach (var n in _nodes)
        {
            try { await StopNodeAsync(n).ConfigureAwait(false); } catch (Exception) { }
        }
        if (_postgres != null && _pgDatabase != null && _postgres.IsRunning)
        {
            try { await _postgres.DropDatabaseAsync(_pgDatabase).ConfigureAwait(false); } catch (Exception) { }
        }
        if (_mariaDb != null && _myDatabase != null && _mariaDb.IsRunning)
        {
            try { await _mariaDb.DropDatabaseAsync(_myDatabase).ConfigureAwait(false); } catch (Exception) { }
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
        Logs.Dispose();
    }
}
