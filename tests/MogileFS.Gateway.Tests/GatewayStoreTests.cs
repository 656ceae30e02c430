using System.Data.Common;
using MogileFS.Core.Protocol;
using MogileFS.Gateway.Store;
using MogileFS.Store;
using MogileFS.TestSupport;
using MogileFS.TestSupport.Cluster;

namespace MogileFS.Gateway.Tests;

/// <summary>The gateway's tables and queries on each database, against a fresh 2.73 schema.</summary>
public class GatewayStoreTests
{
    [Fact] public Task Sqlite() => RunAsync(DatabaseKind.Sqlite);
    [PostgresFact] public Task Postgres() => RunAsync(DatabaseKind.Postgres);
    [MariaDbFact] public Task MySql() => RunAsync(DatabaseKind.MySql);

    private static async Task RunAsync(DatabaseKind kind)
    {
        using var dir = new TempDirectory();
        await using var db = await TestDatabase.CreateAsync(kind, dir.Path);
        await using var store = new GatewayStore(MetadataStore.Open(DatabaseDsn.Parse(db.Dsn), db.User, db.Password));
        await store.EnsureSchemaAsync(default);
        await store.EnsureSchemaAsync(default); // idempotent: every gateway runs it at start

        await using (var c = await db.OpenAsync())
        {
            await Exec(c, "INSERT INTO domain (dmid, namespace) VALUES (1, 'photos')");
            await Exec(c, "INSERT INTO domain (dmid, namespace) VALUES (2, 'other')");
            int fid = 10;
            foreach (var key in new[] { "b/2", "a", "é/x", "b/1", "z", "b/10" })
                await Exec(c, $"INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES ({fid++}, 1, @k, 100, 0, 1)", ("@k", key));
            await Exec(c, "INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (99, 2, 'a', 5, 0, 1)");
        }

        Assert.Equal(1, await store.DomainIdAsync("photos", default));
        Assert.Null(await store.DomainIdAsync("nope", default));
        Assert.True(await store.DomainHasFilesAsync(1, default));
        Assert.False(await store.DomainHasFilesAsync(3, default));

        // A file without a row; then its row; a row of another fid under the same key is ignored.
        var e = await store.FindObjectAsync(1, "a", default);
        Assert.NotNull(e);
        Assert.Equal(11, e.Fid);
        Assert.Null(e.Meta);
        var meta = new ObjectMeta(11, 100, "0123456789abcdef0123456789abcdef", "text/plän", "{\"x-amz-meta-k\":\"välue\"}", 1_700_000_000_123, 0);
        await store.PutObjectMetaAsync(1, "a", meta, default);
        await store.PutObjectMetaAsync(1, "a", meta with { Fid = 5000, ETag = "stale" }, default);
        e = await store.FindObjectAsync(1, "a", default);
        Assert.Equal(meta, e!.Meta);
        Assert.Null((await store.FindObjectAsync(2, "a", default))!.Meta);

        // Adoption never overwrites.
        await store.AdoptAsync(1, "a", meta with { ETag = "adopted" }, default);
        Assert.Equal(meta.ETag, (await store.FindObjectAsync(1, "a", default))!.Meta!.ETag);

        // Byte order (UTF-8 bytes), inclusive and exclusive starts, non-ASCII keys.
        var all = await store.ListFromAsync(1, "", false, 100, default);
        Assert.Equal(["a", "b/1", "b/10", "b/2", "z", "é/x"], all.Select(r => r.Entry.Key).ToList());
        Assert.Equal(ByteString.FromText("é/x"), all[^1].KeyBytes);
        var from = await store.ListFromAsync(1, "b/10", true, 2, default);
        Assert.Equal(["b/2", "z"], from.Select(r => r.Entry.Key).ToList());
        from = await store.ListFromAsync(1, "b/10", false, 1, default);
        Assert.Equal("b/10", Assert.Single(from).Entry.Key);
        from = await store.ListFromAsync(1, ByteString.FromText("é"), false, 10, default);
        Assert.Equal("é/x", Assert.Single(from).Entry.Key);

        // Stale rows go: per key, and by the sweeper (only when old enough).
        Assert.Equal(1, await store.DropStaleRowsAsync(1, "a", default));
        await store.PutObjectMetaAsync(1, "gone", meta with { Fid = 6000 }, default);
        Assert.Equal(0, await store.SweepAsync(1_700_000_000_000, default));
        Assert.Equal(1, await store.SweepAsync(1_800_000_000_000, default));
        Assert.Equal(meta, (await store.FindObjectAsync(1, "a", default))!.Meta);

        // Buckets: creation times.
        await store.SetBucketCreatedAsync("photos", 1_600_000_000_000, default);
        await store.SetBucketCreatedAsync("photos", 1_600_000_000_001, default);
        var domains = await store.ListDomainsAsync(default);
        Assert.Equal([("other", (long?)null), ("photos", 1_600_000_000_001)], domains);
        await store.ForgetBucketAsync("photos", default);
        Assert.Null((await store.ListDomainsAsync(default)).Single(d => d.Name == "photos").CreatedMs);
    }

    private static async Task Exec(DbConnection c, string sql, params (string Name, object Value)[] ps)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in ps)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = n;
            p.Value = v;
            cmd.Parameters.Add(p);
        }
        await cmd.ExecuteNonQueryAsync();
    }
}
