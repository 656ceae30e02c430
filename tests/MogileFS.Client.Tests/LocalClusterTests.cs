using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MogileFS.TestSupport;

namespace MogileFS.Client.Tests;

/// <summary>The local cluster command, started, used with the tools, stopped and started again, from a test.</summary>
public class LocalClusterTests
{
    private static int FreePort(string ip)
    {
        var l = new TcpListener(IPAddress.Parse(ip), 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private sealed class Launcher : IAsyncDisposable
    {
        private readonly Process _p;
        private readonly System.Text.StringBuilder _out = new();
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Launcher(string[] args)
        {
            var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "mogcluster"))
            {
                RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            };
            foreach (var a in args) psi.ArgumentList.Add(a);
            _p = Process.Start(psi)!;
            _p.OutputDataReceived += (_, e) => { if (e.Data is null) return; lock (_out) _out.AppendLine(e.Data); if (e.Data.Contains("Press Ctrl-C")) _ready.TrySetResult(); };
            _p.ErrorDataReceived += (_, e) => { if (e.Data is null) return; lock (_out) _out.AppendLine(e.Data); };
            _p.BeginOutputReadLine();
            _p.BeginErrorReadLine();
        }

        public string Output { get { lock (_out) return _out.ToString(); } }

        public async Task WaitReadyAsync()
        {
            var done = await Task.WhenAny(_ready.Task, _p.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(120)));
            if (done != _ready.Task) throw new Exception("cluster did not come up:\n" + Output);
        }

        /// <summary>SIGTERM (what Ctrl-C does in a terminal; a background process ignores SIGINT).</summary>
        public async Task<int> StopAsync()
        {
            Process.Start("kill", ["-TERM", _p.Id.ToString()])!.WaitForExit();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await _p.WaitForExitAsync(cts.Token);
            return _p.ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_p.HasExited) { try { await StopAsync(); } catch { _p.Kill(true); } }
            _p.Dispose();
        }
    }

    [Fact]
    public Task Starts_serves_stops_everything_and_keeps_its_data() => StartsServesStopsAsync("127.0.5", []);

    [MogileFS.TestSupport.MariaDbFact]
    public Task Starts_serves_stops_everything_and_keeps_its_data_on_MySql() =>
        StartsServesStopsAsync("127.0.6", ["--mysql", $"--my-port={FreePort("127.0.0.1")}"]);

    private static async Task StartsServesStopsAsync(string net, string[] extra)
    {
        using var dir = new TempDirectory("mogcluster-");
        string[] ips = [net + ".1", net + ".2", net + ".3"];
        var tracker = $"127.0.0.1:{FreePort("127.0.0.1")}";
        string[] args = ["up", $"--data={dir.Path}", $"--tracker={tracker}", $"--ips={string.Join(",", ips)}",
            $"--http-port={FreePort(ips[0])}", $"--mgmt-port={FreePort(ips[0])}", .. extra];

        var file = dir.Combine("hello.txt");
        await File.WriteAllTextAsync(file, "hello from the local cluster\n");
        List<int> pids;
        await using (var cluster = new Launcher(args))
        {
            await cluster.WaitReadyAsync();
            Assert.Contains($"mogupload --trackers={tracker} --domain=default", cluster.Output);
            // Issue 12 items 1 and 4: each database has its own device directories (with SQLite and
            // --mysql on one data folder they once shared data/nodes and overwrote each other's
            // files), and the banner names the database user mogstats needs.
            bool server = extra.Contains("--mysql");
            Assert.True(Directory.Exists(dir.Combine(server ? "nodes-mysql" : "nodes", "node1", "dev1")));
            Assert.False(Directory.Exists(dir.Combine(server ? "nodes" : "nodes-mysql")));
            if (server) Assert.Contains("--db_user=mogile --db_pass=mogile", cluster.Output);
            var up = await ToolRunner.RunAsync("mogupload", [$"--trackers={tracker}", "--domain=default", "--key=hello", $"--file={file}"]);
            Assert.True(up.ExitCode == 0, up.Err);
            var check = await ToolRunner.RunAsync("mogadm", [$"--trackers={tracker}", "check"]);
            Assert.Equal(0, check.ExitCode);
            Assert.Contains("[ 3] node3 ... OK", check.Out);
            Assert.Equal(0, await cluster.StopAsync());
            pids = Regex.Matches(cluster.Output, @"stopping .* \(pid (\d+)\)").Select(m => int.Parse(m.Groups[1].Value)).ToList();
        }
        Assert.Equal(4, pids.Count); // one tracker, three storage nodes
        foreach (var pid in pids) Assert.False(Alive(pid), $"pid {pid} still running");

        // Started again on the same data folder, the file is still there.
        await using (var again = new Launcher(args))
        {
            await again.WaitReadyAsync();
            var fetch = await ToolRunner.RunAsync("mogfetch", [$"--trackers={tracker}", "--domain=default", "--key=hello", "--file=-"]);
            Assert.Equal(0, fetch.ExitCode);
            Assert.Equal("hello from the local cluster\n", fetch.Out);
            Assert.Equal(0, await again.StopAsync());
        }
    }

    private static bool Alive(int pid)
    {
        try { return !Process.GetProcessById(pid).HasExited; } catch (ArgumentException) { return false; }
    }
}
