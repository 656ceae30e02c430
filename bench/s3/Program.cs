using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;
using MogileFS.Client;
using MogileFS.Gateway;
using MogileFS.TestSupport.Cluster;
using S3Bench;

// The S3 gateway beside the cluster it fronts, in one run: GET and PUT of 1 KiB, 1 MiB and 64 MiB
// objects through the gateway (S3, SigV4) and the same operations straight against MogileFS
// (PUT: create_open + PUT to mogstored + create_close with the client library; GET: HTTP GET of
// the file's storage URL from mogstored), then a multipart upload of a 1 GiB object through the
// gateway next to a single 1 GiB PUT straight to mogstored (the disk's speed through HTTP). Prints
// a table; it never passes or fails on time.
//
//   dotnet run -c Release --project bench/s3 -- [--clients=16] [--seconds=8] [--big=16] [--mp-mib=1024]
//       [--part-mib=64] [--mp-clients=4] [--sizes=1k,1m,64m] [--dir=PATH] [--skip-multipart] [--direct-mib=N] [--get-only]
//       [--mp-join=0] [--no-local-storage] [--no-local-writes] [--no-fast-get]
//
// --mp-mib=20480 --direct-mib=1024 runs the 20 GiB multipart object (needs ~45 GiB of free disk: the
// parts and the assembled file exist together until Complete ends); the peak RSS printed at the end
// is the whole process's (client, cluster and gateway).
//
// Everything runs in this process on loopback (1 tracker, 3 storage nodes on SQLite, the gateway),
// so on a small machine the client, the gateway and the nodes share the CPUs.

var opts = args.Select(a => a.TrimStart('-').Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "1");
int clients = int.Parse(opts.GetValueOrDefault("clients", "16"), CultureInfo.InvariantCulture);
double seconds = double.Parse(opts.GetValueOrDefault("seconds", "8"), CultureInfo.InvariantCulture);
int bigOps = int.Parse(opts.GetValueOrDefault("big", "16"), CultureInfo.InvariantCulture);
int mpMiB = int.Parse(opts.GetValueOrDefault("mp-mib", "1024"), CultureInfo.InvariantCulture);
int partMiB = int.Parse(opts.GetValueOrDefault("part-mib", "64"), CultureInfo.InvariantCulture);
int mpClients = int.Parse(opts.GetValueOrDefault("mp-clients", "4"), CultureInfo.InvariantCulture);
int directMiB = int.Parse(opts.GetValueOrDefault("direct-mib", mpMiB.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
var sizes = opts.GetValueOrDefault("sizes", "1k,1m,64m") is "none" ? [] : opts.GetValueOrDefault("sizes", "1k,1m,64m").Split(',').Select(ParseSize).ToArray();
if (opts.TryGetValue("dir", out var dir))
{
    Directory.CreateDirectory(dir);
    Environment.SetEnvironmentVariable("TMPDIR", Path.GetFullPath(dir));
}

Console.WriteLine("starting an in-process cluster (1 tracker, 3 storage nodes, SQLite) and a gateway ...");
await using var cluster = await TestCluster.StartAsync(new ClusterOptions
{
    QueryJobs = 20,
    TrackerIp = "127.0.5.1",
    Nodes = [new("n1", "127.0.5.1", [1]), new("n2", "127.0.5.2", [2]), new("n3", "127.0.5.3", [3])],
    ConfigureTracker = o => o.MinFreeSpaceMb = 0,
});
await cluster.SetupAsync("bench", ("one", 1, null));
const string AccessKey = "BENCHACCESSKEY000001", SecretKey = "bench-secret-key-0000000000000000000000";
var gatewayOptions = new GatewayOptions { Dsn = cluster.Dsn, DbUser = cluster.DbUser, DbPassword = cluster.DbPass, Listen = "127.0.5.9:0", DefaultClass = "one" };
gatewayOptions.Trackers.Add(cluster.TrackerEndPoint.ToString());
// --mp-join=0: Complete streams the parts through the gateway (as against MogileFS 2.73 storage nodes).
if (opts.TryGetValue("mp-join", out var mpJoin)) gatewayOptions.Extra["multipart_join"] = [mpJoin];
gatewayOptions.AccessKeys.Add(new AccessKey(AccessKey, SecretKey));
// The nodes run on this host, as in ./cluster: the gateway reads their files from disk and sends them with
// sendfile (local_storage). --no-local-storage measures the gateway reading every copy over HTTP instead.
bool localStorage = !opts.ContainsKey("no-local-storage");
if (localStorage)
    foreach (var node in cluster.Nodes) MogileFS.Gateway.Mogile.LocalStorage.Add(gatewayOptions, $"{node.Ip}:{cluster.HttpPort}={node.DocRoot}");
// It also writes PUTs and parts into their docroots itself; --no-local-writes sends them to the nodes over HTTP.
gatewayOptions.LocalStorageWrites = !opts.ContainsKey("no-local-writes");
// Cached small GETs are answered by the gateway's transport without Kestrel; --no-fast-get sends them through Kestrel.
gatewayOptions.FastGet = !opts.ContainsKey("no-fast-get");
// The gateway's warnings (e.g. a join that failed and was streamed instead) are printed at the end.
var gatewayWarnings = new MogileFS.TestSupport.CapturingLoggerProvider();
await using var gateway = new GatewayServer(gatewayOptions, gatewayWarnings.CreateFactory());
await gateway.StartAsync();
string endpoint = gateway.Url;

using var mog = new MogileFSClient(new MogileFSClientOptions { Trackers = [cluster.TrackerEndPoint.ToString()], Domain = "bench" });
using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = int.MaxValue, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
{ Timeout = TimeSpan.FromMinutes(30) };
var signer = new SigV4(AccessKey, SecretKey);
var results = new List<(string Size, string Op, Result Gateway, Result Direct)>();

foreach (long size in sizes)
{
    var payload = new byte[size];
    Random.Shared.NextBytes(payload);
    string label = SizeLabel(size);
    bool big = size >= 16 << 20;
    int workers = big ? Math.Min(clients, 4) : clients;
    string run = DateTime.UtcNow.Ticks.ToString("x", CultureInfo.InvariantCulture);

    // Warm-up of both paths (connections, JIT, caches).
    for (int i = 0; i < (big ? 2 : 50); i++)
    {
        await S3PutAsync($"warm/{run}/{i}", payload);
        await mog.StoreBytesAsync($"warm-direct/{run}/{i}", payload, "one");
    }

    var gwKeys = new System.Collections.Concurrent.ConcurrentBag<string>();
    var directKeys = new System.Collections.Concurrent.ConcurrentBag<string>();
    // --get-only: store the objects to read without measuring the PUTs (quicker runs while tuning GET).
    bool getOnly = opts.ContainsKey("get-only");
    var gwPut = await Phase($"PUT {label} gateway", workers, getOnly ? 0 : seconds, getOnly ? (big ? 8 : 200) : big ? bigOps : 0, size, async (w, i) =>
    {
        string key = $"gw/{run}/{w}/{i}";
        await S3PutAsync(key, payload);
        gwKeys.Add(key);
    });
    var directPut = await Phase($"PUT {label} direct", workers, getOnly ? 0 : seconds, getOnly ? (big ? 8 : 200) : big ? bigOps : 0, size, async (w, i) =>
    {
        string key = $"direct/{run}/{w}/{i}";
        await mog.StoreBytesAsync(key, payload, "one");
        directKeys.Add(key);
    });
    results.Add((label, "PUT", gwPut, directPut));

    // GET the same number of distinct files both ways: gateway by key, direct by storage URL.
    var readKeys = gwKeys.Take(200).ToArray();
    var urls = new List<string>();
    foreach (var k in directKeys.Take(200)) urls.Add((await mog.GetPathsAsync(k))[0]);
    var gwGet = await Phase($"GET {label} gateway", workers, seconds, big ? bigOps : 0, size, async (w, i) =>
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, $"{endpoint}/bench/{readKeys[(w * 7919 + i) % readKeys.Length]}");
        signer.Sign(req);
        await DrainAsync(req, size);
    });
    var directGet = await Phase($"GET {label} direct", workers, seconds, big ? bigOps : 0, size, async (w, i) =>
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, urls[(w * 7919 + i) % urls.Count]);
        await DrainAsync(req, size);
    });
    results.Add((label, "GET", gwGet, directGet));
}

// Multipart: a 1 GiB object in parts through the gateway, and one 1 GiB PUT straight to a node.
(double Upload, double Complete, double Total)? multipart = null;
double directBigMBs = 0, mpGetMBs = 0;
var mpCpu = (Parts: 0.0, Complete: 0.0, Direct: 0.0); // CPU seconds of the whole process per step
if (!opts.ContainsKey("skip-multipart"))
{
    long total = (long)mpMiB << 20;
    long partSize = (long)partMiB << 20;
    var part = new byte[partSize];
    Random.Shared.NextBytes(part);
    Console.WriteLine($"multipart upload of {mpMiB} MiB in {partMiB} MiB parts, {mpClients} at a time ...");
    // Warm-up (JIT, connections) of every step of a multipart upload, as the other phases have.
    await MultipartAsync("mp/warm", 64L << 20, 16L << 20, part);
    using (var del = new HttpRequestMessage(HttpMethod.Delete, $"{endpoint}/bench/mp/warm"))
    {
        signer.Sign(del);
        using var _ = await http.SendAsync(del);
    }
    var (upload, completeSeconds, cpuPartsSeconds, cpuCompleteSeconds) = await MultipartAsync("mp/object", total, partSize, part);
    multipart = (upload, completeSeconds, upload + completeSeconds);
    mpCpu.Parts = cpuPartsSeconds;
    mpCpu.Complete = cpuCompleteSeconds;
    // The gateway reads the object back (GET, streamed), then deletes it (the parts are gone already).
    var sw3 = Stopwatch.StartNew();
    using (var get = new HttpRequestMessage(HttpMethod.Get, $"{endpoint}/bench/mp/object"))
    {
        signer.Sign(get);
        await DrainAsync(get, total);
    }
    mpGetMBs = total / 1048576.0 / sw3.Elapsed.TotalSeconds;
    using (var del = new HttpRequestMessage(HttpMethod.Delete, $"{endpoint}/bench/mp/object"))
    {
        signer.Sign(del);
        using var _ = await http.SendAsync(del);
    }
    // The disk through HTTP: one PUT straight to a storage node (same size unless --direct-mib).
    long directTotal = (long)directMiB << 20;
    var big = new byte[64 << 20];
    Random.Shared.NextBytes(big);
    var cpuDirect = Process.GetCurrentProcess().TotalProcessorTime;
    var sw2 = Stopwatch.StartNew();
    await mog.StoreAsync("direct-big", new RepeatStream(big, directTotal), new StoreOptions { Class = "one", Length = directTotal });
    directBigMBs = directTotal / 1048576.0 / sw2.Elapsed.TotalSeconds;
    mpCpu.Direct = (Process.GetCurrentProcess().TotalProcessorTime - cpuDirect).TotalSeconds;
    await mog.DeleteAsync("direct-big");
}

Console.WriteLine();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; " +
                  $"{clients} clients (4 for sizes of 16 MiB and more); gateway local_storage {(localStorage ? "on" : "off")}, " +
                  $"local writes {(localStorage && gatewayOptions.LocalStorageWrites ? "on" : "off")}");
Console.WriteLine($"{"size",-6} {"op",-4} {"gateway/s",10} {"gw MiB/s",9} {"gw p50 ms",9} {"direct/s",10} {"dir MiB/s",9} {"dir p50",8} {"ratio",6} {"gw CPU",8} {"dir CPU",8} {"CPU ratio",9} {"errors",7}  issue 15's goal");
Console.WriteLine("(CPU: µs of CPU of the whole process per operation; CPU ratio = direct CPU / gateway CPU, what the rate ratio tends to when the cores are the limit)");
foreach (var (size, op, gw, d) in results)
{
    string goal = op == "GET" ? (size == "1K" ? "ratio >= 0.7" : size.EndsWith('M') ? "ratio >= 0.9" : "")
        : size == "1K" ? "gateway >= 1000/s" : "";
    Console.WriteLine($"{size,-6} {op,-4} {gw.Rate,10:F0} {gw.MiBs,9:F1} {gw.P50,9:F2} {d.Rate,10:F0} {d.MiBs,9:F1} {d.P50,8:F2} {gw.Rate / Math.Max(d.Rate, 1e-9),6:F2} {gw.CpuPerOp * 1e6,8:F0} {d.CpuPerOp * 1e6,8:F0} {d.CpuPerOp / Math.Max(gw.CpuPerOp, 1e-12),9:F2} {gw.Errors + "/" + d.Errors,7}  {goal}");
}
if (multipart is { } mp)
{
    double mib = mpMiB;
    Console.WriteLine($"multipart {mpMiB} MiB ({partMiB} MiB parts, {mpClients} parallel): parts {mp.Upload:F1} s ({mib / mp.Upload:F0} MiB/s), " +
                      $"complete (assembly) {mp.Complete:F1} s ({mib / mp.Complete:F0} MiB/s), total {mp.Total:F1} s ({mib / mp.Total:F0} MiB/s)");
    Console.WriteLine($"CPU per GiB: parts {mpCpu.Parts / mib * 1024:F2} s, complete {mpCpu.Complete / mib * 1024:F2} s, " +
                      $"single PUT straight to mogstored {mpCpu.Direct / directMiB * 1024:F2} s");
    Console.WriteLine($"GET of the {mpMiB} MiB object through the gateway: {mpGetMBs:F0} MiB/s");
    Console.WriteLine($"single {directMiB} MiB PUT straight to mogstored: {directBigMBs:F0} MiB/s " +
                      $"(multipart total / direct = {mib / mp.Total / Math.Max(directBigMBs, 1e-9):F2}; goal: disk speed)");
}
foreach (var line in gatewayWarnings.Lines.Take(10)) Console.WriteLine("gateway warning: " + line);
if (gateway.FastGet is { } fast) Console.WriteLine($"GETs answered below Kestrel (fast_get): {fast.Answered}");
using (var self = Process.GetCurrentProcess())
    Console.WriteLine($"peak RSS of this process (client, cluster and gateway): {self.PeakWorkingSet64 / 1048576.0:F0} MiB");
return 0;

// One multipart upload of `total` bytes in parts of `partSize` (the bytes of `part`), mpClients at a time;
// returns the seconds and process CPU seconds of the parts and of Complete.
async Task<(double Parts, double Complete, double CpuParts, double CpuComplete)> MultipartAsync(string key, long total, long partSize, byte[] part)
{
    var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    using var init = new HttpRequestMessage(HttpMethod.Post, $"{endpoint}/bench/{key}?uploads");
    signer.Sign(init);
    using var res = await http.SendAsync(init);
    string body = await res.Content.ReadAsStringAsync();
    if (!res.IsSuccessStatusCode) throw new InvalidOperationException("CreateMultipartUpload: " + body);
    string uploadId = XDocument.Parse(body).Descendants().First(e => e.Name.LocalName == "UploadId").Value;
    int parts = (int)((total + partSize - 1) / partSize);
    var etags = new string[parts];
    int next = 0;
    await Task.WhenAll(Enumerable.Range(0, mpClients).Select(_ => Task.Run(async () =>
    {
        for (int p; (p = Interlocked.Increment(ref next)) <= parts;)
        {
            long len = Math.Min(partSize, total - (p - 1) * partSize);
            using var req = new HttpRequestMessage(HttpMethod.Put, $"{endpoint}/bench/{key}?partNumber={p}&uploadId={uploadId}")
            { Content = new ByteArrayContent(part, 0, (int)len) };
            signer.Sign(req);
            using var r = await http.SendAsync(req);
            if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"UploadPart {p}: {await r.Content.ReadAsStringAsync()}");
            etags[p - 1] = r.Headers.ETag!.Tag;
        }
    })));
    double upload = sw.Elapsed.TotalSeconds;
    var cpuParts = Process.GetCurrentProcess().TotalProcessorTime;
    var xml = new StringBuilder("<CompleteMultipartUpload>");
    for (int p = 1; p <= parts; p++) xml.Append($"<Part><PartNumber>{p}</PartNumber><ETag>{etags[p - 1]}</ETag></Part>");
    xml.Append("</CompleteMultipartUpload>");
    using var complete = new HttpRequestMessage(HttpMethod.Post, $"{endpoint}/bench/{key}?uploadId={uploadId}")
    { Content = new StringContent(xml.ToString(), Encoding.UTF8, "application/xml") };
    signer.Sign(complete);
    using var cr = await http.SendAsync(complete);
    string cbody = await cr.Content.ReadAsStringAsync();
    if (!cr.IsSuccessStatusCode || cbody.Contains("<Error>", StringComparison.Ordinal)) throw new InvalidOperationException("Complete: " + cbody);
    return (upload, sw.Elapsed.TotalSeconds - upload, (cpuParts - cpuStart).TotalSeconds,
        (Process.GetCurrentProcess().TotalProcessorTime - cpuParts).TotalSeconds);
}

async Task S3PutAsync(string key, byte[] payload)
{
    using var req = new HttpRequestMessage(HttpMethod.Put, $"{endpoint}/bench/{key}") { Content = new ByteArrayContent(payload) };
    signer.Sign(req);
    using var res = await http.SendAsync(req);
    if (!res.IsSuccessStatusCode) throw new InvalidOperationException($"PUT {key}: {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
}

async Task DrainAsync(HttpRequestMessage req, long size)
{
    using var res = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
    if (res.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"GET {req.RequestUri}: {(int)res.StatusCode}");
    await using var s = await res.Content.ReadAsStreamAsync();
    var buf = new byte[Math.Min(size, 256 * 1024)];
    long got = 0;
    for (int n; (n = await s.ReadAsync(buf)) > 0;) got += n;
    if (got != size) throw new InvalidOperationException($"GET {req.RequestUri}: {got} of {size} bytes");
}

static long ParseSize(string s)
{
    s = s.Trim().ToLowerInvariant();
    long mult = s.EndsWith('k') ? 1024 : s.EndsWith('m') ? 1 << 20 : s.EndsWith('g') ? 1 << 30 : 1;
    return long.Parse(mult == 1 ? s : s[..^1], CultureInfo.InvariantCulture) * mult;
}

static string SizeLabel(long size) => size >= 1 << 20 ? $"{size >> 20}M" : $"{size >> 10}K";

// Runs op on `workers` loops until `seconds` have passed, or `count` ops in all when count > 0.
static async Task<Result> Phase(string name, int workers, double seconds, int count, long size, Func<int, int, Task> op)
{
    var latencies = new List<double>[workers];
    int errors = 0, issued = 0;
    string? firstError = null;
    Console.WriteLine($"{name} ...");
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    var end = TimeSpan.FromSeconds(seconds);
    await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
    {
        var mine = latencies[w] = new List<double>(100_000);
        for (int i = 0; count > 0 ? Interlocked.Increment(ref issued) <= count : sw.Elapsed < end; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            try { await op(w, i); mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds); }
            catch (Exception e) { Interlocked.Increment(ref errors); firstError ??= e.Message; }
        }
    })));
    double elapsed = sw.Elapsed.TotalSeconds;
    double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    double p50 = all.Length == 0 ? 0 : all[all.Length / 2];
    var r = new Result(all.Length, elapsed, p50, errors, size, cpu);
    Console.WriteLine($"{name}: {all.Length} ops in {elapsed:F1}s = {r.Rate:F0}/s, {r.MiBs:F1} MiB/s, p50 {p50:F2} ms, CPU {r.CpuPerOp * 1e6:F0} µs/op" + (firstError != null ? $" (errors {errors}, first: {firstError})" : ""));
    return r;
}

// Cpu: CPU seconds of the whole process (load generator, gateway, tracker, nodes) during the phase. On a
// shared machine the rate depends on what else runs; CPU per operation hardly does, and the ratio of the
// two paths' CPU per operation is what their rates' ratio tends to when the cores are the bottleneck.
record Result(long Ops, double Seconds, double P50, int Errors, long Size, double Cpu)
{
    public double CpuPerOp => Ops == 0 ? 0 : Cpu / Ops;
    public double Rate => Ops / Seconds;
    public double MiBs => Ops * (double)Size / 1048576 / Seconds;
}

/// <summary>A read-only stream of <c>length</c> bytes that repeats one buffer (a large upload without a large array).</summary>
sealed class RepeatStream(byte[] block, long length) : Stream
{
    private long _pos;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _pos; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = (int)Math.Min(Math.Min(count, length - _pos), block.Length - _pos % block.Length);
        Array.Copy(block, _pos % block.Length, buffer, offset, n);
        _pos += n;
        return n;
    }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
