using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using MogileFS.Store;
using MogileFS.Store.Schema;
using MogileFS.Tracker;
using MogileFS.Tracker.Configuration;

namespace MogileFS.Benchmarks;

/// <summary>
/// A quick in-process load run of the tracker core (the full-system load tool lives elsewhere):
/// N connections, each sending one request and waiting for its reply, for a fixed time.
/// Usage: load [seconds] [c1,c2,...] [command line...]
/// </summary>
public static class LoadTest
{
    public static async Task RunAsync(string[] args)
    {
        int seconds = args.Length > 1 ? int.Parse(args[1]) : 5;
        var conc = (args.Length > 2 ? args[2] : "1,8,64").Split(',').Select(int.Parse).ToArray();
        var commands = args.Length > 3 ? args.Skip(3).ToArray() : new[] { "noop", "get_domains", "server_setting key=schema_version", "get_paths domain=d&key=k&noverify=1" };

        var dir = Directory.CreateTempSubdirectory("mogbench-");
        try
        {
            var dsn = "DBI:SQLite:dbname=" + Path.Combine(dir.FullName, "db.sqlite");
            await SchemaInstaller.InstallAsync(DatabaseDsn.Parse(dsn), null, null);
            var options = new TrackerOptions { DbDsn = dsn, Listen = { "127.0.0.1:0" }, QueryJobs = 20 };
            await using var server = new TrackerServer(options, NullLoggerFactory.Instance);
            await server.StartAsync();
            var ep = server.EndPoints[0];
            await OneShot(ep, "create_domain domain=d");
            Console.WriteLine($"{"command",-40} {"c",4} {"ops/s",10} {"p50 ms",8} {"p99 ms",8} {"B/op",8}"); // B/op: whole process (server + in-process client)
            foreach (var cmd in commands)
                foreach (var c in conc)
                    await RunOne(ep, cmd, c, TimeSpan.FromSeconds(seconds));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            dir.Delete(true);
        }
    }

    private static async Task OneShot(IPEndPoint ep, string line)
    {
        using var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(ep);
        await s.SendAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
        var buf = new byte[4096];
        await s.ReceiveAsync(buf);
    }

    private static async Task RunOne(IPEndPoint ep, string cmd, int conns, TimeSpan duration)
    {
        var req = Encoding.ASCII.GetBytes(cmd + "\r\n");
        var stop = DateTime.UtcNow + duration;
        var lat = new List<double>[conns];
        var tasks = new Task[conns];
        long alloc0 = GC.GetTotalAllocatedBytes(precise: false);
        for (int i = 0; i < conns; i++)
        {
            var mine = lat[i] = new List<double>(1 << 16);
            tasks[i] = Task.Run(async () =>
            {
                using var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await s.ConnectAsync(ep);
                var buf = new byte[65536];
                while (DateTime.UtcNow < stop)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    await s.SendAsync(req, SocketFlags.None);
                    int got = 0;
                    while (true)
                    {
                        int n = await s.ReceiveAsync(buf.AsMemory(got), SocketFlags.None);
                        if (n == 0) return;
                        got += n;
                        if (buf[got - 1] == (byte)'\n') break;
                    }
                    mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
            });
        }
        await Task.WhenAll(tasks);
        long allocated = GC.GetTotalAllocatedBytes(precise: false) - alloc0;
        var all = lat.SelectMany(l => l).OrderBy(x => x).ToArray();
        double p(double q) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
        Console.WriteLine($"{cmd,-40} {conns,4} {all.Length / duration.TotalSeconds,10:F0} {p(0.5),8:F3} {p(0.99),8:F3} {(all.Length == 0 ? 0 : allocated / all.Length),8}");
    }
}
