// mogseed: writes N files' rows straight into a MogileFS database (schema v17, made by mogdbsetup),
// the way a site that has stored N files looks, without N protocol round trips (bench/growth/run.sh).
//
//   domain (default loadtest) with class "one" (mindevcount 1) and class "two" (mindevcount 2);
//   file rows fid 1..N, key "load/" + (fid-1) as at least 6 digits (the keys mogload draws from),
//   class two, devcount 2; file_on: each bulk fid on one device of --host1 and one of --host2
//   (alternating), so every file has its 2 copies on 2 hosts.
//   The last --real fids are the "measured subset": their rows point at --real-devices (default 5 and 3)
//   and, with --docroot DEV=DIR given for both devices, real files of --size bytes are written there,
//   so fsck and replication of a dead device work on real bytes.
// SQLite: prepared INSERTs in transactions of 200,000 files; PostgreSQL: COPY (text) into file and file_on.
// Finally the fid generator is moved past N and PostgreSQL tables are ANALYZEd (what autovacuum does soon after).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using MogileFS.Core.Model;
using MogileFS.Store;
using Npgsql;

var inv = CultureInfo.InvariantCulture;
var opts = new Dictionary<string, string>();
var docroots = new Dictionary<int, string>();
for (int i = 0; i < args.Length; i++)
{
    string a = args[i];
    if (!a.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"mogseed: bad argument {a}\n" + Usage());
        return 2;
    }
    string v = args[++i];
    if (a == "--docroot")
    {
        var p = v.Split('=', 2);
        docroots[int.Parse(p[0], inv)] = p[1];
    }
    else opts[a[2..]] = v;
}
if (!opts.TryGetValue("dsn", out var dsnText) || !opts.ContainsKey("files"))
{
    Console.Error.WriteLine(Usage());
    return 2;
}
long files = long.Parse(opts["files"], inv);
long real = Math.Min(files, long.Parse(opts.GetValueOrDefault("real", "0"), inv));
int size = int.Parse(opts.GetValueOrDefault("size", "1024"), inv);
int[] host1 = Ints(opts.GetValueOrDefault("host1", "1,2"));
int[] host2 = Ints(opts.GetValueOrDefault("host2", "3,4"));
int[] realDevs = Ints(opts.GetValueOrDefault("real-devices", "5,3"));
string domain = opts.GetValueOrDefault("domain", "loadtest");
string? user = opts.GetValueOrDefault("dbuser"), pass = opts.GetValueOrDefault("dbpass");
if (realDevs.Length != 2) { Console.Error.WriteLine("mogseed: --real-devices wants two devids"); return 2; }

var dsn = DatabaseDsn.Parse(dsnText);
await using var store = MetadataStore.Open(dsn, user, pass);
var ct = CancellationToken.None;
int dmid = (await store.GetDomainsAsync(ct)).FirstOrDefault(d => d.Name == domain)?.Id ?? await store.CreateDomainAsync(domain, ct);
var classes = await store.GetClassesAsync(ct);
async Task<int> ClassId(string name, int min) => classes.FirstOrDefault(c => c.DomainId == dmid && c.Name == name)?.ClassId
    ?? await store.CreateClassAsync(dmid, name, min, null, null, ct);
await ClassId("one", 1);
int classTwo = await ClassId("two", 2);
long firstFid = (await store.GetMaxFileFidAsync(ct)) + 1;
long lastFid = firstFid + files - 1;
long firstReal = lastFid - real + 1;

(int, int) Devices(long fid) => fid >= firstReal
    ? (realDevs[0], realDevs[1])
    : (host1[(int)(fid % host1.Length)], host2[(int)(fid / host1.Length % host2.Length)]);
string Key(long fid) => "load/" + (fid - 1).ToString("D6", inv);
long Length(long fid) => fid >= firstReal ? size : 100 + fid % 900;

var sw = Stopwatch.StartNew();
if (dsn.Kind == DatabaseKind.Sqlite)
{
    await using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dsn.Database }.ToString());
    await conn.OpenAsync();
    await using (var p = conn.CreateCommand())
    {
        p.CommandText = "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;";
        await p.ExecuteNonQueryAsync();
    }
    const int Batch = 200_000;
    for (long start = firstFid; start <= lastFid; start += Batch)
    {
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync();
        await using var f = conn.CreateCommand();
        f.Transaction = tx;
        f.CommandText = "INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES ($f, $d, $k, $l, $c, 2)";
        var pf = f.Parameters.Add("$f", SqliteType.Integer);
        var pk = f.Parameters.Add("$k", SqliteType.Text);
        var pl = f.Parameters.Add("$l", SqliteType.Integer);
        f.Parameters.AddWithValue("$d", dmid);
        f.Parameters.AddWithValue("$c", classTwo);
        await using var o = conn.CreateCommand();
        o.Transaction = tx;
        o.CommandText = "INSERT INTO file_on (fid, devid) VALUES ($f, $v)";
        var of = o.Parameters.Add("$f", SqliteType.Integer);
        var ov = o.Parameters.Add("$v", SqliteType.Integer);
        f.Prepare();
        o.Prepare();
        for (long fid = start; fid <= Math.Min(lastFid, start + Batch - 1); fid++)
        {
            pf.Value = fid; pk.Value = Key(fid); pl.Value = Length(fid);
            f.ExecuteNonQuery();
            var (a, b) = Devices(fid);
            of.Value = fid; ov.Value = a; o.ExecuteNonQuery();
            ov.Value = b; o.ExecuteNonQuery();
        }
        await tx.CommitAsync();
        Progress(Math.Min(lastFid, start + Batch - 1) - firstFid + 1);
    }
}
else if (dsn.Kind == DatabaseKind.Postgres)
{
    await using var conn = new NpgsqlConnection(dsn.ToConnectionString(user, pass));
    await conn.OpenAsync();
    await using (var p = new NpgsqlCommand("SET synchronous_commit = off", conn)) await p.ExecuteNonQueryAsync();
    const int Batch = 1_000_000;
    var sb = new StringBuilder();
    for (long start = firstFid; start <= lastFid; start += Batch)
    {
        long end = Math.Min(lastFid, start + Batch - 1);
        await using (var w = await conn.BeginTextImportAsync("COPY file (fid, dmid, dkey, length, classid, devcount) FROM STDIN"))
        {
            for (long fid = start; fid <= end; fid++)
            {
                sb.Clear();
                sb.Append(inv, $"{fid}\t{dmid}\t{Key(fid)}\t{Length(fid)}\t{classTwo}\t2\n");
                await w.WriteAsync(sb);
            }
        }
        await using (var w = await conn.BeginTextImportAsync("COPY file_on (fid, devid) FROM STDIN"))
        {
            for (long fid = start; fid <= end; fid++)
            {
                var (a, b) = Devices(fid);
                sb.Clear();
                sb.Append(inv, $"{fid}\t{a}\n{fid}\t{b}\n");
                await w.WriteAsync(sb);
            }
        }
        Progress(end - firstFid + 1);
    }
    await using (var p = new NpgsqlCommand("ANALYZE file; ANALYZE file_on", conn)) await p.ExecuteNonQueryAsync();
}
else
{
    Console.Error.WriteLine("mogseed: SQLite and PostgreSQL only");
    return 2;
}
await store.RaiseFidSequenceAsync(lastFid, ct);
Console.WriteLine(string.Create(inv, $"# seeded fids {firstFid}..{lastFid} ({files} files, {2 * files} copies) in {sw.Elapsed.TotalSeconds:0.0} s ({files / Math.Max(0.001, sw.Elapsed.TotalSeconds):0} files/s)"));

if (real > 0 && docroots.Count > 0)
{
    sw.Restart();
    var body = new byte[size];
    Random.Shared.NextBytes(body);
    foreach (int dev in realDevs)
    {
        if (!docroots.TryGetValue(dev, out var root)) { Console.Error.WriteLine($"mogseed: no --docroot for device {dev}"); return 2; }
        for (long fid = firstReal; fid <= lastFid; fid++)
        {
            string path = root + StoragePaths.FidPath(dev, fid);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, body);
        }
    }
    Console.WriteLine(string.Create(inv, $"# wrote {real} real files of {size} bytes on devices {realDevs[0]} and {realDevs[1]} (fids {firstReal}..{lastFid}) in {sw.Elapsed.TotalSeconds:0.0} s"));
}
return 0;

void Progress(long done)
{
    if (done % 1_000_000 == 0 || done == files)
        Console.Error.WriteLine(string.Create(inv, $"# {done} files after {sw.Elapsed.TotalSeconds:0.0} s"));
}

static int[] Ints(string s) => s.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();

static string Usage() => """
    mogseed --dsn DBI:SQLite:dbname=F|DBI:Pg:... --files N [--dbuser U --dbpass P] [--domain loadtest]
            [--host1 1,2] [--host2 3,4] [--real K] [--real-devices 5,3] [--docroot DEV=DIR ...] [--size 1024]
    """;
