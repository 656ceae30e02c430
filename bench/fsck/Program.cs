// fsck benchmark (docs/fsck-rebalance.md): an in-process cluster on loopback — SQLite file, two
// storage nodes (one device each, 127.0.4.1 / 127.0.4.2), one tracker with its background jobs —
// seeded with FILES files of SIZE bytes, each on both devices (class with mindevcount 2, so every
// fid is healthy). Then a full fsck run is timed twice: the default mode (policy, devcount and one
// HEAD per copy) and fsck_checksum=MD5 (every copy's digest computed by its storage node). Prints
// fids/s for both. Usage: dotnet run -c Release -- [--files 10000] [--size 1024]
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using MogileFS.Core.Model;
using MogileFS.StorageNode;
using MogileFS.Store;
using MogileFS.Store.Schema;
using MogileFS.TestSupport;
using MogileFS.Tracker;
using MogileFS.Tracker.Configuration;

int files = 10000, size = 1024;
for (int i = 0; i + 1 < args.Length; i++)
{
    if (args[i] == "--files") files = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--size") size = int.Parse(args[++i], CultureInfo.InvariantCulture);
}

string dir = Path.Combine(Path.GetTempPath(), "mogfsck-bench-" + Environment.ProcessId);
Directory.CreateDirectory(dir);
var nodes = new List<StorageNodeServer>();
TrackerServer? tracker = null;
try
{
    string dsn = "DBI:SQLite:dbname=" + Path.Combine(dir, "mogilefs.sqlite");
    await SchemaInstaller.InstallAsync(DatabaseDsn.Parse(dsn), null, null);
    int http = 0, mgmt = 0;
    var ips = new[] { "127.0.4.1", "127.0.4.2" };
    for (int n = 0; n < 2; n++)
    {
        string root = Path.Combine(dir, "node" + n);
        Directory.CreateDirectory(Path.Combine(root, "dev" + (n + 1)));
        var s = new StorageNodeServer(new StorageNodeOptions
        {
            HttpListen = $"{ips[n]}:{http}", MgmtListen = $"{ips[n]}:{mgmt}", DocRoot = root, IoStat = false,
        }, NullLoggerFactory.Instance);
        await s.StartAsync();
        nodes.Add(s);
        http = s.HttpEndPoint.Port;
        mgmt = s.MgmtEndPoint.Port;
    }
    tracker = new TrackerServer(new TrackerOptions
    {
        DbDsn = dsn, DbUser = "", DbPass = "", Listen = ["127.0.4.1:0"], MogstoredStreamPort = mgmt,
        User = Environment.UserName == "root" ? "root" : "",
        FileSettings = new Dictionary<string, string> { ["monitor_interval"] = "0.5", ["monitor_usage_interval"] = "1", ["job_master_idle"] = "0.2" },
    }, NullLoggerFactory.Instance);
    await tracker.StartAsync();
    var ep = tracker.EndPoints[0];
    async Task<Dictionary<string, string>> Ok(string line)
    {
        string r = await TrackerClient.QueryOnceAsync(ep, line);
        if (!r.StartsWith("OK", StringComparison.Ordinal)) throw new InvalidOperationException($"{line} -> {r}");
        return TrackerClient.ParseOk(r);
    }
    await Ok("create_domain domain=d");
    await Ok("create_class domain=d&class=c2&mindevcount=2");
    for (int n = 0; n < 2; n++)
    {
        await Ok($"create_host host=h{n + 1}&ip={ips[n]}&port={http}&status=alive");
        await Ok($"create_device devid={n + 1}&hostname=h{n + 1}&state=alive");
    }
    var rt = tracker.Services;
    var sw0 = Stopwatch.StartNew();
    while (!(rt.Metadata.Current.Devices.Count == 2 && rt.Metadata.Current.Devices.All(d => rt.Observations.IsReadable(d))))
    {
        if (sw0.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("devices never became readable");
        await Task.Delay(100);
    }

    // Seed: every fid on both devices.
    var data = new byte[size];
    Random.Shared.NextBytes(data);
    await using (var conn = DatabaseDsn.Parse(dsn).CreateConnection(null, null))
    {
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        for (long fid = 1; fid <= files; fid++)
        {
            for (int n = 0; n < 2; n++)
            {
                string file = Path.Combine(dir, "node" + n, StoragePaths.FidPath(n + 1, fid).TrimStart('/'));
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                await File.WriteAllBytesAsync(file, data);
            }
            cmd.CommandText = string.Create(CultureInfo.InvariantCulture,
                $"INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES ({fid}, 1, 'k{fid}', {size}, 1, 2); INSERT INTO file_on (fid, devid) VALUES ({fid}, 1); INSERT INTO file_on (fid, devid) VALUES ({fid}, 2)");
            await cmd.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
    }
    Console.WriteLine($"# fsck benchmark: {files} files x {size} bytes, 2 copies each, SQLite, in-process tracker + 2 storage nodes; {Environment.ProcessorCount} cores");

    async Task<double> RunAsync(string label)
    {
        await Ok("fsck_reset");
        await Ok("fsck_clearlog");
        var sw = Stopwatch.StartNew();
        await Ok("fsck_start");
        while (true)
        {
            await Task.Delay(50);
            var host = await rt.Store.GetServerSettingAsync("fsck_host", default);
            if (host is null && await rt.Store.CountFileQueueAsync(MetadataStore.FsckQueue, default) == 0) break;
        }
        sw.Stop();
        long events = await rt.Store.GetMaxFsckLogIdAsync(default);
        double rate = files / sw.Elapsed.TotalSeconds;
        Console.WriteLine($"{label,-28} {sw.Elapsed.TotalSeconds,8:F2} s  {rate,9:F0} fids/s  (fsck_log rows: {events}; includes the ~1 s injection delay)");
        return rate;
    }
    await RunAsync("fsck (default mode)");
    await Ok("set_server_setting key=fsck_checksum&value=MD5");
    await RunAsync("fsck (fsck_checksum=MD5)");
}
finally
{
    if (tracker != null) await tracker.DisposeAsync();
    foreach (var s in nodes) await s.DisposeAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    try { Directory.Delete(dir, true); } catch (IOException) { }
}
