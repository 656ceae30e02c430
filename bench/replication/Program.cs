// Replication benchmark driver (bench/replication/run.sh starts the cluster and calls this).
// Registers a domain, a class with mindevcount 2, the storage hosts/devices given with --node,
// uploads FILES files of SIZE bytes through the tracker protocol (create_open, PUT, create_close),
// and measures how long it takes until every file has two copies (file_on rows, replication queue
// empty), read straight from the database. Two modes:
//   concurrent: replication runs during the upload; the figure is "end of upload -> all copied";
//   paused:     `!want 0 replicate` during the upload, `!want 1 replicate` at t0; the figure is the
//               whole replication of the backlog (pure replication throughput).
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using MogileFS.Store;

var opts = new Dictionary<string, string>();
var nodes = new List<(string Name, string Ip, int Port, int[] Devs)>();
for (int i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal)) continue;
    string k = args[i][2..], v = i + 1 < args.Length ? args[++i] : "";
    if (k == "node")
    {
        // name=ip:port:dev,dev
        var eq = v.Split('=', 2);
        var parts = eq[1].Split(':');
        nodes.Add((eq[0], parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), parts[2].Split(',').Select(int.Parse).ToArray()));
    }
    else opts[k] = v;
}
string tracker = opts["tracker"];
string dsn = opts["dsn"];
int files = int.Parse(opts.GetValueOrDefault("files", "2000"), CultureInfo.InvariantCulture);
int size = int.Parse(opts.GetValueOrDefault("size", "1024"), CultureInfo.InvariantCulture);
int concurrency = int.Parse(opts.GetValueOrDefault("concurrency", "16"), CultureInfo.InvariantCulture);
string mode = opts.GetValueOrDefault("mode", "concurrent");
string domain = opts.GetValueOrDefault("domain", "bench-" + mode);
bool setupHosts = opts.GetValueOrDefault("setup-hosts", "1") == "1";

var tp = tracker.Split(':');
async Task<string> Query(string line)
{
    using var c = new TcpClient();
    await c.ConnectAsync(tp[0], int.Parse(tp[1], CultureInfo.InvariantCulture));
    var s = c.GetStream();
    await s.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
    var sb = new StringBuilder();
    var buf = new byte[65536];
    while (true)
    {
        int n = await s.ReadAsync(buf);
        if (n == 0) break;
        sb.Append(Encoding.Latin1.GetString(buf, 0, n));
        string t = sb.ToString();
        if (line.StartsWith('!') ? t.EndsWith(".\r\n", StringComparison.Ordinal) : t.EndsWith("\r\n", StringComparison.Ordinal)) break;
    }
    return sb.ToString().TrimEnd();
}
async Task<Dictionary<string, string>> Ok(string line)
{
    string r = await Query(line);
    if (!r.StartsWith("OK", StringComparison.Ordinal)) throw new InvalidOperationException($"{line} -> {r}");
    var d = new Dictionary<string, string>();
    foreach (var kv in r.Length > 3 ? r[3..].Split('&') : [])
    {
        var p = kv.Split('=', 2);
        d[Uri.UnescapeDataString(p[0].Replace('+', ' '))] = p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : "";
    }
    return d;
}

await Ok("create_domain domain=" + domain);
await Ok($"create_class domain={domain}&class=two&mindevcount=2");
if (setupHosts)
{
    foreach (var (name, ip, port, devs) in nodes)
    {
        await Ok($"create_host host={name}&ip={ip}&port={port}&status=alive");
        foreach (var d in devs) await Ok($"create_device devid={d}&hostname={name}&state=alive");
    }
}
int devCount = nodes.Sum(n => n.Devs.Length);
var sw = Stopwatch.StartNew();
while (true)
{
    var devsInfo = await Ok("get_devices");
    int w = devsInfo.Count(kv => kv.Key.EndsWith("_observed_state", StringComparison.Ordinal) && kv.Value == "writeable");
    int usage = devsInfo.Count(kv => kv.Key.EndsWith("_mb_total", StringComparison.Ordinal) && kv.Value.Length > 0 && kv.Value != "0");
    if (w >= devCount && usage >= devCount) break;
    if (sw.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("devices never became writeable");
    await Task.Delay(200);
}

if (mode == "paused") Console.Error.WriteLine("# " + (await Query("!want 0 replicate")).Split('\r')[0]);

using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = concurrency });
var payload = new byte[size];
Random.Shared.NextBytes(payload);
int next = -1;
var upload = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
{
    while (true)
    {
        int i = Interlocked.Increment(ref next);
        if (i >= files) return;
        string key = "f" + i.ToString(CultureInfo.InvariantCulture);
        var open = await Ok($"create_open domain={domain}&key={key}&class=two&fid=0");
        var res = await http.PutAsync(open["path"], new ByteArrayContent(payload));
        res.EnsureSuccessStatusCode();
        await Ok($"create_close domain={domain}&key={key}&fid={open["fid"]}&devid={open["devid"]}&size={size}&path={Uri.EscapeDataString(open["path"])}");
    }
}));
upload.Stop();

await using var db = DatabaseDsn.Parse(dsn).CreateConnection(opts.GetValueOrDefault("dbuser"), opts.GetValueOrDefault("dbpass"));
await db.OpenAsync();
int dmid = 0;
await using (var cmd = db.CreateCommand())
{
    cmd.CommandText = $"SELECT dmid FROM domain WHERE namespace = '{domain}'";
    dmid = Convert.ToInt32(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
}
async Task<(long Copied, long Queue)> Progress()
{
    await using var cmd = db.CreateCommand();
    cmd.CommandText = $"SELECT (SELECT COUNT(*) FROM file f WHERE f.dmid = {dmid} AND (SELECT COUNT(*) FROM file_on o WHERE o.fid = f.fid) >= 2), (SELECT COUNT(*) FROM file_to_replicate r JOIN file f ON f.fid = r.fid WHERE f.dmid = {dmid})";
    await using var r = await cmd.ExecuteReaderAsync();
    await r.ReadAsync();
    return (Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture));
}
var atEnd = await Progress();
var t = Stopwatch.StartNew();
if (mode == "paused") Console.Error.WriteLine("# " + (await Query("!want 1 replicate")).Split('\r')[0]);
while (true)
{
    var p = await Progress();
    if (p.Copied >= files && p.Queue == 0) break;
    if (t.Elapsed > TimeSpan.FromSeconds(600)) throw new TimeoutException($"not done after 600 s: {p}");
    await Task.Delay(20);
}
t.Stop();
double secs = t.Elapsed.TotalSeconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"mode={mode} files={files} size={size} upload_s={upload.Elapsed.TotalSeconds:0.00} copied_at_upload_end={atEnd.Copied} replication_s={secs:0.00} files_per_s={(files - (mode == "paused" ? 0 : atEnd.Copied)) / Math.Max(secs, 1e-6):0.0} total_files_per_s_since_upload_start={files / (upload.Elapsed.TotalSeconds + secs):0.0}"));
