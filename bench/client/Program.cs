using System.Diagnostics;
using MogileFS.Client;
using MogileFS.Integration.Tests.Cluster;
using MogileFS.Store;

// End-to-end load through the client library: N concurrent clients store 1 KB files
// (create_open, PUT, create_close), then fetch them (get_paths, GET). Reports throughput and
// latency percentiles; it never passes or fails on time.
//
//   dotnet run -c Release --project bench/client -- [--clients=16] [--seconds=10] [--size=1024]
//       [--postgres] [--trackers=host:port --domain=d]   (the last: against a running cluster, e.g. ./cluster)

var opts = args.Select(a => a.TrimStart('-').Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "1");
int clients = int.Parse(opts.GetValueOrDefault("clients", "16"));
double seconds = double.Parse(opts.GetValueOrDefault("seconds", "10"), System.Globalization.CultureInfo.InvariantCulture);
int size = int.Parse(opts.GetValueOrDefault("size", "1024"));

TestCluster? cluster = null;
List<string> trackers;
string domain;
if (opts.TryGetValue("trackers", out var t))
{
    trackers = t.Split(',').ToList();
    domain = opts.GetValueOrDefault("domain", "default");
}
else
{
    Console.WriteLine("starting an in-process cluster (1 tracker, 3 storage nodes, " + (opts.ContainsKey("postgres") ? "PostgreSQL" : "SQLite") + ") ...");
    cluster = await TestCluster.StartAsync(new ClusterOptions
    {
        Database = opts.ContainsKey("postgres") ? DatabaseKind.Postgres : DatabaseKind.Sqlite,
        QueryJobs = 20,
        TrackerIp = "127.0.4.1",
        Nodes = [new("n1", "127.0.4.1", [1]), new("n2", "127.0.4.2", [2]), new("n3", "127.0.4.3", [3])],
        ConfigureTracker = o => o.MinFreeSpaceMb = 0,
    });
    await cluster.RegisterTopologyAsync("bench");
    trackers = [cluster.TrackerEndPoint.ToString()];
    domain = "bench";
}

try
{
    using var client = new MogileFSClient(new MogileFSClientOptions { Trackers = trackers, Domain = domain });
    var payload = new byte[size];
    Random.Shared.NextBytes(payload);
    string run = DateTime.UtcNow.Ticks.ToString("x");

    // Warm-up: connections, JIT, caches.
    for (int i = 0; i < 50; i++) await client.StoreBytesAsync($"warm/{run}/{i}", payload);

    var stored = new System.Collections.Concurrent.ConcurrentBag<string>();
    var store = await Phase("store", clients, seconds, async (w, i) =>
    {
        var key = $"b/{run}/{w}/{i}";
        await client.StoreBytesAsync(key, payload);
        stored.Add(key);
    });
    var keys = stored.ToArray();
    var fetch = await Phase("fetch", clients, seconds, async (w, i) =>
    {
        var key = keys[(w * 7919 + i) % keys.Length];
        await client.FetchAsync(key, Stream.Null);
    });
    Console.WriteLine();
    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformationText()}");
    Console.WriteLine($"{"phase",-6} {"clients",7} {"ops",8} {"ops/s",9} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"errors",6}");
    foreach (var r in new[] { store, fetch })
        Console.WriteLine($"{r.Name,-6} {clients,7} {r.Ops,8} {r.Ops / r.Seconds,9:F0} {r.P50,8:F2} {r.P99,8:F2} {r.Max,8:F2} {r.Errors,6}");
}
finally
{
    if (cluster != null) await cluster.DisposeAsync();
}

static string RuntimeInformationText() => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;

static async Task<Result> Phase(string name, int workers, double seconds, Func<int, int, Task> op)
{
    var latencies = new List<double>[workers];
    int errors = 0;
    string? firstError = null;
    var sw = Stopwatch.StartNew();
    var end = TimeSpan.FromSeconds(seconds);
    var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
    {
        var mine = latencies[w] = new List<double>(100_000);
        for (int i = 0; sw.Elapsed < end; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            try { await op(w, i); mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds); }
            catch (Exception e) { Interlocked.Increment(ref errors); firstError ??= e.Message; }
        }
    })).ToArray();
    await Task.WhenAll(tasks);
    double elapsed = sw.Elapsed.TotalSeconds;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    double P(double q) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
    Console.WriteLine($"{name}: {all.Length} ops in {elapsed:F1}s" + (firstError != null ? $" (first error: {firstError})" : ""));
    return new Result(name, all.Length, elapsed, P(0.50), P(0.99), all.Length == 0 ? 0 : all[^1], errors);
}

record Result(string Name, long Ops, double Seconds, double P50, double P99, double Max, int Errors);
