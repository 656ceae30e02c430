using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using MogileFS.Store;
using MogileFS.Store.Schema;

namespace MogileFS.Benchmarks;

/// <summary>
/// Reading list_keys' 100 keys from SQLite (docs/performance.md, "Tracker commands and list_keys"):
/// through Microsoft.Data.Sqlite into strings (the generic path, as PostgreSQL and MySQL still read)
/// and through the SQLite store's own reader into a KeyList. 2,000 keys "load/000000".."load/001999"
/// in one domain, as bench/tracker prepares them; each call starts after a key in the middle.
/// </summary>
[MemoryDiagnoser]
public class ListKeysBenchmarks
{
    private string _dir = null!;
    private SqliteMetadataStore _store = null!;
    private readonly KeyList _keys = new();

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("mogbench-listkeys").FullName;
        string file = Path.Combine(_dir, "db.sqlite");
        SchemaInstaller.InstallAsync(DatabaseDsn.Parse("DBI:SQLite:" + file), null, null).GetAwaiter().GetResult();
        using (var c = new SqliteConnection("Data Source=" + file))
        {
            c.Open();
            using var t = c.BeginTransaction();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES ($f, 1, $k, 1024, 0, 2)";
            var f = cmd.Parameters.Add("$f", SqliteType.Integer);
            var k = cmd.Parameters.Add("$k", SqliteType.Text);
            for (int i = 0; i < 2000; i++)
            {
                f.Value = i + 1;
                k.Value = $"load/{i:D6}";
                cmd.ExecuteNonQuery();
            }
            t.Commit();
        }
        _store = new SqliteMetadataStore(file);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_dir, true);
    }

    [Benchmark(Baseline = true)]
    public async Task<int> Strings() =>
        (await _store.ListKeysAsync(1, "load/%", "load/000900", 100, false, default)).Count;

    [Benchmark]
    public async Task<int> KeyList()
    {
        await _store.ListKeysAsync(1, "load/%", "load/000900", 100, false, _keys, default);
        return _keys.Count;
    }
}
