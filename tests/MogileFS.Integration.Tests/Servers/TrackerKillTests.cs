using System.Collections.Concurrent;
using System.Net;
using Microsoft.Data.Sqlite;
using MogileFS.TestSupport;
using Xunit.Abstractions;

namespace MogileFS.Integration.Tests.Servers;

/// <summary>
/// Issue 14 (group commit, one transaction per create_close): mogilefsd as a real process on SQLite is
/// killed with SIGKILL at random moments while 16 clients store files. After each kill the database must
/// pass SQLite's integrity check, and a restarted tracker must know every file whose create_close was
/// answered OK, with its length, a replica row and the bytes on the node. What the tracker syncs and
/// when: docs/performance.md, "Durability".
/// </summary>
public sealed class TrackerKillTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new("mogfs-kill-");
    private readonly List<ManagedProcess> _processes = new();

    public void Dispose()
    {
        foreach (var p in _processes) p.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _dir.Dispose();
    }

    private ManagedProcess Start(string name, params string[] args)
    {
        var p = ManagedProcess.Start(name, args);
        _processes.Add(p);
        return p;
    }

    [Fact]
    public async Task Every_acknowledged_create_close_survives_SIGKILL_at_random_points()
    {
        string db = _dir.Combine("mogilefs.sqlite");
        var (code, setupOutput) = await ManagedProcess.RunAsync("mogdbsetup", ["--type=SQLite", "--yes", "--dbname=" + db]);
        Assert.True(code == 0, "mogdbsetup failed: " + setupOutput);

        var ip = IPAddress.Parse("127.0.3.1");
        int http = Executables.FreePort(ip), mgmt = Executables.FreePort(ip);
        string docroot = _dir.CreateSubdirectory("docroot");
        Directory.CreateDirectory(Path.Combine(docroot, "dev1"));
        var node = Start("mogstored", "--skipconfig", $"--httplisten={ip}:{http}", $"--mgmtlisten={ip}:{mgmt}", "--docroot=" + docroot);
        await node.WaitForListenAsync(new IPEndPoint(ip, http), TimeSpan.FromSeconds(20));

        var trackerEndPoint = new IPEndPoint(ip, Executables.FreePort(ip));
        string conf = _dir.Combine("mogilefsd.conf");
        await File.WriteAllTextAsync(conf, string.Join("\n",
            "db_dsn = DBI:SQLite:dbname=" + db,
            $"listen = {trackerEndPoint}",
            "query_jobs = 8",
            "mogstored_stream_port = " + mgmt,
            Processes.IsRoot ? "user = root" : "") + "\n");

        async Task<ManagedProcess> StartTrackerAsync()
        {
            var t = Start("mogilefsd", "--config=" + conf);
            await t.WaitForListenAsync(trackerEndPoint, TimeSpan.FromSeconds(30));
            return t;
        }

        async Task<Dictionary<string, string>> Ok(string line)
        {
            string reply = await TrackerClient.QueryOnceAsync(trackerEndPoint, line);
            Assert.True(reply.StartsWith("OK", StringComparison.Ordinal), $"{line} -> {reply}");
            return TrackerClient.ParseOk(reply);
        }

        var tracker = await StartTrackerAsync();
        await Ok("create_domain domain=d");
        await Ok("create_class domain=d&class=one&mindevcount=1");
        await Ok($"create_host host=h1&ip={ip}&port={http}&status=alive");
        await Ok("create_device devid=1&hostname=h1&state=alive");
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(200))
        {
            await Ok("do_monitor_round");
            if (MogileFS.TestSupport.Cluster.TestCluster.WritableWithSpace(await Ok("get_devices")) == 1) break;
            Assert.True(DateTime.UtcNow < deadline, "device never became writeable");
        }

        var acknowledged = new ConcurrentDictionary<string, int>();
        using var http1 = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var random = new Random();
        for (int round = 0; round < 3; round++)
        {
            using var stop = new CancellationTokenSource();
            int attempts = 0;
            string? firstError = null;
            int before = acknowledged.Count;
            var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                for (int i = 0; !stop.IsCancellationRequested; i++)
                {
                    string key = $"r{round}/w{w}/{i}";
                    int size = 1 + (w * 131 + i * 17) % 2048;
                    Interlocked.Increment(ref attempts);
                    try
                    {
                        await using var c = await TrackerClient.ConnectAsync(trackerEndPoint);
                        var open = TrackerClient.ParseOk(await c.QueryAsync($"create_open domain=d&class=one&key={key}&fid=0&multi_dest=1"));
                        (await http1.PutAsync(open["path_1"], new ByteArrayContent(Payload(key, size)))).EnsureSuccessStatusCode();
                        string close = await c.QueryAsync($"create_close domain=d&key={key}&fid={open["fid"]}&devid={open["devid_1"]}&size={size}&path={Uri.EscapeDataString(open["path_1"])}");
                        if (close.StartsWith("OK", StringComparison.Ordinal)) acknowledged[key] = size;
                    }
                    catch (Exception) when (stop.IsCancellationRequested || tracker.HasExited)
                    {
                        return; // the tracker died under this request: its outcome is unknown, nothing is claimed
                    }
                    catch (Exception e)
                    {
                        firstError ??= e.ToString();
                        await Task.Delay(10);
                    }
                }
            })).ToArray();

            // Kill at a random moment once stores are flowing (a cold start on a busy machine takes a while).
            for (var deadline = DateTime.UtcNow.AddSeconds(60); acknowledged.Count < before + 20; await Task.Delay(20))
                Assert.True(DateTime.UtcNow < deadline, "no stores acknowledged within 60 s; first error: " + firstError);
            int delayMs = random.Next(1000);
            await Task.Delay(delayMs);
            tracker.Signal(ManagedProcess.SIGKILL);
            await tracker.WaitForExitAsync(TimeSpan.FromSeconds(15));
            stop.Cancel();
            await Task.WhenAll(writers);
            output.WriteLine($"round {round}: killed {delayMs} ms after the 20th acknowledged store; {attempts} stores tried, {acknowledged.Count} acknowledged so far");

            await using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
            {
                await c.OpenAsync();
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "PRAGMA integrity_check";
                Assert.Equal("ok", (string?)await cmd.ExecuteScalarAsync());
                cmd.CommandText = "SELECT COUNT(*) FROM file f WHERE NOT EXISTS (SELECT 1 FROM file_on o WHERE o.fid = f.fid)";
                Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync())!);
                cmd.CommandText = "SELECT COUNT(*) FROM file f JOIN tempfile t ON t.fid = f.fid";
                Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync())!);
            }

            tracker = await StartTrackerAsync();
            foreach (var (key, size) in acknowledged)
            {
                var info = await Ok($"file_info domain=d&key={key}");
                Assert.Equal(size.ToString(System.Globalization.CultureInfo.InvariantCulture), info["length"]);
            }
            foreach (var key in acknowledged.Keys.Where((_, i) => i % 50 == 0))
            {
                var paths = await Ok($"get_paths domain=d&key={key}&noverify=1");
                Assert.Equal(Payload(key, acknowledged[key]), await http1.GetByteArrayAsync(paths["path1"]));
            }
        }
        Assert.True(acknowledged.Count > 0, "no store was acknowledged before the kills");
        tracker.Signal(ManagedProcess.SIGTERM);
        await tracker.WaitForExitAsync(TimeSpan.FromSeconds(15));
    }

    private static byte[] Payload(string key, int size)
    {
        var b = new byte[size];
        new Random(key.GetHashCode(StringComparison.Ordinal)).NextBytes(b);
        return b;
    }
}
