using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MogileFS.StorageNode;
using MogileFS.Store;
using MogileFS.TestSupport;
using MogileFS.Tracker;
using MogileFS.Tracker.Configuration;
using MySqlConnector;

namespace MogileFS.Integration.Tests.Migration;

/// <summary>
/// The installation recorded from MogileFS 2.73 (tests/TestData/mysql/README.txt) brought back to
/// life with our programs: the mariadb-dump loaded into a fresh database on the test MariaDB server,
/// the two Perl storage nodes' docroots copied and served by our storage nodes on their recorded
/// addresses (127.0.5.1 with dev1-2, 127.0.5.2 with dev3-5) on OS-assigned ports, the hosts'
/// http_port set to that port (what moving a storage node to another port does), and our tracker on
/// the database.
/// </summary>
public sealed class RecordedPerlSite : IAsyncDisposable
{
    public const string H1 = "127.0.5.1", H2 = "127.0.5.2", TrackerIp = "127.0.5.10";

    private readonly TempDirectory _dir = new("mogfs-perlsite-");
    private readonly List<StorageNodeServer> _nodes = new();

    public static string DataDir => Path.Combine(AppContext.BaseDirectory, "TestData", "mysql");
    public static string DumpFile => Path.Combine(DataDir, "perl-2.73-mogilefs.sql");
    public static string AnswersFile => Path.Combine(DataDir, "perl-2.73-answers.txt");

    public CapturingLoggerProvider Logs { get; } = new();
    public MariaDbServer Server { get; private set; } = null!;
    public string Database { get; private set; } = "";
    public string Dsn { get; private set; } = "";
    public string Root => _dir.Path;
    public int HttpPort { get; private set; }
    public int MgmtPort { get; private set; }
    public TrackerServer? Tracker { get; private set; }
    public IPEndPoint TrackerEndPoint => Tracker?.EndPoints[0] ?? throw new InvalidOperationException("no tracker");

    /// <summary>Database loaded, storage nodes up; the tracker is started by <see cref="StartTrackerAsync"/>.</summary>
    public static async Task<RecordedPerlSite> CreateAsync()
    {
        var site = new RecordedPerlSite();
        try
        {
            site.Server = await MariaDbServer.GetSharedAsync();
            site.Dsn = await site.Server.CreateDatabaseAsync();
            site.Database = DatabaseDsn.Parse(site.Dsn).Database!;
            await LoadDumpAsync(site.Server, site.Database, DumpFile);
            await site.StartNodesAsync();
            await site.ExecAsync($"UPDATE host SET http_port = {site.HttpPort}");
            return site;
        }
        catch
        {
            await site.DisposeAsync();
            throw;
        }
    }

    /// <summary>Loads a mariadb-dump file with the mariadb client, as an operator restores a backup.</summary>
    public static async Task LoadDumpAsync(MariaDbServer server, string database, string file)
    {
        string client = new[] { "/usr/bin/mariadb", "/usr/bin/mysql" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("the mariadb client is not installed");
        var psi = new ProcessStartInfo(client)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--no-defaults", "--protocol=TCP", "-h", server.Host, "-P", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", "root", database })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        await using (var input = File.OpenRead(file)) await input.CopyToAsync(p.StandardInput.BaseStream);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        if (p.ExitCode != 0) throw new InvalidOperationException($"loading {file} failed: {await err}{await output}");
    }

    private async Task StartNodesAsync()
    {
        foreach (var (ip, name) in new[] { (H1, "h1"), (H2, "h2") })
            CopyDirectory(Path.Combine(DataDir, "perl-2.73-docroot", name), _dir.Combine("nodes", name));
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                HttpPort = MgmtPort = 0;
                foreach (var (ip, name) in new[] { (H1, "h1"), (H2, "h2") })
                {
                    var node = new StorageNodeServer(new StorageNodeOptions
                    {
                        HttpListen = $"{ip}:{HttpPort}", MgmtListen = $"{ip}:{MgmtPort}", DocRoot = _dir.Combine("nodes", name),
                    }, Logs.CreateFactory());
                    try { await node.StartAsync(); }
                    catch { await node.DisposeAsync(); throw; }
                    _nodes.Add(node);
                    HttpPort = node.HttpEndPoint.Port;
                    MgmtPort = node.MgmtEndPoint.Port;
                }
                return;
            }
            catch (Exception e) when (attempt < 8 && IsAddressInUse(e))
            {
                await StopNodesAsync();
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

    private async Task StopNodesAsync()
    {
        foreach (var n in _nodes)
        {
            try { await n.StopAsync(); } finally { await n.DisposeAsync(); }
        }
        _nodes.Clear();
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)));
    }

    /// <summary>The path of a storage-node URL's file in the docroots.</summary>
    public string FileFor(string url)
    {
        var uri = new Uri(url);
        return _dir.Combine("nodes", uri.Host == H1 ? "h1" : "h2", uri.AbsolutePath.TrimStart('/'));
    }

    /// <summary>Every .fid file on both nodes (path relative to the node's docroot, e.g. dev3/0/000/000/0000000004.fid).</summary>
    public IEnumerable<string> FidFiles() =>
        new[] { "h1", "h2" }.SelectMany(n => Directory.GetFiles(_dir.Combine("nodes", n), "*.fid", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(_dir.Combine("nodes", n), f)));

    /// <summary>Our tracker's options on this site: its address, the database, the side-channel port;
    /// with <paramref name="jobs"/> false no replicate/delete/fsck/reaper workers (as when the answers
    /// were recorded).</summary>
    public TrackerOptions TrackerOptions(bool jobs)
    {
        var o = new TrackerOptions
        {
            DbDsn = Dsn,
            DbUser = MariaDbServer.User,
            DbPass = MariaDbServer.Password,
            Listen = [$"{TrackerIp}:0"],
            QueryJobs = 3,
            MogstoredStreamPort = MgmtPort,
            User = Processes.IsRoot ? "root" : "",
        };
        if (!jobs) o.ReplicateJobs = o.DeleteJobs = o.FsckJobs = o.ReaperJobs = 0;
        return o;
    }

    public async Task StartTrackerAsync(bool jobs, Action<TrackerOptions>? configure = null)
    {
        var options = TrackerOptions(jobs);
        configure?.Invoke(options);
        var t = new TrackerServer(options, Logs.CreateFactory());
        try { await t.StartAsync(); }
        catch { await t.DisposeAsync(); throw; }
        Tracker = t;
    }

    public async Task StopTrackerAsync()
    {
        var t = Tracker;
        Tracker = null;
        if (t == null) return;
        try { await t.StopAsync(); } finally { await t.DisposeAsync(); }
    }

    /// <summary>Runs monitor rounds until devices 1-5 are seen writeable (as when the answers were
    /// recorded: 2.73's monitor had run).</summary>
    public async Task WaitForMonitorAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await QueryOkAsync("do_monitor_round");
            var devices = await QueryOkAsync("get_devices");
            if (devices.Count(kv => kv.Key.EndsWith("_observed_state", StringComparison.Ordinal) && kv.Value == "writeable") >= 5) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the monitor never saw the devices writeable\n" + Logs.Dump(20));
            await Task.Delay(200);
        }
    }

    public Task<string> QueryAsync(string line) => TrackerClient.QueryOnceAsync(TrackerEndPoint, line);

    public async Task<Dictionary<string, string>> QueryOkAsync(string line)
    {
        string reply = await QueryAsync(line);
        if (!reply.StartsWith("OK", StringComparison.Ordinal))
            throw new InvalidOperationException($"'{line}' failed: {reply}\n{Logs.Dump(30)}");
        return TrackerClient.ParseOk(reply);
    }

    /// <summary>An admin command's block (lines up to ".").</summary>
    public async Task<string> AdminAsync(string line)
    {
        await using var c = await TrackerClient.ConnectAsync(TrackerEndPoint);
        await c.SendAsync(line + "\r\n");
        var text = new System.Text.StringBuilder();
        while (await c.ReadLineAsync(TimeSpan.FromSeconds(10)) is { } bytes)
        {
            string l = System.Text.Encoding.Latin1.GetString(bytes).TrimEnd('\r', '\n');
            if (l == ".") break;
            text.AppendLine(l);
        }
        return text.ToString();
    }

    public MySqlConnection Connect() => new(new MySqlConnectionStringBuilder
    {
        Server = Server.Host, Port = (uint)Server.Port, UserID = MariaDbServer.User, Password = MariaDbServer.Password,
        Database = Database, Pooling = false, SslMode = MySqlSslMode.None, CharacterSet = "utf8mb4",
    }.ConnectionString);

    public async Task<int> ExecAsync(string sql)
    {
        await using var c = Connect();
        await c.OpenAsync();
        await using var cmd = new MySqlCommand(sql, c);
        return await cmd.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var c = Connect();
        await c.OpenAsync();
        await using var cmd = new MySqlCommand(sql, c);
        var v = await cmd.ExecuteScalarAsync();
        return v is DBNull ? null : v;
    }

    public async Task<long> CountAsync(string sql) => Convert.ToInt64(await ScalarAsync(sql), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Polls until <paramref name="condition"/> holds or <paramref name="seconds"/> pass.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, double seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            if (await condition()) return true;
            await Task.Delay(200);
        }
        return await condition();
    }

    public async ValueTask DisposeAsync()
    {
        await StopTrackerAsync();
        await StopNodesAsync();
        if (Server != null && Database.Length > 0)
        {
            try { await Server.DropDatabaseAsync(Database); } catch (MySqlException) { }
        }
        _dir.Dispose();
    }
}
