using System.Diagnostics;
using MogileFS.Client;
using MogileFS.Client.Tracker;
using MogileFS.TestSupport.Cluster;
using MogileFS.Store;

// End-to-end load through the client library: N concurrent clients store 1 KB files
// (create_open, PUT, create_close), then fetch them (get_paths, GET). Reports throughput and
// latency percentiles; it never passes or fails on time.
//
//   dotnet run -c Release --project bench/client -- [--clients=16] [--seconds=10] [--size=1024]
//       [--postgres] [--trackers=host:port --domain=d]   (the last: against a running cluster, e.g. ./cluster)
//       [--phases]   also time the three steps of a store separately (create_open, PUT, create_close)
//       [--warmup=30] seconds of stores at full load before measuring (JIT tiers settle)
//       [--dir=PATH] where the in-process cluster keeps its database and docroots (default: $TMPDIR or /tmp)
//
// Each store creates two files on the nodes (the upload and its replica), so the file system's
// cost of creating a file is part of the figure: the bench measures it first and prints it
// (see docs/testing.md, "Performance notes": on an ext4 without journal whose block group saw
// many deletions in the last minutes, one create costs ~1 ms of kernel CPU).

var opts = args.Select(a => a.TrimStart('-').Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "1");
int clients = int.Parse(opts.GetValueOrDefault("clients", "16"));
double seconds = double.Parse(opts.GetValueOrDefault("seconds", "10"), System.Globalization.CultureInfo.InvariantCulture);
int size = int.Parse(opts.GetValueOrDefault("size", "1024"));

if (opts.TryGetValue("dir", out var dir))
{
    Directory.CreateDirectory(dir);
    Environment.SetEnvironmentVariable("TMPDIR", Path.GetFullPath(dir)); // TestCluster's temp directory lives here
}
if (!opts.ContainsKey("trackers")) Console.WriteLine(CreateCost(Path.GetTempPath()));

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

    // Warm-up: connections, JIT, caches. The runtime compiles hot code up to three times (quick
    // JIT, instrumented for profile-guided optimization, optimized) on a background thread; under
    // full load on 2 cores that takes 20-60 s, and until then a store costs up to twice the CPU.
    // A tracker runs for days, so the figures below are meant to be its steady state.
    for (int i = 0; i < 50; i++) await client.StoreBytesAsync($"warm/{run}/{i}", payload);
    double warmup = double.Parse(opts.GetValueOrDefault("warmup", "30"), System.Globalization.CultureInfo.InvariantCulture);
    if (warmup > 0)
        await Phase("warm-up", clients, warmup, (w, i) => client.StoreBytesAsync($"warm/{run}/{w}/{i}", payload));

    var stored = new System.Collections.Concurrent.ConcurrentBag<string>();
    var store = await Phase("store", clients, seconds, async (w, i) =>
    {
        var key = $"b/{run}/{w}/{i}";
        await client.StoreBytesAsync(key, payload);
        stored.Add(key);
    });
    Result[] phases = [];
    if (opts.ContainsKey("phases"))
    {
        // The same three steps as StoreAsync, timed one by one (raw commands + a plain HttpClient PUT).
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = int.MaxValue });
        var lat = new System.Collections.Concurrent.ConcurrentBag<(double Open, double Put, double Close)>();
        var whole = await Phase("store(phased)", clients, seconds, async (w, i) =>
        {
            var key = $"p/{run}/{w}/{i}";
            long t0 = Stopwatch.GetTimestamp();
            var open = await client.Backend.SendAsync("create_open", RequestSafety.NotIdempotent, default,
                ("domain", (string?)domain), ("key", key), ("fid", "0"), ("multi_dest", "1"), ("size", size.ToString()));
            long t1 = Stopwatch.GetTimestamp();
            string path = open.Get("path_1")!, devid = open.Get("devid_1")!;
            using (var res = await http.PutAsync(path, new ByteArrayContent(payload)))
                res.EnsureSuccessStatusCode();
            long t2 = Stopwatch.GetTimestamp();
            await client.Backend.SendAsync("create_close", RequestSafety.NotIdempotent, default,
                ("fid", (string?)open.Get("fid")), ("devid", devid), ("domain", domain), ("size", size.ToString()), ("key", key), ("path", path));
            long t3 = Stopwatch.GetTimestamp();
            lat.Add((Ms(t0, t1), Ms(t1, t2), Ms(t2, t3)));
        });
        Result Of(string name, Func<(double Open, double Put, double Close), double> f)
        {
            var all = lat.Select(f).Order().ToArray();
            double P(double q) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
            return new Result(name, all.Length, whole.Seconds, P(0.5), P(0.99), all.Length == 0 ? 0 : all[^1], 0);
        }
        phases = [whole, Of(" open", x => x.Open), Of(" put", x => x.Put), Of(" close", x => x.Close)];
    }
    var keys = stored.ToArray();
    var fetch = await Phase("fetch", clients, seconds, async (w, i) =>
    {
        var key = keys[(w * 7919 + i) % keys.Length];
        await client.FetchAsync(key, Stream.Null);
    });
    Result[] fetchPhases = [];
    if (opts.ContainsKey("phases"))
    {
        // A fetch's two steps timed one by one: get_paths, then a keep-alive GET of the first path.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = int.MaxValue });
        var lat = new System.Collections.Concurrent.ConcurrentBag<(double Paths, double Get)>();
        var whole = await Phase("fetch(phased)", clients, seconds, async (w, i) =>
        {
            var key = keys[(w * 7919 + i) % keys.Length];
            long t0 = Stopwatch.GetTimestamp();
            var paths = await client.GetPathsAsync(key);
            long t1 = Stopwatch.GetTimestamp();
            (await http.GetByteArrayAsync(paths[0])).AsSpan();
            lat.Add((Ms(t0, t1), Ms(t1, Stopwatch.GetTimestamp())));
        });
        Result Of(string name, Func<(double Paths, double Get), double> f)
        {
            var all = lat.Select(f).Order().ToArray();
            double P(double q) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
            return new Result(name, all.Length, whole.Seconds, P(0.5), P(0.99), all.Length == 0 ? 0 : all[^1], 0);
        }
        fetchPhases = [whole, Of(" get_paths", x => x.Paths), Of(" GET", x => x.Get)];
    }
    Console.WriteLine();
    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformationText()}");
    Console.WriteLine($"{"phase",-14} {"clients",7} {"ops",8} {"ops/s",9} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"errors",6}");
    foreach (var r in new[] { store, fetch }.Concat(phases).Concat(fetchPhases))
        Console.WriteLine($"{r.Name,-14} {clients,7} {r.Ops,8} {r.Ops / r.Seconds,9:F0} {r.P50,8:F2} {r.P99,8:F2} {r.Max,8:F2} {r.Errors,6}");
    if (cluster?.Tracker.Services.Store is SqliteMetadataStore sqlite)
    {
        var (commits, bodies) = sqlite.GroupCommitCounts;
        Console.WriteLine($"SQLite group commit: {bodies} write bodies in {commits} shared transactions ({(commits == 0 ? 0 : (double)bodies / commits):F1} per commit; writes that ran alone are not counted)");
    }
    // One line for scripts (bench/run-all.sh): name=ops/s:p99.
    Console.WriteLine($"#summary store={store.Ops / store.Seconds:F0}:{store.P99:F2} fetch={fetch.Ops / fetch.Seconds:F0}:{fetch.P99:F2}");
}
finally
{
    if (cluster != null) await cluster.DisposeAsync();
}

// Creates, writes (1 KB) and renames 500 files like a storage-node PUT does, then removes them.
static string CreateCost(string parent)
{
    var d = Directory.CreateTempSubdirectory("mogfs-probe-").FullName;
    const int n = 500;
    var data = new byte[1024];
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    long t0 = Stopwatch.GetTimestamp();
    for (int i = 0; i < n; i++)
    {
        using (var f = new FileStream(Path.Combine(d, i + ".tmp"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1)) f.Write(data);
        File.Move(Path.Combine(d, i + ".tmp"), Path.Combine(d, i + ".fid"));
    }
    double wall = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / n;
    double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / n;
    Directory.Delete(d, true);
    return $"file system under {parent}: create+write+rename of a 1 KB file takes {wall:F0} us ({cpu:F0} us CPU)";
}

static double Ms(long a, long b) => Stopwatch.GetElapsedTime(a, b).TotalMilliseconds;

static string RuntimeInformationText() => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;

static async Task<Result> Phase(string name, int workers, double seconds, Func<int, int, Task> op)
{
    var latencies = new List<double>[workers];
    int errors = 0;
    string? firstError = null;
    var p0 = Process.GetCurrentProcess();
    var (cpu0, kernel0) = (p0.TotalProcessorTime, p0.PrivilegedProcessorTime);
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
    var p1 = Process.GetCurrentProcess();
    double cpuMs = (p1.TotalProcessorTime - cpu0).TotalMilliseconds, kernelMs = (p1.PrivilegedProcessorTime - kernel0).TotalMilliseconds;
    int per = Math.Max(1, all.Length);
    Console.WriteLine($"{name}: {all.Length} ops in {elapsed:F1}s, process CPU {cpuMs / per * 1000:F0} us/op ({kernelMs / per * 1000:F0} in the kernel)" + (firstError != null ? $" (first error: {firstError})" : ""));
    return new Result(name, all.Length, elapsed, P(0.50), P(0.99), all.Length == 0 ? 0 : all[^1], errors);
}

record Result(string Name, long Ops, double Seconds, double P50, double P99, double Max, int Errors);
