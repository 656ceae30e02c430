using System.Data.Common;
using System.Globalization;
using MogileFS.Store;
using MogileFS.Hosting;
using MogileFS.Tools.Common;

namespace MogileFS.Cli.mogstats;

/// <summary>
/// mogstats: slow statistics read straight from the MogileFS database (files per device, domain,
/// class and devcount; queue states), with the same options and report layout as MogileFS-Utils 2.30.
/// </summary>
public static class MogStats
{
    private const long EndOfTime = 2147483647;
    private static readonly string[] ValidStats =
        ["devices", "fids", "files", "domains", "replication", "replication-queue", "delete-queue", "general-queues", "all"];

    private static string Usage(string? message)
    {
        var s = message != null ? $"ERROR: {message}\n\n" : "";
        s += "Usage:\n    mogstats --db_dsn=\"DBI:mysql:mfs:host=mfshost\" --db_user=\"mfs\" \\\n" +
             "             --db_pass=\"mfs\" --verbose --stats=\"devices,files\"\n" +
             "    mogstats --stats=\"all\"\n    mogstats [all options in ~/.mogilefs.conf]\n\n";
        return s + "valid stats: " + string.Join(", ", ValidStats.Order(StringComparer.Ordinal)) + "\n";
    }

    public static Task<int> RunAsync(string[] args) => ToolHost.RunAsync("mogstats", async ct =>
    {
        var r = new GetoptLong(GetoptConfig.Tools with { RequireOrder = true, PassThrough = true },
            "config=s", "lib=s", "help", "verbose", "stats=s", "db_dsn=s", "db_user=s", "db_pass=s").Parse(args);
        if (r.Error != null) throw new UsageException(Usage(null));
        var explicitConf = r.Last("config");
        var opts = ConfigFiles.Read(ConfigFiles.DefaultFiles(explicitConf, includeEnv: false), explicitConf, commentNeedsSpace: true);
        foreach (var (k, v) in r.LastValues) opts[k] = v;
        if (opts.ContainsKey("help")) throw new UsageException(Usage(null) + """

            Options:
              --db_dsn=DSN     database (DBI:SQLite:dbname=FILE, DBI:Pg:..., DBI:mysql:...)
              --db_user=USER   database user
              --db_pass=PASS   database password
              --stats=LIST     comma-separated stats to show (default all)
              --verbose        more detail
              --config=FILE    configuration file instead of ~/.mogilefs.conf
              --lib=DIR        accepted for 2.73 compatibility (no effect)
              --help           this text
              --version        print the version and exit

            """, 0);
        bool verbose = opts.ContainsKey("verbose");

        var statsArg = opts.GetValueOrDefault("stats") is { Length: > 0 } sa ? sa : "all";
        var wanted = statsArg.Split(',').ToHashSet(StringComparer.Ordinal);
        foreach (var w in wanted)
            if (!ValidStats.Contains(w)) throw new UsageException(Usage($"Invalid stat {w}"));
        bool all = wanted.Contains("all");
        bool Want(string s) => all || wanted.Contains(s);

        var dsnText = opts.GetValueOrDefault("db_dsn") ?? throw new ToolException(
            "mogstats: no database given: use --db_dsn=DBI:SQLite:dbname=/path or DBI:Pg:dbname=..;host=.. (or db_dsn = ... in ~/.mogilefs.conf)");
        DatabaseDsn dsn;
        try { dsn = DatabaseDsn.Parse(dsnText); dsn.EnsureSupported(); }
        catch (Exception e) when (e is DatabaseDsnException or NotSupportedException) { throw new ToolException($"mogstats: {e.Message}"); }

        var o = Console.Out;
        o.Write($"Fetching statistics... ({statsArg})\n");
        await using var db = dsn.CreateConnection(opts.GetValueOrDefault("db_user"), opts.GetValueOrDefault("db_pass"));
        try { await db.OpenAsync(ct); }
        catch (DbException e) { throw new ToolException($"Failed to connect to database: {e.Message}"); }
        var q = new Db(db, dsn.Kind, ct);
        void Verbose(string s) { if (verbose) o.Write(s + "\n"); }

        // Names of domains and classes (classid 0 is always "default").
        var domainNames = new Dictionary<long, string>();
        var classNames = new Dictionary<(long, long), string>();
        foreach (var row in await q.Rows("SELECT d.dmid, d.namespace, c.classid, c.classname FROM domain d LEFT JOIN class c ON c.dmid=d.dmid"))
        {
            long dmid = Db.L(row[0]);
            domainNames[dmid] = row[1]?.ToString() ?? "";
            long classid = row[2] is null ? 0 : Db.L(row[2]);
            classNames[(dmid, classid)] = row[3]?.ToString() is { Length: > 0 } cn ? cn : "default";
        }
        string Dom(long dmid) => domainNames.GetValueOrDefault(dmid, "");
        string Cls(long dmid, long classid) => classid == 0 ? "default" : classNames.GetValueOrDefault((dmid, classid), "");
        var devices = new Dictionary<long, (string Host, string Status)>();
        foreach (var row in await q.Rows("SELECT device.devid, hostname, device.status FROM device, host WHERE device.hostid = host.hostid"))
            devices[Db.L(row[0])] = (row[1]?.ToString() ?? "", row[2]?.ToString() ?? "");
        long dbTime = Db.L((await q.Rows("SELECT " + (dsn.Kind switch { DatabaseKind.Postgres => "EXTRACT(epoch FROM NOW())::int8", DatabaseKind.MySql => "UNIX_TIMESTAMP()", _ => "strftime('%s','now')" })))[0][0]);

        if (Want("devices"))
        {
            Verbose("... per-device stats...");
            var rows = await q.Rows("SELECT devid, COUNT(devid) FROM file_on GROUP BY 1");
            Verbose("... done");
            o.Write("\nStatistics for devices...\n");
            o.Write($"  {"device",-10} {"host",-15} {"files",12} {"status",10}\n");
            o.Write("  ---------- ---------------- ------------ ----------\n");
            foreach (var row in rows.OrderBy(r => Db.L(r[0])))
            {
                var dev = devices.GetValueOrDefault(Db.L(row[0]));
                o.Write($"  {"dev" + Db.L(row[0]),-10} {dev.Host,-10} {Db.L(row[1]),10} {dev.Status,10}\n");
            }
            o.Write("  ---------- ---------------- ------------ ----------\n");
        }
        if (Want("fids"))
        {
            Verbose("... fid stats...");
            var max = (await q.Rows("SELECT MAX(fid) FROM file"))[0][0];
            Verbose("... done");
            o.Write("\nStatistics for file ids...\n");
            o.Write($"  Max file id: {(max is null || Db.L(max) == 0 ? "none" : Db.L(max).ToString(CultureInfo.InvariantCulture))}\n");
        }
        if (Want("files"))
        {
            Verbose("... files stats...");
            var sql = dsn.Kind == DatabaseKind.Postgres
                ? "SELECT dmid, classid, COUNT(classid), sum(length), sum(length::int8 * devcount::int8) FROM file GROUP BY 1, 2"
                : "SELECT dmid, classid, COUNT(classid), sum(length), sum(length * devcount) FROM file GROUP BY 1, 2";
            var rows = await q.Rows(sql);
            Verbose("... done");
            o.Write("\nStatistics for files...\n");
            o.Write($"  {"domain",-20} {"class",-10} {"files",10} {"size (m)",11} {"fullsize (m)",13}\n");
            o.Write("  -------------------- ----------- ---------- ----------- -------------\n");
            foreach (var row in rows.Select(r => (D: Dom(Db.L(r[0])), C: Cls(Db.L(r[0]), Db.L(r[1])), N: Db.L(r[2]), S: Db.L(r[3]), F: Db.L(r[4])))
                         .OrderBy(x => x.D, StringComparer.Ordinal).ThenBy(x => x.C, StringComparer.Ordinal))
                o.Write($"  {row.D,-20} {row.C,-10} {row.N,10} {row.S / 1024 / 1024,11} {row.F / 1024 / 1024,13}\n");
            o.Write("  -------------------- ----------- ---------- ----------- -------------\n");
        }
        if (wanted.Contains("domains") && !Want("files"))
        {
            Verbose("... domains stats...");
            var rows = await q.Rows("SELECT dmid, classid, COUNT(classid) FROM file GROUP BY 1, 2");
            Verbose("... done");
            o.Write("\nStatistics for domains...\n");
            o.Write($"  {"domain",-20} {"class",-10} {"files",10}\n");
            o.Write("  -------------------- ----------- ----------\n");
            foreach (var row in rows.Select(r => (D: Dom(Db.L(r[0])), C: Cls(Db.L(r[0]), Db.L(r[1])), N: Db.L(r[2])))
                         .OrderBy(x => x.D, StringComparer.Ordinal).ThenBy(x => x.C, StringComparer.Ordinal))
                o.Write($"  {row.D,-20} {row.C,-10} {row.N,10}\n");
            o.Write("  -------------------- ----------- ----------\n");
        }
        if (Want("replication"))
        {
            Verbose("... replication stats...");
            var rows = await q.Rows("SELECT dmid, classid, devcount, COUNT(devcount) FROM file GROUP BY 1, 2, 3");
            Verbose("... done");
            o.Write("\nStatistics for replication...\n");
            o.Write($"  {"domain",-20} {"class",-10} {"devcount",10} {"files",10}\n");
            o.Write("  -------------------- ----------- ---------- ----------\n");
            foreach (var row in rows.Select(r => (D: Dom(Db.L(r[0])), C: Cls(Db.L(r[0]), Db.L(r[1])), Dc: Db.L(r[2]), N: Db.L(r[3])))
                         .OrderBy(x => x.D, StringComparer.Ordinal).ThenBy(x => x.C, StringComparer.Ordinal).ThenBy(x => x.Dc))
                o.Write($"  {row.D,-20} {row.C,-10} {row.Dc,10} {row.N,10}\n");
            o.Write("  -------------------- ----------- ---------- ----------\n");
        }
        string QueueState(long nexttry, bool replication) => nexttry switch
        {
            0 => replication ? "newfile" : "new",
            1 => "redo",
            < 1000 => "unknown",
            EndOfTime => "manual",
            _ when nexttry < dbTime => "overdue",
            _ => "deferred",
        };
        async Task QueueSection(string title, string sql, bool replication)
        {
            Verbose($"... {title} stats...");
            var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var row in await q.Rows(sql))
            {
                var k = QueueState(Db.L(row[0]), replication);
                counts[k] = counts.GetValueOrDefault(k) + Db.L(row[1]);
            }
            Verbose("... done");
            o.Write($"\nStatistics for {title}...\n");
            o.Write($"  {"status",-20} {"count",12}\n");
            o.Write("  -------------------- ------------\n");
            foreach (var (k, v) in counts) o.Write($"  {k,-20} {v,12}\n");
            o.Write("  -------------------- ------------\n");
        }
        if (Want("replication-queue"))
            await QueueSection("replication queue", "SELECT nexttry, COUNT(*) FROM file_to_replicate GROUP BY 1", true);
        if (Want("delete-queue"))
            await QueueSection("delete queue", "SELECT nexttry, COUNT(*) FROM file_to_delete2 GROUP BY 1", false);
        if (Want("general-queues"))
        {
            Verbose("... queue stats...");
            var counts = new SortedDictionary<(string, string), long>();
            foreach (var row in await q.Rows("SELECT type, nexttry, COUNT(*) FROM file_to_queue GROUP BY 1, 2"))
            {
                var queue = Db.L(row[0]) switch { 1 => "FSCK_QUEUE", 2 => "REBAL_QUEUE", _ => "UNKNOWN_QUEUE" };
                var key = (queue, QueueState(Db.L(row[1]), false));
                counts[key] = counts.GetValueOrDefault(key) + Db.L(row[2]);
            }
            Verbose("... done");
            o.Write("\nStatistics for general queues...\n");
            o.Write($"  {"queue",-15} {"status",-20} {"count",12}\n");
            o.Write("  --------------- -------------------- ------------\n");
            foreach (var ((queue, status), v) in counts) o.Write($"  {queue,-15} {status,-20} {v,12}\n");
            o.Write("  --------------- -------------------- ------------\n");
        }
        o.Write("\ndone\n");
        return 0;
    });

    private sealed class Db(DbConnection conn, DatabaseKind kind, CancellationToken ct)
    {
        public DatabaseKind Kind { get; } = kind;

        public async Task<List<object?[]>> Rows(string sql)
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            var list = new List<object?[]>();
            try
            {
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                {
                    var row = new object?[r.FieldCount];
                    for (int i = 0; i < row.Length; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
                    list.Add(row);
                }
            }
            catch (DbException e) { throw new ToolException($"mogstats: database error: {e.Message}"); }
            return list;
        }

        public static long L(object? v) => v switch
        {
            null => 0,
            long l => l,
            int i => i,
            short s => s,
            decimal d => (long)d,
            double d => (long)d,
            string s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0,
            _ => Convert.ToInt64(v, CultureInfo.InvariantCulture),
        };
    }
}
