// fsck benchmark (docs/fsck-rebalance.md): an in-process cluster on loopback — SQLite file, two
// storage nodes (one device each, 127.0.4.1 / 127.0.4.2), one tracker with its background jobs —
// seeded with FILES files of SIZE bytes, each on both devices (class with mindevcount 2, so every
// fid is healthy). Then a full fsck run is timed twice: the default mode (policy, devcount and one
// HEAD per copy) and fsck_checksum=MD5 (every copy's digest computed by its storage node). Prints
// fids/s for both. Usage: dotnet run -c Release -- [--files 10000] [--size 1024]
using System.Diagnostics;
using System.Globalization;
using MogileFS.Store;
using MogileFS.TestSupport.Cluster;

int files = 10000, size = 1024;
for (int i = 0; i + 1 < args.Length; i++)
{
    if (args[i] == "--files") files = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--size") size = int.Parse(args[++i], CultureInfo.InvariantCulture);
}

// The shared test fixture (tests/MogileFS.TestSupport/Cluster, docs/testing.md) runs the cluster.
await using var cluster = await TestCluster.StartAsync(new ClusterOptions
{
    Nodes = [new NodeSpec("h1", "127.0.4.1", 1), new NodeSpec("h2", "127.0.4.2", 2)],
    TrackerIp = "127.0.4.1",
    QueryJobs = null,
    TrackerSettings = new Dictionary<string, string> { ["monitor_interval"] = "0.5", ["monitor_usage_interval"] = "1", ["job_master_idle"] = "0.2" },
});
{
    async Task<Dictionary<string, string>> Ok(string line) => await cluster.QueryOkAsync(line);
    await cluster.SetupAsync("d", ("c2", 2, null));
    var rt = cluster.Tracker.Services;

    // Seed: every fid on both devices (domain d is dmid 1, class c2 is classid 1).
    var data = new byte[size];
    Random.Shared.NextBytes(data);
    await using (var conn = await cluster.OpenDatabaseAsync())
    {
        await using var tx = await conn.BeginTransactionAsync();
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        for (long fid = 1; fid <= files; fid++)
        {
            for (int devid = 1; devid <= 2; devid++)
            {
                string file = cluster.FileOnDisk(fid, devid);
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
