using System.Net;
using MogileFS.TestSupport;
using Xunit.Abstractions;

namespace MogileFS.Integration.Tests.Servers;

/// <summary>
/// The built executables as separate processes, the way an operator runs them: mogdbsetup creates
/// a SQLite database, two mogstored and one mogilefsd start from flags and a config file, a file
/// goes in and comes out, and SIGTERM stops each one cleanly and frees its port at once.
/// </summary>
public sealed class ProcessClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new("mogfs-procs-");
    private readonly List<ManagedProcess> _processes = new();

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            output.WriteLine($"--- {p.Name} (pid {p.Pid}) ---\n{p.Output}");
            p.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        _dir.Dispose();
    }

    private ManagedProcess Start(string name, params string[] args)
    {
        var p = ManagedProcess.Start(name, args);
        _processes.Add(p);
        return p;
    }

    /// <summary>A port free on both storage addresses (mogstored_stream_port is one number for all nodes).</summary>
    private static int PortFreeOnBoth()
    {
        for (int i = 0; i < 20; i++)
        {
            int port = Executables.FreePort(IPAddress.Parse("127.0.2.1"));
            if (Executables.IsPortFree(new IPEndPoint(IPAddress.Parse("127.0.2.2"), port))) return port;
        }
        throw new InvalidOperationException("no common free port");
    }

    [Fact]
    public async Task Executables_store_and_serve_a_file_and_stop_cleanly_on_SIGTERM()
    {
        string db = _dir.Combine("mogilefs.sqlite");
        var (code, setupOutput) = await ManagedProcess.RunAsync("mogdbsetup", ["--type=SQLite", "--yes", "--dbname=" + db]);
        Assert.True(code == 0, "mogdbsetup failed: " + setupOutput);

        int http = PortFreeOnBoth(), mgmt = PortFreeOnBoth();
        var nodes = new List<(ManagedProcess Process, string Ip)>();
        foreach (var (ip, devs) in new[] { ("127.0.2.1", new[] { 1, 2 }), ("127.0.2.2", new[] { 3, 4 }) })
        {
            string docroot = _dir.CreateSubdirectory("docroot-" + ip);
            foreach (int d in devs) Directory.CreateDirectory(Path.Combine(docroot, "dev" + d));
            var node = Start("mogstored", "--skipconfig", $"--httplisten={ip}:{http}", $"--mgmtlisten={ip}:{mgmt}", "--docroot=" + docroot);
            var took = await node.WaitForListenAsync(new IPEndPoint(IPAddress.Parse(ip), http), TimeSpan.FromSeconds(20));
            output.WriteLine($"mogstored on {ip} listening after {took.TotalMilliseconds:0} ms");
            nodes.Add((node, ip));
        }

        var trackerEndPoint = new IPEndPoint(IPAddress.Parse("127.0.2.1"), Executables.FreePort(IPAddress.Parse("127.0.2.1")));
        string conf = _dir.Combine("mogilefsd.conf");
        await File.WriteAllTextAsync(conf, string.Join("\n",
            "db_dsn = DBI:SQLite:dbname=" + db,
            $"listen = {trackerEndPoint}",
            "query_jobs = 3",
            "mogstored_stream_port = " + mgmt,
            Processes.IsRoot ? "user = root" : "") + "\n");
        var tracker = Start("mogilefsd", "--config=" + conf);
        var listening = await tracker.WaitForListenAsync(trackerEndPoint, TimeSpan.FromSeconds(20));
        output.WriteLine($"mogilefsd listening after {listening.TotalMilliseconds:0} ms (including the dotnet host start)");

        async Task<Dictionary<string, string>> Ok(string line)
        {
            string reply = await TrackerClient.QueryOnceAsync(trackerEndPoint, line);
            Assert.True(reply.StartsWith("OK", StringComparison.Ordinal), $"{line} -> {reply}");
            return TrackerClient.ParseOk(reply);
        }

        await Ok("create_domain domain=d");
        await Ok($"create_host host=h1&ip=127.0.2.1&port={http}&status=alive");
        await Ok($"create_host host=h2&ip=127.0.2.2&port={http}&status=alive");
        for (int d = 1; d <= 4; d++) await Ok($"create_device devid={d}&hostname=h{(d <= 2 ? 1 : 2)}&state=alive");
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(200))
        {
            await Ok("do_monitor_round");
            var devices = await Ok("get_devices");
            if (MogileFS.TestSupport.Cluster.TestCluster.WritableWithSpace(devices) == 4) break;
            Assert.True(DateTime.UtcNow < deadline, "devices never became writeable");
        }

        var open = await Ok("create_open domain=d&key=hello&fid=0&multi_dest=1");
        using (var client = new HttpClient())
        {
            (await client.PutAsync(open["path_1"], new ByteArrayContent("hello, world"u8.ToArray()))).EnsureSuccessStatusCode();
            await Ok($"create_close domain=d&key=hello&fid={open["fid"]}&devid={open["devid_1"]}&size=12&path={open["path_1"]}");
            var paths = await Ok("get_paths domain=d&key=hello");
            Assert.Equal("hello, world", await client.GetStringAsync(paths["path1"]));
        }

        // SIGTERM: a clean exit that frees the port at once; a new tracker finds the data.
        tracker.Signal(ManagedProcess.SIGTERM);
        Assert.Equal(0, await tracker.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.True(Executables.IsPortFree(trackerEndPoint), "the tracker's port is still taken after it exited");
        var again = Start("mogilefsd", "--config=" + conf);
        await again.WaitForListenAsync(trackerEndPoint, TimeSpan.FromSeconds(20));
        Assert.Equal("12", (await Ok("file_info domain=d&key=hello"))["length"]);
        again.Signal(ManagedProcess.SIGTERM);
        Assert.Equal(0, await again.WaitForExitAsync(TimeSpan.FromSeconds(15)));

        foreach (var (node, ip) in nodes)
        {
            node.Signal(ManagedProcess.SIGTERM);
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(20)));
            Assert.True(Executables.IsPortFree(new IPEndPoint(IPAddress.Parse(ip), http)), $"mogstored {ip}:{http} still bound");
        }
    }
}
