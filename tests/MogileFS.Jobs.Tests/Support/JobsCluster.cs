using System.Data.Common;
using System.Net;
using System.Net.Sockets;
using MogileFS.Core.Model;
using MogileFS.StorageNode;
using MogileFS.Store;
using MogileFS.Store.Schema;
using MogileFS.TestSupport;
using MogileFS.Tracker;
using MogileFS.Tracker.Configuration;
using MogileFS.Tracker.Jobs;

namespace MogileFS.Jobs.Tests.Support;

/// <summary>A storage node: its address, docroot and devices.</summary>
public sealed record NodeSpec(string Name, string Ip, params int[] Devices);

public sealed class JobsClusterOptions
{
    public DatabaseKind Database { get; init; } = DatabaseKind.Sqlite;
    public required IReadOnlyList<NodeSpec> Nodes { get; init; }
    public int Trackers { get; init; } = 1;

    /// <summary>Extension keys of the tracker config (docs/jobs.md): short clocks for tests.</summary>
    public Dictionary<string, string> JobSettings { get; init; } = new()
    {
        ["monitor_interval"] = "0.3",
        ["monitor_test_interval"] = "2",
        ["monitor_usage_interval"] = "1",
        ["job_master_idle"] = "0.2",
        ["reaper_interval"] = "0.3",
        ["reaper_grace"] = "0.5",
        ["queue_claim_lease"] = "6",
    };

    public Action<TrackerOptions>? ConfigureTracker { get; init; }

    /// <summary>Run the nodes' iostat feed (off by default: tests do not need it).</summary>
    public bool NodeIoStat { get; init; }
}

public sealed class NodeHandle(NodeSpec spec, string docRoot)
{
    public NodeSpec Spec { get; } = spec;
    public string DocRoot { get; } = docRoot;
    public StorageNodeServer? Server { get; set; }
    public string FilePath(int devid, long fid) => Path.Combine(DocRoot, StoragePaths.FidPath(devid, fid).TrimStart('/'));
}

/// <summary>
/// A MogileFS installation in this process for job tests: a SQLite file or a fresh PostgreSQL database,
/// storage nodes on their own 127.0.x.y addresses sharing one HTTP and one side-channel port (the
/// tracker's mogstored_stream_port is global), and trackers with short job clocks. Dispose stops it all.
/// </summary>
public sealed partial class JobsCluster : IAsyncDisposable
{
    private readonly JobsClusterOptions _options;
    private readonly TempDirectory _dir = new("mogfs-jobs-");
    private readonly List<NodeHandle> _nodes = new();
    private readonly List<TrackerServer> _trackers = new();
    private readonly HashSet<TrackerServer> _stopped = new();
    private PostgresServer? _pg;
    private MariaDbServer? _my;
    private string? _myDb;
    private string? _pgDb;

    private JobsCluster(JobsClusterOptions options) => _options = options;

    public CapturingLoggerProvider Logs { get; } = new();
    public string Dsn { get; private set; } = "";
    public string? DbUser { get; private set; }
    public string? DbPass { get; private set; }
    public int HttpPort { get; private set; }
    public int MgmtPort { get; private set; }
    public IReadOnlyList<NodeHandle> Nodes => _nodes;
    public IReadOnlyList<TrackerServer> Trackers => _trackers;
    public TrackerServer Tracker => _trackers.First(t => !_stopped.Contains(t));
    public DatabaseKind Kind => _options.Database;

    public static async Task<JobsCluster> StartAsync(JobsClusterOptions options)
    {
        var c = new JobsCluster(options);
        try
        {
            if (options.Database == DatabaseKind.Postgres)
            {
                c._pg = await PostgresServer.GetSharedAsync();
                c.Dsn = await c._pg.CreateDatabaseAsync();
                c._pgDb = DatabaseDsn.Parse(c.Dsn).Database;
                c.DbUser = PostgresServer.User;
                c.DbPass = PostgresServer.Password;
            }
            else if (options.Database == DatabaseKind.MySql)
            {
                c._my = await MariaDbServer.GetSharedAsync();
                c.Dsn = await c._my.CreateDatabaseAsync();
                c._myDb = DatabaseDsn.Parse(c.Dsn).Database;
                c.DbUser = MariaDbServer.User;
                c.DbPass = MariaDbServer.Password;
            }
            else c.Dsn = "DBI:SQLite:dbname=" + c._dir.Combine("mogilefs.sqlite");
            await SchemaInstaller.InstallAsync(DatabaseDsn.Parse(c.Dsn), c.DbUser, c.DbPass);
            foreach (var spec in options.Nodes)
            {
                string root = c._dir.CreateSubdirectory("nodes", spec.Name);
                foreach (int d in spec.Devices) Directory.CreateDirectory(Path.Combine(root, "dev" + d));
                c._nodes.Add(new NodeHandle(spec, root));
            }
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    c.HttpPort = c.MgmtPort = 0;
                    foreach (var n in c._nodes) await c.StartNodeAsync(n);
                    break;
                }
                catch (Exception e) when (attempt < 8 && e is SocketException or IOException or InvalidOperationException)
                {
                    foreach (var n in c._nodes) await c.StopNodeAsync(n);
                }
            }
            for (int i = 0; i < options.Trackers; i++) await c.AddTrackerAsync();
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    public async Task StartNodeAsync(NodeHandle node)
    {
        if (node.Server != null) return;
        var server = new StorageNodeServer(new StorageNodeOptions
        {
            HttpListen = $"{node.Spec.Ip}:{HttpPort}",
            MgmtListen = $"{node.Spec.Ip}:{MgmtPort}",
            DocRoot = node.DocRoot,
            IoStat = _options.NodeIoStat,
        }, Logs.CreateFactory());
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        node.Server = server;
        HttpPort = server.HttpEndPoint.Port;
        MgmtPort = server.MgmtEndPoint.Port;
    }

    public async Task StopNodeAsync(NodeHandle node)
    {
        var s = node.Server;
        if (s == null) return;
        node.Server = null;
        try { await s.StopAsync(); } finally { await s.DisposeAsync(); }
    }

    public TrackerOptions TrackerOptions()
    {
        var o = new TrackerOptions
        {
            DbDsn = Dsn,
            DbUser = DbUser ?? "",
            DbPass = DbPass ?? "",
            Listen = ["127.0.0.1:0"],
            MogstoredStreamPort = MgmtPort,
            User = Processes.IsRoot ? "root" : "",
            FileSettings = new Dictionary<string, string>(_options.JobSettings),
        };
        _options.ConfigureTracker?.Invoke(o);
        return o;
    }

    public async Task<TrackerServer> AddTrackerAsync(TrackerOptions? options = null)
    {
        if (options is null)
        {
            options = TrackerOptions();
            // Trackers are separate processes in real life, each with its own PostgreSQL connection pool.
            // Npgsql pools by connection string, and the store sizes its pool for one tracker, so give
            // each in-process tracker a different size (= a different connection string, its own pool).
            options.QueryJobs -= _trackers.Count;
        }
        var t = new TrackerServer(options, Logs.CreateFactory());
        try
        {
            await t.StartAsync();
        }
        catch
        {
            await t.DisposeAsync();
            throw;
        }
        _trackers.Add(t);
        return t;
    }

    public async Task StopTrackerAsync(TrackerServer t)
    {
        if (!_stopped.Add(t)) return;
        await t.DisposeAsync();
    }

    /// <summary>Kills a tracker's jobs as a crash would (claims not handed back), then stops it.</summary>
    public async Task CrashTrackerAsync(TrackerServer t)
    {
        if (!_stopped.Add(t)) return;
        var host = JobHost.Of(t.Services);
        if (host != null) await host.CrashAsync();
        await t.DisposeAsync();
    }

    public JobHost Jobs(TrackerServer? t = null) => JobHost.Of((t ?? Tracker).Services) ?? throw new InvalidOperationException("jobs not started");

    // ---- protocol ------------------------------------------------------------------------------

    public Task<string> QueryAsync(string line, TrackerServer? t = null) =>
        TrackerClient.QueryOnceAsync((t ?? Tracker).EndPoints[0], line);

    /// <summary>Sends an admin (<c>!</c>) command on a fresh connection; returns its lines up to ".", each ending in LF.</summary>
    public async Task<string> AdminAsync(string command)
    {
        await using var client = await TrackerClient.ConnectAsync(Tracker.EndPoints[0]);
        await client.SendAsync(command + "\r\n");
        return await ReadAdminBlockAsync(client);
    }

    /// <summary>Reads one admin reply block (lines up to ".") from <paramref name="client"/>.</summary>
    public static async Task<string> ReadAdminBlockAsync(TrackerClient client)
    {
        var sb = new System.Text.StringBuilder();
        while (true)
        {
            var line = await client.ReadLineAsync(TimeSpan.FromSeconds(10)) ?? throw new IOException("closed");
            string text = System.Text.Encoding.ASCII.GetString(line).TrimEnd('\r', '\n');
            if (text == ".") return sb.ToString();
            sb.Append(text).Append('\n');
        }
    }

    public async Task<Dictionary<string, string>> QueryOkAsync(string line, TrackerServer? t = null)
    {
        string reply = await QueryAsync(line, t);
        if (!reply.StartsWith("OK", StringComparison.Ordinal))
            throw new InvalidOperationException($"'{line}' failed: {reply}\n{Logs.Dump(30)}");
        return TrackerClient.ParseOk(reply);
    }

    /// <summary>Domain, class(es), hosts alive and all devices alive; waits until every device is observed writeable.</summary>
    public async Task SetupAsync(string domain = "testdom", params (string Name, int MinDevCount, string? Policy)[] classes)
    {
        await QueryOkAsync("create_domain domain=" + domain);
        foreach (var (name, min, policy) in classes)
        {
            await QueryOkAsync($"create_class domain={domain}&class={name}&mindevcount={min}");
            if (policy != null)
                await ExecuteAsync("UPDATE class SET replpolicy = @p WHERE classname = @n", ("@p", policy), ("@n", name));
        }
        foreach (var n in _nodes)
        {
            await QueryOkAsync($"create_host host={n.Spec.Name}&ip={n.Spec.Ip}&port={HttpPort}&status=alive");
            foreach (int d in n.Spec.Devices) await QueryOkAsync($"create_device devid={d}&hostname={n.Spec.Name}&state=alive");
        }
        await WaitWriteableAsync(_nodes.SelectMany(n => n.Spec.Devices));
    }

    public async Task WaitWriteableAsync(IEnumerable<int> devids, TrackerServer? t = null)
    {
        var want = devids.ToList();
        foreach (var tr in t is null ? _trackers.Where(x => !_stopped.Contains(x)) : [t])
        {
            await WaitUntilAsync(() =>
            {
                var snap = tr.Services.Metadata.Current;
                return Task.FromResult(want.All(d => snap.TryGetDevice(d, out var dev) && tr.Services.Observations.IsWriteable(dev) && dev.MbTotal > 0));
            }, TimeSpan.FromSeconds(30), "devices " + string.Join(",", want) + " writeable with known usage");
        }
    }

    /// <summary>Uploads through the protocol (create_open, PUT, create_close); returns the fid.</summary>
    public async Task<long> StoreFileAsync(string domain, string key, byte[] content, string? cls = null, TrackerServer? t = null, HttpClient? http = null)
    {
        var open = await QueryOkAsync($"create_open domain={domain}&key={Uri.EscapeDataString(key)}" + (cls != null ? "&class=" + cls : "") + "&fid=0&multi_dest=1", t);
        string path = open["path_1"];
        var client = http ?? Http;
        using (var body = new ByteArrayContent(content))
        {
            var r = await client.PutAsync(path, body);
            r.EnsureSuccessStatusCode();
        }
        await QueryOkAsync($"create_close domain={domain}&key={Uri.EscapeDataString(key)}&fid={open["fid"]}&devid={open["devid_1"]}&size={content.Length}&path={Uri.EscapeDataString(path)}", t);
        return long.Parse(open["fid"], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 64 });

    /// <summary>
    /// Puts files straight into the database and onto one device (no protocol): file row, one
    /// location, bytes on disk, replication row due now. For large replication workloads.
    /// </summary>
    public async Task<List<long>> SeedFilesAsync(int count, int size, string domain, string? cls, int devid, long firstFid = 1)
    {
        var node = _nodes.First(n => n.Spec.Devices.Contains(devid));
        int dmid = Convert.ToInt32(await ScalarAsync("SELECT dmid FROM domain WHERE namespace = @d", ("@d", domain)));
        int classid = cls is null ? 0 : Convert.ToInt32(await ScalarAsync("SELECT classid FROM class WHERE dmid = @m AND classname = @c", ("@m", dmid), ("@c", cls)));
        var fids = new List<long>(count);
        var data = new byte[size];
        Random.Shared.NextBytes(data);
        await using var conn = await OpenDatabaseAsync();
        await using var tx = await conn.BeginTransactionAsync();
        for (int i = 0; i < count; i++)
        {
            long fid = firstFid + i;
            fids.Add(fid);
            string file = node.FilePath(devid, fid);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            data[0] = (byte)i;
            await File.WriteAllBytesAsync(file, data);
            foreach (var (sql, ps) in new (string, (string, object)[])[]
            {
                ("INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (@f, @m, @k, @l, @c, 1)", [("@f", fid), ("@m", dmid), ("@k", "seed-" + fid), ("@l", (long)size), ("@c", classid)]),
                ("INSERT INTO file_on (fid, devid) VALUES (@f, @d)", [("@f", fid), ("@d", devid)]),
                ("INSERT INTO file_to_replicate (fid, nexttry, failcount) VALUES (@f, 0, 0)", [("@f", fid)]),
            })
            {
                await using var cmd = conn.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = sql;
                foreach (var (n, v) in ps) AddParam(cmd, n, v);
                await cmd.ExecuteNonQueryAsync();
            }
        }
        await tx.CommitAsync();
        return fids;
    }

    // ---- database ------------------------------------------------------------------------------

    public async Task<DbConnection> OpenDatabaseAsync()
    {
        var c = DatabaseDsn.Parse(Dsn).CreateConnection(DbUser, DbPass);
        await c.OpenAsync();
        return c;
    }

    private static void AddParam(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }

    public async Task<object?> ScalarAsync(string sql, params (string Name, object Value)[] ps)
    {
        await using var c = await OpenDatabaseAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in ps) AddParam(cmd, n, v);
        var r = await cmd.ExecuteScalarAsync();
        return r is DBNull ? null : r;
    }

    public async Task<long> CountAsync(string sql, params (string Name, object Value)[] ps) => Convert.ToInt64(await ScalarAsync(sql, ps) ?? 0L);

    public async Task<int> ExecuteAsync(string sql, params (string Name, object Value)[] ps)
    {
        await using var c = await OpenDatabaseAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in ps) AddParam(cmd, n, v);
        return await cmd.ExecuteNonQueryAsync();
    }

    public async Task<List<int>> DevidsOfAsync(long fid)
    {
        await using var c = await OpenDatabaseAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT devid FROM file_on WHERE fid = @f ORDER BY devid";
        AddParam(cmd, "@f", fid);
        var list = new List<int>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) list.Add(Convert.ToInt32(r.GetValue(0)));
        return list;
    }

    /// <summary>fid → devids for every file.</summary>
    public async Task<Dictionary<long, List<int>>> AllLocationsAsync()
    {
        await using var c = await OpenDatabaseAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT f.fid, o.devid FROM file f LEFT JOIN file_on o ON o.fid = f.fid";
        var d = new Dictionary<long, List<int>>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            long fid = Convert.ToInt64(r.GetValue(0));
            if (!d.TryGetValue(fid, out var l)) d[fid] = l = new List<int>();
            if (!r.IsDBNull(1)) l.Add(Convert.ToInt32(r.GetValue(1)));
        }
        return d;
    }

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

    public int HostOf(int devid) => _nodes.FindIndex(n => n.Spec.Devices.Contains(devid));

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition()) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var t in _trackers)
        {
            if (_stopped.Add(t))
            {
                try { await t.DisposeAsync(); } catch (Exception) { }
            }
        }
        foreach (var n in _nodes)
        {
            try { await StopNodeAsync(n); } catch (Exception) { }
        }
        if (_pg != null && _pgDb != null && _pg.IsRunning)
        {
            try { await _pg.DropDatabaseAsync(_pgDb); } catch (Exception) { }
        }
        if (_my != null && _myDb != null && _my.IsRunning)
        {
            try { await _my.DropDatabaseAsync(_myDb); } catch (Exception) { }
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
        Logs.Dispose();
    }
}
