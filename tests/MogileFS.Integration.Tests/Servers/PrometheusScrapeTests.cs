using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MogileFS.Client;
using MogileFS.Hosting.Status;
using MogileFS.Store;
using MogileFS.TestSupport.Cluster;
using MogileFS.Tracker.Observability;
using Xunit.Abstractions;

namespace MogileFS.Integration.Tests.Servers;

/// <summary>Skipped unless Debian's <c>prometheus</c> is installed (.ci/run installs it).</summary>
public sealed class PrometheusFactAttribute : FactAttribute
{
    public const string Binary = "/usr/bin/prometheus";

    public PrometheusFactAttribute()
    {
        if (!File.Exists(Binary)) Skip = $"{Binary} is not installed (apt-get install prometheus)";
    }
}

/// <summary>
/// A real Prometheus server (Debian's package) scrapes a tracker and every storage node every
/// two seconds while files are stored, replicated and deleted: every target must be up with no scrape
/// error, and the metrics must move (bench/metrics/prometheus-check.sh runs this test).
/// </summary>
public sealed class PrometheusScrapeTests(ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [PrometheusFact]
    public async Task Prometheus_scrapes_every_endpoint_and_sees_the_workload()
    {
        await using var cluster = await TestCluster.StartAsync(new ClusterOptions { Database = DatabaseKind.Sqlite });
        await using var tracker = TrackerStatus.Create(cluster.Tracker.Server, "127.0.0.1:0", TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
        await tracker.StartAsync(CancellationToken.None);
        var nodes = new List<StatusEndpoint>();
        try
        {
            foreach (var n in cluster.Nodes)
            {
                var e = StorageNodeStatus.Create(n.Server!.Metrics.Name, n.Server!.Metrics.ExportRequests(), n.DocRoot, "127.0.0.1:0", null);
                await e.StartAsync(CancellationToken.None);
                nodes.Add(e);
            }
            await cluster.SetupAsync("testdom", ("two", 2, null));

            string dir = Path.Combine(cluster.Root, "prometheus");
            Directory.CreateDirectory(dir);
            int port = FreePort();
            File.WriteAllText(Path.Combine(dir, "prometheus.yml"), $"""
                global:
                  scrape_interval: 2s
                  scrape_timeout: 2s
                scrape_configs:
                  - job_name: mogilefsd
                    static_configs:
                      - targets: ['{tracker.BoundEndPoint}']
                  - job_name: mogstored
                    static_configs:
                      - targets: [{string.Join(", ", nodes.Select(n => $"'{n.BoundEndPoint}'"))}]
                """);
            using var prom = StartPrometheus(dir, port);
            try
            {
                string api = $"http://127.0.0.1:{port}/api/v1/";
                // Every target (the tracker, each storage node) scraped at least once, before the workload.
                int targetCount = nodes.Count + 1;
                await WaitAsync(async () => await ScalarAsync(api, "count(up == 1)") == targetCount, "every target up",
                    () => Http.GetStringAsync(api + "targets"));
                double putsBefore = await ScalarAsync(api, "sum(mogilefs_storage_request_duration_seconds_count{method=\"PUT\"}) or vector(0)");
                await LogLinesAsync(tracker, "before");

                using var client = new MogileFSClient(new MogileFSClientOptions { Trackers = { cluster.TrackerEndPoint.ToString() }, Domain = "testdom" });
                for (int i = 0; i < 20; i++) await client.StoreBytesAsync($"k{i}", new byte[4096], "two");
                for (int i = 0; i < 5; i++) await client.DeleteAsync($"k{i}");

                await WaitAsync(async () =>
                    await ScalarAsync(api, "sum(mogilefs_tracker_request_duration_seconds_count{command=\"create_close\",result=\"ok\"}) or vector(0)") == 20
                    // a file deleted before its turn in the replication queue needs no copy
                    && await ScalarAsync(api, "sum(mogilefs_replication_copies_total{result=\"ok\"}) or vector(0)") >= 15
                    && await ScalarAsync(api, "sum(mogilefs_replication_queue_rows) or vector(1)") == 0
                    && await ScalarAsync(api, "sum(mogilefs_class_underreplicated_files) or vector(1)") == 0
                    && await ScalarAsync(api, "sum(mogilefs_delete_files_total{result=\"ok\"}) or vector(0)") >= 5
                    && await ScalarAsync(api, "sum(mogilefs_class_files{domain=\"testdom\"}) or vector(0)") == 15
                    // the nodes are scraped on their own schedule: their last PUTs may show a scrape later
                    && await ScalarAsync(api, "sum(mogilefs_storage_request_duration_seconds_count{method=\"PUT\"}) or vector(0)") - putsBefore >= 35,

                    "the workload in Prometheus", () => Http.GetStringAsync(api + "query?query=" + Uri.EscapeDataString("{__name__=~\"mogilefs_(replication_copies|delete_files)_total|mogilefs_class_files\"}")));
                double putsAfter = await ScalarAsync(api, "sum(mogilefs_storage_request_duration_seconds_count{method=\"PUT\"})");
                Assert.True(putsAfter - putsBefore >= 35, $"PUTs seen by Prometheus went from {putsBefore} to {putsAfter}");
                await LogLinesAsync(tracker, "after");

                // No target has a scrape error, and all are still up.
                using var targets = JsonDocument.Parse(await Http.GetStringAsync(api + "targets"));
                var active = targets.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().ToList();
                Assert.Equal(targetCount, active.Count);
                foreach (var t in active)
                {
                    output.WriteLine($"target {t.GetProperty("scrapeUrl").GetString()} health={t.GetProperty("health").GetString()} lastError='{t.GetProperty("lastError").GetString()}'");
                    Assert.Equal("up", t.GetProperty("health").GetString());
                    Assert.Equal("", t.GetProperty("lastError").GetString());
                }
                Assert.Equal(0, await ScalarAsync(api, "sum(scrape_samples_post_metric_relabeling == bool 0)"));
            }
            finally
            {
                try { prom.Kill(); } catch (InvalidOperationException) { }
                await prom.WaitForExitAsync();
            }
        }
        finally
        {
            foreach (var n in nodes) await n.DisposeAsync();
        }
    }

    private async Task LogLinesAsync(StatusEndpoint tracker, string when)
    {
        string m = await Http.GetStringAsync($"http://{tracker.BoundEndPoint}/metrics");
        foreach (var line in m.Split('\n').Where(l =>
                     l.StartsWith("mogilefs_tracker_request_duration_seconds_count{command=\"create_close\"", StringComparison.Ordinal)
                     || l.StartsWith("mogilefs_replication_copies_total", StringComparison.Ordinal)
                     || l.StartsWith("mogilefs_delete_files_total", StringComparison.Ordinal)
                     || l.StartsWith("mogilefs_class_files{", StringComparison.Ordinal)))
            output.WriteLine($"{when}: {line}");
    }

    private static Process StartPrometheus(string dir, int port)
    {
        var psi = new ProcessStartInfo(PrometheusFactAttribute.Binary)
        {
            UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = dir,
        };
        foreach (var a in new[] { $"--config.file={Path.Combine(dir, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(dir, "data")}",
                     $"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle" })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return p;
    }

    private static async Task<double> ScalarAsync(string api, string query)
    {
        try
        {
            using var doc = JsonDocument.Parse(await Http.GetStringAsync(api + "query?query=" + Uri.EscapeDataString(query)));
            var result = doc.RootElement.GetProperty("data").GetProperty("result");
            if (result.GetArrayLength() == 0) return double.NaN;
            return double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException) { return double.NaN; } // not listening yet
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what, Func<Task<string>> explain)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(500);
        }
        string detail;
        try { detail = await explain(); } catch (Exception e) { detail = e.Message; }
        throw new Xunit.Sdk.XunitException($"{what}: not seen within 60 s\n{detail}");
    }

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}
