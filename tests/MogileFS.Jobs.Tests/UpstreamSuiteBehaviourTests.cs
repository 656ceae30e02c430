using System.Diagnostics;
using System.Text;
using MogileFS.Core.Model;
using MogileFS.TestSupport.Cluster;
using MogileFS.TestSupport;
using MogileFS.Tracker.Metadata;

namespace MogileFS.Jobs.Tests;

/// <summary>
/// Behaviour of 2.73 that MogileFS-Server's own test suite (t/*.t, run by the compat-suite harness)
/// relies on and that our transcripts did not show. One test per behaviour, on real servers, so CI
/// guards what the upstream suite taught us.
/// </summary>
public sealed class UpstreamSuiteBehaviourTests
{
    private static ClusterOptions TwoHosts(string net, Action<MogileFS.Tracker.Configuration.TrackerOptions>? configure = null) => ClusterOptions.ForJobs with
    {
        Nodes = [new NodeSpec("h1", $"127.0.{net}.1", 1), new NodeSpec("h2", $"127.0.{net}.2", 2)],
        ConfigureTracker = configure,
    };

    private static Task<string> AdminAsync(TestCluster c, string command) => c.AdminAsync(command);

    /// <summary>The lines "job count N" of !jobs, by job (absent: the job is not listed).</summary>
    private static async Task<Dictionary<string, int>> CountsAsync(TestCluster c)
    {
        var counts = new Dictionary<string, int>();
        foreach (var line in (await AdminAsync(c, "!jobs")).Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts.Length == 3 && parts[1] == "count") counts[parts[0]] = int.Parse(parts[2]);
        }
        return counts;
    }

    private static async Task<int[]> PidsAsync(TestCluster c, string job)
    {
        foreach (var line in (await AdminAsync(c, "!jobs")).Split('\n'))
            if (line.StartsWith(job + " pids ", StringComparison.Ordinal))
                return line[(job.Length + 6)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        return [];
    }

    private static async Task WaitForCountAsync(TestCluster c, string job, int count) =>
        await TestCluster.WaitUntilAsync(async () => (await CountsAsync(c)).TryGetValue(job, out var n) && n == count,
            TimeSpan.FromSeconds(45), $"{job} count {count}");

    /// <summary>A !watch connection and the ":: " lines it receives.</summary>
    private sealed class Watcher : IAsyncDisposable
    {
        private readonly TrackerClient _client;
        private Watcher(TrackerClient client) => _client = client;

        public static async Task<Watcher> StartAsync(TestCluster c)
        {
            var client = await TrackerClient.ConnectAsync(c.Tracker.EndPoint);
            await client.SendAsync("!watch\r\n");
            Assert.Equal("Added you to watcher list.\n", await TestCluster.ReadAdminBlockAsync(client));
            return new Watcher(client);
        }

        public async Task<string> WaitForAsync(string contains, TimeSpan timeout)
        {
            var sw = Stopwatch.StartNew();
            var seen = new StringBuilder();
            while (sw.Elapsed < timeout)
            {
                var line = await _client.ReadLineAsync(timeout - sw.Elapsed);
                if (line is null) break;
                string text = Encoding.ASCII.GetString(line).TrimEnd('\r', '\n');
                seen.AppendLine(text);
                if (text.Contains(contains, StringComparison.Ordinal)) return text;
            }
            throw new TimeoutException($"no watch line containing '{contains}'; saw:\n{seen}");
        }

        public ValueTask DisposeAsync() => _client.DisposeAsync();
    }

    [Fact]
    public async Task ChangesToDevicesReplyAfterAFreshMonitorRound_SoTheNewDeviceIsUsableAtOnce()
    {
        // t/70-reaper.t: "device add" then new_file at once; 2.73 ends create_device with clear_cache.
        var options = TwoHosts("71");
        var slow = ClusterOptions.ForJobs with { Nodes = options.Nodes, TrackerSettings = new Dictionary<string, string>(ClusterOptions.ShortJobClocks) { ["monitor_interval"] = "30" } };
        await using var c = await TestCluster.StartAsync(slow);
        var rt = c.Tracker.Services;
        await c.QueryOkAsync("create_domain domain=d");
        await c.QueryOkAsync($"create_host host=h1&ip=127.0.71.1&port={c.HttpPort}&status=alive");
        await c.QueryOkAsync("create_device devid=1&hostname=h1&state=alive");
        // No waiting: the reply came after a round that started after the device existed.
        Assert.Equal(ObservedState.Writeable, rt.Observations.Get(1)?.State);
        var open = await c.QueryOkAsync("create_open domain=d&key=k&fid=0");
        Assert.Equal("1", open["devid"]);

        // clear_cache (Test.pm's wait_for_monitor) waits for a round that started after it was asked,
        // although the monitor's own interval here is 30 s.
        long before = rt.Monitor.RoundsCompleted;
        var sw = Stopwatch.StartNew();
        await c.QueryOkAsync("clear_cache");
        Assert.True(rt.Monitor.RoundsCompleted > before);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(25), $"clear_cache waited for the regular round ({sw.Elapsed})");
    }

    [Fact]
    public async Task WithoutAJobMasterNoDeleteReplicateOrFsckWorkersRun_TheyStartWithIt()
    {
        // t/80-job_master.t: mogilefsd --no-job_master.
        await using var c = await TestCluster.StartAsync(TwoHosts("72", o => o.JobMaster = false));
        await c.SetupAsync("testdom", ("c2", 2, null));
        var counts = await CountsAsync(c);
        Assert.True(counts["queryworker"] > 0);
        foreach (var job in new[] { "fsck", "delete", "replicate", "job_master" })
            Assert.False(counts.ContainsKey(job), $"{job} listed without a job master:\n{string.Join(", ", counts)}");

        Assert.Equal("Now desiring 1 children doing 'job_master'.\n", await AdminAsync(c, "!want 1 job_master"));
        foreach (var job in new[] { "fsck", "delete", "replicate", "job_master" }) await WaitForCountAsync(c, job, 1);

        // Without a job master again: the dependent workers go away, listed with count 0 (as 2.73).
        await AdminAsync(c, "!want 0 job_master");
        foreach (var job in new[] { "fsck", "delete", "replicate" }) await WaitForCountAsync(c, job, 0);
    }

    [Fact]
    public async Task WantZeroKeepsTheJobListedWithCountZero_AndStopsTheMonitorToo()
    {
        // Test.pm want(): after "!want 0 replicate" it waits for a "replicate count 0" line.
        await using var c = await TestCluster.StartAsync(TwoHosts("73"));
        await c.SetupAsync("testdom", ("c2", 2, null));
        foreach (var job in new[] { "replicate", "monitor", "reaper", "delete", "queryworker" })
        {
            Assert.Equal($"Now desiring 0 children doing '{job}'.\n", await AdminAsync(c, $"!want 0 {job}"));
            await WaitForCountAsync(c, job, 0);
            Assert.Contains($"{job} desired 0\n{job} pids \n", await AdminAsync(c, "!jobs"));
        }
        long rounds = c.Tracker.Services.Monitor.RoundsCompleted;
        await Task.Delay(1000);
        Assert.Equal(rounds, c.Tracker.Services.Monitor.RoundsCompleted); // monitor_interval is 0.3 s here
        await AdminAsync(c, "!want 1 queryworker");
        await WaitForCountAsync(c, "queryworker", 1);
        // With no monitor, commands that wait for a round answer at once (2.73 would hang them).
        await c.QueryOkAsync("clear_cache");
        await c.QueryOkAsync("create_domain domain=while-paused");

        foreach (var job in new[] { "monitor", "replicate" })
        {
            await AdminAsync(c, $"!want 1 {job}");
            await WaitForCountAsync(c, job, 1);
        }
        await c.QueryOkAsync("clear_cache");
        Assert.True(c.Tracker.Services.Monitor.RoundsCompleted > rounds);
    }

    [Fact]
    public async Task ToShutdownRestartsTheWorkers_AndWatchersSeeTheParentRespawnThem()
    {
        // t/60-fsck.t shutdown_worker(): "!to fsck :shutdown", then waits on !watch for
        // ":: Job fsck has only 0, wants 1, making 1."
        await using var c = await TestCluster.StartAsync(TwoHosts("74"));
        await c.SetupAsync("testdom", ("c2", 2, null));
        foreach (var job in new[] { "fsck", "job_master", "reaper", "replicate" })
        {
            var before = await PidsAsync(c, job);
            Assert.Single(before);
            await using var watch = await Watcher.StartAsync(c);
            Assert.Equal("Message sent to 1 children.\n", await AdminAsync(c, $"!to {job} :shutdown"));
            Assert.Equal($":: Job {job} has only 0, wants 1, making 1.", await watch.WaitForAsync($"Job {job} has only", TimeSpan.FromSeconds(10)));
            await WaitForCountAsync(c, job, 1);
            Assert.NotEqual(before, await PidsAsync(c, job));
        }
        // :wake_up is delivered and counted like any message.
        Assert.Equal("Message sent to 1 children.\n", await AdminAsync(c, "!to fsck :wake_up"));
        Assert.Equal("Message sent to 0 children.\n", await AdminAsync(c, "!to nosuchjob :wake_up"));

        // The workers still work after their restart: a 2-copy file gets its second copy.
        long fid = await c.StoreFileAsync("testdom", "after-restart", "x"u8.ToArray(), "c2");
        await TestCluster.WaitUntilAsync(async () => (await c.DevidsOfAsync(fid)).Count == 2, TimeSpan.FromSeconds(20), "replicated");
    }

    [Fact]
    public async Task JobsPidsAreRealProcesses_StopPausesTheWorker_KillReplacesIt()
    {
        // t/60-fsck.t: kill("STOP", <reaper pid from !jobs>) must succeed and keep the reaper from
        // acting on a dead device until kill("CONT").
        await using var c = await TestCluster.StartAsync(ClusterOptions.ForJobs with
        {
            Nodes = [new NodeSpec("h1", "127.0.75.1", 1), new NodeSpec("h2", "127.0.75.2", 2), new NodeSpec("h3", "127.0.75.3", 3)],
        });
        await c.SetupAsync("testdom", ("c2", 2, null));
        long fid = await c.StoreFileAsync("testdom", "k", "hello"u8.ToArray(), "c2");
        await TestCluster.WaitUntilAsync(async () => (await c.DevidsOfAsync(fid)).Count == 2, TimeSpan.FromSeconds(20), "2 copies");
        var devs = await c.DevidsOfAsync(fid);

        int reaper = (await PidsAsync(c, "reaper")).Single();
        Assert.NotEqual(Environment.ProcessId, reaper);
        using (var p = Process.GetProcessById(reaper)) Assert.False(p.HasExited);
        Assert.Equal(0, Kill(reaper, "STOP"));
        try
        {
            var dead = devs[0];
            var host = c.Nodes.First(n => n.Spec.Devices.Contains(dead)).Spec.Name;
            await c.QueryOkAsync($"set_state host={host}&device={dead}&state=dead");
            await Task.Delay(2000); // reaper_interval 0.3 s, grace 0.5 s: it would have acted by now
            Assert.Contains(dead, await c.DevidsOfAsync(fid));
        }
        finally
        {
            Assert.Equal(0, Kill(reaper, "CONT"));
        }
        await TestCluster.WaitUntilAsync(async () => !(await c.DevidsOfAsync(fid)).Contains(devs[0]), TimeSpan.FromSeconds(20), "reaper acted after CONT");

        // A killed worker pid is replaced (2.73's parent respawns the child).
        await using var watch = await Watcher.StartAsync(c);
        Assert.Equal(0, Kill(reaper, "KILL"));
        await watch.WaitForAsync("Job reaper has only 0, wants 1, making 1.", TimeSpan.FromSeconds(10));
        var now = await PidsAsync(c, "reaper");
        Assert.Single(now);
        Assert.NotEqual(reaper, now[0]);
    }

    private static int Kill(int pid, string signal)
    {
        using var p = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        p.WaitForExit();
        return p.ExitCode;
    }

    [Fact]
    public void TestingFakeIoUtilisationOverridesObservedUtilisation()
    {
        // t/10-weighting.t: TESTING=1, T_FAKE_IO_DEV1=95, T_FAKE_IO_DEV2=5 steer get_paths' order.
        var env = new Dictionary<string, string> { ["TESTING"] = "1", ["T_FAKE_IO_DEV1"] = "95" };
        var obs = new DeviceObservations(n => env.GetValueOrDefault(n));
        obs.Set(1, new DeviceObservation(ObservedState.Writeable, "3", null, DateTimeOffset.UtcNow));
        obs.Set(2, new DeviceObservation(ObservedState.Writeable, "7", null, DateTimeOffset.UtcNow));
        Assert.Equal("95", obs.UtilizationOf(1));
        Assert.Equal("7", obs.UtilizationOf(2));
        env["TESTING"] = "0";
        var off = new DeviceObservations(n => env.GetValueOrDefault(n));
        off.Set(1, new DeviceObservation(ObservedState.Writeable, "3", null, DateTimeOffset.UtcNow));
        Assert.Equal("3", off.UtilizationOf(1));
    }
}
