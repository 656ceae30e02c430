using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using MogileFS.Client;
using MogileFS.Hosting.Status;
using MogileFS.Store;
using MogileFS.TestSupport.Cluster;
using MogileFS.Tracker.Observability;

namespace MogileFS.Integration.Tests.Servers;

/// <summary>
/// The status port (docs/metrics.md) of a real tracker and real storage nodes on SQLite:
/// /healthz, /readyz and /metrics, and that the metrics move as files are stored, replicated and
/// deleted.
/// </summary>
public sealed class StatusPortTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private TestCluster _cluster = null!;
    private StatusEndpoint _tracker = null!;
    private readonly List<StatusEndpoint> _nodes = [];

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(new ClusterOptions { Database = DatabaseKind.Sqlite });
        _tracker = TrackerStatus.Create(_cluster.Tracker.Server, "127.0.0.1:0", TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200));
        await _tracker.StartAsync(CancellationToken.None);
        foreach (var n in _cluster.Nodes)
        {
            var e = StorageNodeStatus.Create(n.Server!.Metrics.Name, n.Server!.Metrics.ExportRequests(), n.DocRoot, "127.0.0.1:0", null);
            await e.StartAsync(CancellationToken.None);
            _nodes.Add(e);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes) await n.DisposeAsync();
        await _tracker.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private static string Url(StatusEndpoint e, string path) => $"http://{e.BoundEndPoint}{path}";

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(StatusEndpoint e, string path)
    {
        using var r = await Http.GetAsync(Url(e, path));
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    /// <summary>Sum of every sample of <paramref name="metric"/> whose labels include all of <paramref name="labels"/>.</summary>
    internal static double Sample(string exposition, string metric, params string[] labels)
    {
        double sum = 0;
        foreach (Match m in Regex.Matches(exposition, $@"^{Regex.Escape(metric)}\{{([^}}]*)\}} (\S+)$", RegexOptions.Multiline))
            if (labels.All(l => m.Groups[1].Value.Split(',').Contains(l)))
                sum += double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        return sum;
    }

    private async Task<string> WaitForAsync(StatusEndpoint e, Func<string, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = (await GetAsync(e, "/metrics")).Body;
            if (condition(last)) return last;
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException($"{what} did not happen within 30 s; last scrape:\n{last}");
    }

    [Fact]
    public async Task Health_and_readiness_follow_the_cluster()
    {
        var health = await GetAsync(_tracker, "/healthz");
        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.Equal("ok\n", health.Body);

        // No device registered: up, but not ready.
        var notReady = await GetAsync(_tracker, "/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.Status);
        Assert.Contains("ok database", notReady.Body);
        Assert.Contains("fail writeable_device", notReady.Body);

        await _cluster.SetupAsync("testdom", ("two", 2, null));
        var ready = await GetAsync(_tracker, "/readyz");
        Assert.True(ready.Status == HttpStatusCode.OK, ready.Body);
        Assert.Equal("ok database\nok monitor\nok writeable_device\n", ready.Body);

        foreach (var n in _nodes)
        {
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(n, "/healthz")).Status);
            Assert.Equal((HttpStatusCode.OK, "ok docroot\n"), await GetAsync(n, "/readyz"));
        }

        // A storage node whose docroot is gone is alive but not ready.
        var node = _cluster.Nodes[0];
        Directory.Move(node.DocRoot, node.DocRoot + ".moved");
        try
        {
            var r = await GetAsync(_nodes[0], "/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.Status);
            Assert.Contains("fail docroot:", r.Body);
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(_nodes[0], "/healthz")).Status);
        }
        finally
        {
            Directory.Move(node.DocRoot + ".moved", node.DocRoot);
        }
    }

    [Fact]
    public async Task Metrics_move_as_files_are_stored_replicated_and_deleted()
    {
        await _cluster.SetupAsync("testdom", ("two", 2, null));
        string before = (await GetAsync(_tracker, "/metrics")).Body;
        Assert.Equal(0, Sample(before, "mogilefs_tracker_request_duration_seconds_count", "command=\"create_open\""));
        Assert.Equal(_cluster.Tracker.Server.Services.Options.QueryJobs, Sample(before, "mogilefs_tracker_query_workers_limit"));

        // Devices: every one alive and observed writeable, as get_devices says.
        var devices = await _cluster.QueryOkAsync("get_devices");
        int deviceCount = int.Parse(devices["devices"], CultureInfo.InvariantCulture);
        Assert.Equal(deviceCount, Sample(before, "mogilefs_device_state", "state=\"alive\""));
        Assert.Equal(0, Sample(before, "mogilefs_device_state", "state=\"down\""));
        Assert.Equal(deviceCount, Sample(before, "mogilefs_device_observed_state", "state=\"writeable\""));
        Assert.True(Sample(before, "mogilefs_device_capacity_bytes") > 0);

        using var client = new MogileFSClient(new MogileFSClientOptions { Trackers = { _cluster.TrackerEndPoint.ToString() }, Domain = "testdom" });
        for (int i = 0; i < 3; i++)
            await client.StoreBytesAsync($"k{i}", new byte[1000 + i], "two");

        // Requests by command and result; a wrong key is counted under its error code.
        Assert.StartsWith("ERR unknown_key", await _cluster.QueryAsync("get_paths domain=testdom&key=nope"));
        string stored = await WaitForAsync(_tracker, m =>
            Sample(m, "mogilefs_replication_copies_total", "result=\"ok\"") >= 3
            && Sample(m, "mogilefs_class_files", "domain=\"testdom\"", "class=\"two\"") == 3
            && Sample(m, "mogilefs_replication_queue_rows") == 0
            // the file table is counted on its own schedule: wait until a count after the copies
            && Sample(m, "mogilefs_class_underreplicated_files") == 0, "replication of the three files");
        Assert.Equal(3, Sample(stored, "mogilefs_tracker_request_duration_seconds_count", "command=\"create_open\"", "result=\"ok\""));
        Assert.Equal(3, Sample(stored, "mogilefs_tracker_request_duration_seconds_count", "command=\"create_close\"", "result=\"ok\""));
        Assert.Equal(1, Sample(stored, "mogilefs_tracker_request_duration_seconds_count", "command=\"get_paths\"", "result=\"unknown_key\""));
        Assert.Equal(3 * 1000 + 3, Sample(stored, "mogilefs_class_stored_bytes", "domain=\"testdom\"", "class=\"two\""));
        Assert.True(Sample(stored, "mogilefs_replication_attempts_total", "result=\"copied\"") >= 3);

        // Storage nodes: the uploads and the replication copies arrived as PUTs.
        double puts = 0, received = 0;
        foreach (var n in _nodes)
        {
            string m = (await GetAsync(n, "/metrics")).Body;
            puts += Sample(m, "mogilefs_storage_request_duration_seconds_count", "method=\"PUT\"");
            received += Sample(m, "mogilefs_storage_received_bytes_total");
        }
        Assert.True(puts >= 6, $"{puts} PUTs");
        Assert.True(received >= 2 * 3003, $"{received} bytes received");

        // Delete: the file rows go at once, the copies through the delete queue.
        await client.DeleteAsync("k0");
        string deleted = await WaitForAsync(_tracker, m =>
            Sample(m, "mogilefs_delete_files_total", "result=\"ok\"") >= 1
            && Sample(m, "mogilefs_class_files", "domain=\"testdom\"", "class=\"two\"") == 2, "deletion of k0");
        Assert.Equal(1, Sample(deleted, "mogilefs_tracker_request_duration_seconds_count", "command=\"delete\"", "result=\"ok\""));
        double deletes = 0;
        foreach (var n in _nodes)
            deletes += Sample((await GetAsync(n, "/metrics")).Body, "mogilefs_storage_request_duration_seconds_count", "method=\"DELETE\"");
        Assert.True(deletes >= 2, $"{deletes} DELETEs");
    }

    [Fact]
    public async Task Metric_labels_stay_bounded_whatever_clients_send()
    {
        for (int i = 0; i < 20; i++)
        {
            Assert.StartsWith("ERR unknown_command", await _cluster.QueryAsync($"bogus_{i} key=secret{i}"));
            await _cluster.QueryAsync($"get_paths domain=nodom&key=secret{i}");
        }
        string m = (await GetAsync(_tracker, "/metrics")).Body;
        Assert.Equal(20, Sample(m, "mogilefs_tracker_request_duration_seconds_count", "command=\"unknown\"", "result=\"unknown_command\""));
        Assert.DoesNotContain("secret", m);
        Assert.DoesNotContain("bogus", m);
        foreach (Match line in Regex.Matches(m, @"^[a-z_]+\{[^}]*fid[^}]*\}", RegexOptions.Multiline))
            Assert.Fail("a fid label: " + line.Value);
    }
}
