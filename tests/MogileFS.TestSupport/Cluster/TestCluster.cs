using System.Data.Common;
using System.Net;
using System.Net.Sockets;
using MogileFS.Core.Model;
using MogileFS.StorageNode;
using MogileFS.Store;
using MogileFS.TestSupport.Transcripts;
using MogileFS.Tracker;
using MogileFS.Tracker.Configuration;
using MogileFS.Tracker.Jobs;
using MogileFS.Tracker.Runtime;

namespace MogileFS.TestSupport.Cluster;

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

    /// <summary>Where the fid's file lies on device <paramref name="devid"/> of this node.</summary>
    public string FilePath(int devid, long fid) => PathFor(StoragePaths.FidPath(devid, fid));
}

/// <summary>A tracker of a <see cref="TestCluster"/>.</summary>
public sealed class TrackerHandle
{
    internal TrackerHandle(TrackerServer server, IPEndPoint endPoint) { Server = server; EndPoint = endPoint; }

    public TrackerServer Server { get; }
    public IPEndPoint EndPoint { get; }
    public bool Stopped { get; internal set; }

    /// <summary>The running tracker's services (metadata, observations, monitor, jobs).</summary>
    public TrackerRuntime Services => Server.Services;

    public override string ToString() => EndPoint.ToString();
}

/// <summary>
/// A whole MogileFS installation in this process, on loopback: a temp directory, a database
/// (<see cref="TestDatabase"/>: a SQLite file or a fresh PostgreSQL database, schema installed),
/// storage nodes on distinct 127.x.y.z addresses with their devN directories, and trackers. Every
/// port is assigned by the OS; all storage nodes share one HTTP port and one side-channel port
/// (first node binds port 0, the others take the same number on their own address), because the
/// tracker's mogstored_stream_port is one number for all nodes, as in 2.73. It offers the set-up
/// (hosts, devices, domains, classes), the protocol (queries, admin commands), the database (SQL
/// for checks and fault set-up) and waiting helpers. Dispose stops everything.
/// Used by the integration, jobs, fsck and client tests and by bench/client (docs/testing.md).
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly ClusterOptions _options;
    private readonly TempDirectory _dir;
    private readonly List<StorageNodeHandle> _nodes = new();
    private readonly List<TrackerHandle> _trackers = new();
    private TestDatabase? _db;

    private TestCluster(ClusterOptions options)
    {
        _options = options;
        _dir = new TempDirectory("mogfs-cluster-");
    }

    public CapturingLoggerProvider Logs { get; } = new();
    public string Root => _dir.Path;
    public DatabaseKind DatabaseKind => _options.Database;
    public TestDatabase Database => _db ?? throw new InvalidOperationException("no database");
    public string Dsn => Database.Dsn;
    public string? DbUser => Database.User;
    public string? DbPass => Database.Password;
    public PostgresServer? Postgres => _db?.Postgres;
    public int HttpPort { get; private set; }
    public int MgmtPort { get; private set; }
    public IReadOnlyList<StorageNodeHandle> Nodes => _nodes;
    public IReadOnlyList<TrackerHandle> Trackers => _trackers;

    /// <summary>The first running tracker.</summary>
    public TrackerHandle Tracker => _trackers.First(t => !t.Stopped);
    public IPEndPoint TrackerEndPoint => Tracker.EndPoint;

    /// <summary>The real ports standing in for the capture's ports (for transcript replay).</summary>
    public CapturePorts CapturePorts => new(TrackerEndPoint.Port, HttpPort, MgmtPort);

    public static async Task<TestCluster> StartAsync(ClusterOptions? options = null)
    {
        var cluster = new TestCluster(options ?? new ClusterOptions());
        try
        {
            cluster._db = await TestDatabase.CreateAsync(cluster._options.Database, cluster.Root, cluster._options.Postgres).ConfigureAwait(false);
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

    // ---- storage nodes ------------------------------------------------------------------------

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
            catch (Exception e) when (attempt < 8 && (IsAddressInUse(e) || e is SocketException or IOException or InvalidOperationException))
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
            IoStat = _options.NodeIoStat,
        };
        _options.ConfigureNode?.Invoke(options);
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

    public StorageNodeHandle? NodeForUrl(string url)
    {
        var uri = new Uri(url);
        return _nodes.FirstOrDefault(n => n.Ip == uri.Host && uri.Port == HttpPort);
    }

    /// <summary>The node that has device <paramref name="devid"/>.</summary>
    public StorageNodeHandle NodeOf(int devid) => _nodes.First(n => n.Spec.Devices.Contains(devid));

    /// <summary>Index in <see cref="Nodes"/> of the node that has <paramref name="devid"/> (-1: none).</summary>
    public int HostOf(int devid) => _nodes.FindIndex(n => n.Spec.Devices.Contains(devid));

    /// <summary>Where the fid's file lies on device <paramref name="devid"/>.</summary>
    public string FileOnDisk(long fid, int devid) => NodeOf(devid).FilePath(devid, fid);

    /// <summary>Devices whose docroot holds the fid's file.</summary>
    public List<int> CopiesOnDisk(long fid)
    {
        var list = new List<int>();
        foreach (var n in _nodes)
            foreach (int d in n.Spec.Devices)
                if (File.Exists(n.FilePath(d, fid))) list.Add(d);
        list.Sort();
        return list;
    }

    // ---- trackers -----------------------------------------------------------------------------

    /// <summary>
    /// The options the next tracker runs with (before <see cref="ClusterOptions.ConfigureTracker"/>).
    /// Trackers are separate processes in real life, each with its own connection pool; the pools of
    /// Npgsql and Microsoft.Data.Sqlite are per connection string and the store sizes its pool by
    /// query_jobs, so each further in-process tracker gets one query job less (its own pool).
    /// </summary>
    public TrackerOptions CreateTrackerOptions()
    {
        var options = new TrackerOptions
        {
            DbDsn = Dsn,
            DbUser = DbUser ?? "",
            DbPass = DbPass ?? "",
            Listen = [$"{_options.TrackerIp}:0"],
            MogstoredStreamPort = MgmtPort,
            // The tracker refuses to run as root unless told to; CI runs as root.
            User = Processes.IsRoot ? "root" : "",
            FileSettings = new Dictionary<string, string>(_options.TrackerSettings),
        };
        if (_options.QueryJobs is int queryJobs) options.QueryJobs = queryJobs;
        options.QueryJobs = Math.Max(1, options.QueryJobs - _trackers.Count);
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

    /// <summary>Kills a tracker's jobs as a crash would (claims not handed back), then stops it.</summary>
    public async Task CrashTrackerAsync(TrackerHandle tracker)
    {
        if (tracker.Stopped) return;
        tracker.Stopped = true;
        var host = JobHost.Of(tracker.Services);
        if (host != null) await host.CrashAsync().ConfigureAwait(false);
        await tracker.Server.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The job host of a tracker (the first running one by default).</summary>
    public JobHost Jobs(TrackerHandle? tracker = null) =>
        JobHost.Of((tracker ?? Tracker).Services) ?? throw new InvalidOperationException("jobs not started");

    // ---- protocol -----------------------------------------------------------------------------

    /// <summary>One request on a fresh connection to the (first running) tracker; the reply without CRLF.</summary>
    public Task<string> QueryAsync(string line, TrackerHandle? tracker = null) =>
        TrackerClient.QueryOnceAsync((tracker ?? Tracker).EndPoint, line);

    /// <summary>Like <see cref="QueryAsync"/> but requires OK and returns the decoded pairs.</summary>
    public async Task<Dictionary<string, string>> QueryOkAsync(string line, TrackerHandle? tracker = null)
    {
        string reply = await QueryAsync(line, tracker).ConfigureAwait(false);
        if (!reply.StartsWith("OK", StringComparison.Ordinal))
            throw new InvalidOperationException($"'{line}' failed: {reply}\n{Logs.Dump(30)}");
        return TrackerClient.ParseOk(reply);
    }

    /// <summary>Sends an admin (<c>!</c>) command on a fresh connection; returns its lines up to ".", each ending in LF.</summary>
    public async Task<string> AdminAsync(string command, TrackerHandle? tracker = null)
    {
        await using var client = await TrackerClient.ConnectAsync((tracker ?? Tracker).EndPoint).ConfigureAwait(false);
        await client.SendAsync(command + "\r\n").ConfigureAwait(false);
        return await ReadAdminBlockAsync(client).ConfigureAwait(false);
    }

    /// <summary>Reads one admin reply block (lines up to ".") from <paramref name="client"/>.</summary>
    public static async Task<string> ReadAdminBlockAsync(TrackerClient client)
    {
        var sb = new System.Text.StringBuilder();
        while (true)
        {
            var line = await client.ReadLineAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false) ?? throw new IOException("closed");
            string text = System.Text.Encoding.ASCII.GetString(line).TrimEnd('\r', '\n');
            if (text == ".") return sb.ToString();
            sb.Append(text).Append('\n');
        }
    }

    // ---- set-up -------------------------------------------------------------------------------

    /// <summary>Registers the capture's topology through the protocol: domain testdom with class c1
    /// (mindevcount 2), every node as a host alive with its devices alive, and waits until the
    /// monitor has seen the devices writable with known free space.</summary>
    public async Task RegisterTopologyAsync(string domain = CaptureTopology.Domain)
    {
        await QueryOkAsync("create_domain domain=" + domain).ConfigureAwait(false);
        await QueryOkAsync($"create_class domain={domain}&class=c1&mindevcount=2").ConfigureAwait(false);
        await RegisterNodesAsync().ConfigureAwait(false);
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

    /// <summary>Domain, class(es) (optionally with a replication policy), hosts alive and all
    /// devices alive; waits until every running tracker observes every device writeable.</summary>
    public async Task SetupAsync(string domain = "testdom", params (string Name, int MinDevCount, string? Policy)[] classes)
    {
        await QueryOkAsync("create_domain domain=" + domain).ConfigureAwait(false);
        foreach (var (name, min, policy) in classes)
        {
            await QueryOkAsync($"create_class domain={domain}&class={name}&mindevcount={min}").ConfigureAwait(false);
            if (policy != null)
                await ExecuteAsync("UPDATE class SET replpolicy = @p WHERE classname = @n", ("@p", policy), ("@n", name)).ConfigureAwait(false);
        }
        await RegisterNodesAsync().ConfigureAwait(false);
        await WaitWriteableAsync(_nodes.SelectMany(n => n.Spec.Devices)).ConfigureAwait(false);
    }

    /// <summary>create_host (alive, on the cluster's HTTP port) and create_device (alive) for every node.</summary>
    public async Task RegisterNodesAsync()
    {
        foreach (var node in _nodes)
        {
            await QueryOkAsync($"create_host host={node.Spec.Name}&ip={node.Ip}&port={HttpPort}&status=alive").ConfigureAwait(false);
            foreach (int dev in node.Spec.Devices)
                await QueryOkAsync($"create_device devid={dev}&hostname={node.Spec.Name}&state=alive").ConfigureAwait(false);
        }
    }

    /// <summary>Devices the monitor has seen writeable and whose free space it knows (create_open
    /// places files by free space: before the usage files are read, no device qualifies).</summary>
    public static int WritableWithSpace(Dictionary<string, string> getDevicesReply) =>
        getDevicesReply.Count(kv => kv.Key.EndsWith("_observed_state", StringComparison.Ordinal) && kv.Value == "writeable"
            && getDevicesReply.GetValueOrDefault(kv.Key[..^"_observed_state".Length] + "_mb_free", "") != "");

    /// <summary>Waits until the tracker (every running one by default) observes the devices writeable with known usage.</summary>
    public async Task WaitWriteableAsync(IEnumerable<int> devids, TrackerHandle? tracker = null)
    {
        var want = devids.ToList();
        foreach (var t in tracker is null ? _trackers.Where(x => !x.Stopped) : [tracker])
        {
            await WaitUntilAsync(() =>
            {
                var snap = t.Services.Metadata.Current;
                return Task.FromResult(want.All(d => snap.TryGetDevice(d, out var dev) && t.Services.Observations.IsWriteable(dev) && dev.MbTotal > 0));
            }, TimeSpan.FromSeconds(30), "devices " + string.Join(",", want) + " writeable with known usage").ConfigureAwait(false);
        }
    }

    // ---- files --------------------------------------------------------------------------------

    /// <summary>An HTTP client for the storage nodes, shared by the tests of a process.</summary>
    public static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 64 });

    /// <summary>Uploads a file through the protocol the way MogileFS::Client does (create_open
    /// multi_dest, PUT to the first path, create_close); returns its fid.</summary>
    public async Task<long> StoreFileAsync(string domain, string key, byte[] content, string? @class = null, TrackerHandle? tracker = null, HttpClient? http = null)
    {
        string encodedKey = TranscriptText.EncodeValue(key);
        var open = await QueryOkAsync($"create_open domain={domain}&key={encodedKey}"
            + (@class != null ? "&class=" + @class : "") + "&fid=0&multi_dest=1", tracker).ConfigureAwait(false);
        string path = open["path_1"];
        using (var body = new ByteArrayContent(content))
        {
            var response = await (http ?? Http).PutAsync(path, body).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
        }
        await QueryOkAsync($"create_close domain={domain}&key={encodedKey}&fid={open["fid"]}&devid={open["devid_1"]}"
            + $"&size={content.Length}&path={TranscriptText.EncodeValue(path)}", tracker).ConfigureAwait(false);
        return long.Parse(open["fid"], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Puts files straight into the database and onto one device (no protocol): file row, one
    /// location, bytes on disk, replication row due now. For large replication workloads.
    /// </summary>
    public async Task<List<long>> SeedFilesAsync(int count, int size, string domain, string? cls, int devid, long firstFid = 1)
    {
        var node = NodeOf(devid);
        int dmid = Convert.ToInt32(await ScalarAsync("SELECT dmid FROM domain WHERE namespace = @d", ("@d", domain)).ConfigureAwait(false));
        int classid = cls is null ? 0 : Convert.ToInt32(await ScalarAsync("SELECT classid FROM class WHERE dmid = @m AND classname = @c", ("@m", dmid), ("@c", cls)).ConfigureAwait(false));
        var fids = new List<long>(count);
        var data = new byte[size];
        Random.Shared.NextBytes(data);
        await using var conn = await OpenDatabaseAsync().ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync().ConfigureAwait(false);
        for (int i = 0; i < count; i++)
        {
            long fid = firstFid + i;
            fids.Add(fid);
            string file = node.FilePath(devid, fid);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            data[0] = (byte)i;
            await File.WriteAllBytesAsync(file, data).ConfigureAwait(false);
            await ExecuteAsync(conn, tx, "INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (@f, @m, @k, @l, @c, 1)",
                ("@f", fid), ("@m", dmid), ("@k", "seed-" + fid), ("@l", (long)size), ("@c", classid)).ConfigureAwait(false);
            await ExecuteAsync(conn, tx, "INSERT INTO file_on (fid, devid) VALUES (@f, @d)", ("@f", fid), ("@d", devid)).ConfigureAwait(false);
            await ExecuteAsync(conn, tx, "INSERT INTO file_to_replicate (fid, nexttry, failcount) VALUES (@f, 0, 0)", ("@f", fid)).ConfigureAwait(false);
        }
        await tx.CommitAsync().ConfigureAwait(false);
        return fids;
    }

    // ---- database -----------------------------------------------------------------------------

    /// <summary>A new open connection to the cluster's database (for checks and fault set-up).</summary>
    public Task<DbConnection> OpenDatabaseAsync() => Database.OpenAsync();

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, (string Name, object Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    /// <summary>Runs one statement and returns the first column of the first row (or null).</summary>
    public async Task<object?> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenDatabaseAsync().ConfigureAwait(false);
        await using var cmd = Command(connection, null, sql, parameters);
        var result = await cmd.ExecuteScalarAsync().ConfigureAwait(false);
        return result is DBNull ? null : result;
    }

    /// <summary>A COUNT (or any number) query as a long; null counts as 0.</summary>
    public async Task<long> CountAsync(string sql, params (string Name, object Value)[] parameters) =>
        Convert.ToInt64(await ScalarAsync(sql, parameters).ConfigureAwait(false) ?? 0L);

    public async Task<int> ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenDatabaseAsync().ConfigureAwait(false);
        await using var cmd = Command(connection, null, sql, parameters);
        return await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Runs one statement on an open connection, inside <paramref name="transaction"/>.</summary>
    public static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = Command(connection, transaction, sql, parameters);
        return await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Every row of a query, each as its column values (DBNull as null).</summary>
    public async Task<List<object?[]>> RowsAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenDatabaseAsync().ConfigureAwait(false);
        await using var cmd = Command(connection, null, sql, parameters);
        await using var reader = await cmd.ExecuteReaderAsync().ConfigureAwait(false);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            var row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>The devices the database lists for a fid, in order.</summary>
    public async Task<List<int>> DevidsOfAsync(long fid) =>
        (await RowsAsync("SELECT devid FROM file_on WHERE fid = @f ORDER BY devid", ("@f", fid)).ConfigureAwait(false))
            .Select(r => Convert.ToInt32(r[0])).ToList();

    /// <summary>fid → devids for every file.</summary>
    public async Task<Dictionary<long, List<int>>> AllLocationsAsync()
    {
        var d = new Dictionary<long, List<int>>();
        foreach (var r in await RowsAsync("SELECT f.fid, o.devid FROM file f LEFT JOIN file_on o ON o.fid = f.fid").ConfigureAwait(false))
        {
            long fid = Convert.ToInt64(r[0]);
            if (!d.TryGetValue(fid, out var l)) d[fid] = l = new List<int>();
            if (r[1] != null) l.Add(Convert.ToInt32(r[1]));
        }
        return d;
    }

    /// <summary>A server_settings value (null if unset).</summary>
    public async Task<string?> SettingAsync(string name) =>
        (string?)await ScalarAsync("SELECT value FROM server_settings WHERE field = @f", ("@f", name)).ConfigureAwait(false);

    // ---- waiting ------------------------------------------------------------------------------

    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds; TimeoutException after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition().ConfigureAwait(false)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(100).ConfigureAwait(false);
        }
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
        if (_db != null) await _db.DisposeAsync().ConfigureAwait(false);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
        Logs.Dispose();
    }
}
