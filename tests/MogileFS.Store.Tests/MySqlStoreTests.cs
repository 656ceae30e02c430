using System.Data.Common;
using MogileFS.Core.Protocol;
using MogileFS.Store.Schema;
using MogileFS.TestSupport;
using MySqlConnector;

namespace MogileFS.Store.Tests;

/// <summary>
/// What 2.73's MySQL store does that callers (and Perl trackers on the same database) can see:
/// duplicate keys (1062) as <c>dup</c>, GET_LOCK named locks under 2.73's names, queue claims under
/// 2.73's <c>mfsd:&lt;table&gt;</c> lock, list_keys in the column's collation, keys stored as the
/// Perl tracker's utf8mb4 connection stores them, the fid counter after explicit fids.
/// </summary>
public sealed class MySqlStoreTests
{
    private static async Task<(MariaDbServer Server, string Db, MetadataStore Store)> NewStoreAsync()
    {
        var s = await MariaDbServer.GetSharedAsync();
        var dsn = DatabaseDsn.Parse(await s.CreateDatabaseAsync());
        await SchemaInstaller.InstallAsync(dsn, MariaDbServer.User, MariaDbServer.Password);
        return (s, dsn.Database!, MetadataStore.Open(dsn, MariaDbServer.User, MariaDbServer.Password));
    }

    private static async Task<MySqlConnection> OpenAsync(MariaDbServer s, string db)
    {
        var c = new MySqlConnection(s.AdminConnectionString(db));
        await c.OpenAsync();
        return c;
    }

    private static async Task<object?> ScalarAsync(MySqlConnection c, string sql)
    {
        await using var cmd = new MySqlCommand(sql, c);
        var v = await cmd.ExecuteScalarAsync();
        return v is DBNull ? null : v;
    }

    [MariaDbFact]
    public async Task Duplicate_keys_are_dup_errors_and_insert_if_absent_is_silent()
    {
        var (_, _, store) = await NewStoreAsync();
        await using var _s = store;
        Assert.Equal(1, await store.CreateDomainAsync("d", default));
        var e = await Assert.ThrowsAnyAsync<DbException>(() => store.WriteAsync(static async (s, ct) =>
            await s.Sql("INSERT INTO domain (dmid, namespace) VALUES (2, CAST(@n AS TEXT))").Text("@n", "d").ExecuteAsync(ct), default).AsTask());
        Assert.True(store.IsDuplicateKey(e));
        Assert.Equal(1062, ((MySqlException)e).Number);
        // Enqueueing twice leaves one row (INSERT IGNORE).
        await store.EnqueueReplicationAsync(7, 0, default);
        await store.EnqueueReplicationAsync(7, 0, default);
        Assert.Equal(1, await store.CountQueueAsync(QueueTable.Replicate, dueOnly: false, default));
    }

    [MariaDbFact]
    public async Task Queue_claims_take_the_mfsd_lock_of_273_and_release_it_after_the_commit()
    {
        var (s, db, store) = await NewStoreAsync();
        await using var _s = store;
        for (long fid = 1; fid <= 5; fid++) await store.EnqueueReplicationAsync(fid, 0, default);
        await using var perl = await OpenAsync(s, db);
        // A Perl tracker in the middle of its claim holds mfsd:file_to_replicate: we claim nothing.
        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync(perl, "SELECT GET_LOCK('mfsd:file_to_replicate', 0)")));
        Assert.Empty(await store.ClaimQueueAsync(QueueTable.Replicate, 3, 600, default));
        await ScalarAsync(perl, "SELECT RELEASE_LOCK('mfsd:file_to_replicate')");
        var claimed = await store.ClaimQueueAsync(QueueTable.Replicate, 3, 600, default);
        Assert.Equal([1L, 2L, 3L], claimed.Select(c => c.Fid));
        long now = Convert.ToInt64(await ScalarAsync(perl, "SELECT UNIX_TIMESTAMP()"));
        Assert.All(claimed, c => Assert.InRange(c.ClaimedUntil, now + 590, now + 610));
        Assert.Equal(2L, Convert.ToInt64(await ScalarAsync(perl, "SELECT COUNT(*) FROM file_to_replicate WHERE nexttry <= UNIX_TIMESTAMP()")));
        // The lock is free again once the claim committed.
        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync(perl, "SELECT IS_FREE_LOCK('mfsd:file_to_replicate')")));
        // Renewal and release only touch rows that still carry the claim.
        var (until, renewed) = await store.RenewClaimsAsync(QueueTable.Replicate, [1, 2, 4], claimed[0].ClaimedUntil, 900, default);
        Assert.Equal([1L, 2L], renewed.Order());
        Assert.InRange(until, now + 890, now + 910);
        Assert.Equal(1, await store.ReleaseClaimsAsync(QueueTable.Replicate, [1, 3], until, default));
    }

    [MariaDbFact]
    public async Task Named_locks_are_GET_LOCKs_under_the_names_273_uses()
    {
        var (s, db, store) = await NewStoreAsync();
        await using var _s = store;
        await using var perl = await OpenAsync(s, db);
        var mine = await store.TryLockAsync("mgfs:fid:7:replicate", TimeSpan.Zero, default);
        Assert.NotNull(mine);
        Assert.NotNull(await ScalarAsync(perl, "SELECT IS_USED_LOCK('mgfs:fid:7:replicate')"));
        Assert.Equal(0L, Convert.ToInt64(await ScalarAsync(perl, "SELECT GET_LOCK('mgfs:fid:7:replicate', 0)")));
        await mine!.DisposeAsync();
        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync(perl, "SELECT GET_LOCK('mgfs:fid:7:replicate', 0)")));
        Assert.Null(await store.TryLockAsync("mgfs:fid:7:replicate", TimeSpan.FromMilliseconds(200), default));
        await ScalarAsync(perl, "SELECT RELEASE_LOCK('mgfs:fid:7:replicate')");
        await store.CloseLocksAsync();
    }

    [MariaDbFact]
    public async Task List_keys_is_case_insensitive_in_the_column_collation_unless_asked()
    {
        var (_, _, store) = await NewStoreAsync();
        await using var _s = store;
        int dmid = await store.CreateDomainAsync("d", default);
        await store.WriteAsync(async (s, ct) =>
        {
            long fid = 1;
            foreach (var k in new[] { "LIST/upper", "list/a", "list/b", "list/c", "list_x" })
                await s.Sql("INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (@f, @d, CAST(@k AS TEXT), 1, 0, 1)")
                    .Int("@f", fid++).Int("@d", dmid).Text("@k", k).ExecuteAsync(ct);
        }, default);
        Assert.Equal(["list/a", "list/b", "list/c", "LIST/upper"], await store.ListKeysAsync(dmid, "list/%", "", 10, caseSensitive: false, default));
        Assert.Equal(["list/c", "LIST/upper"], await store.ListKeysAsync(dmid, "LIST/%", "list/b", 10, caseSensitive: false, default));
        Assert.Equal(["LIST/upper"], await store.ListKeysAsync(dmid, "LIST/%", "", 10, caseSensitive: true, default));
        Assert.Equal(["list_x"], await store.ListKeysAsync(dmid, "list\\_%", "", 10, caseSensitive: false, default));
    }

    [MariaDbFact]
    public async Task Keys_are_stored_as_the_Perl_tracker_stores_them_and_fids_follow_explicit_ones()
    {
        var (s, db, store) = await NewStoreAsync();
        await using var _s = store;
        await using var perl = await OpenAsync(s, db);
        string key = ByteString.FromBytes("sp ace/\u00e9"u8); // the UTF-8 bytes a client sends
        long fid = await store.RegisterTempfileAsync(5000, 1, key, 0, "1,2", 0, default);
        Assert.Equal(5000, fid);
        // DBD::mysql's utf8mb4 connection into a latin1 column: é is the one latin1 byte E9.
        Assert.Equal("7370206163652fe9",
            Convert.ToHexString((byte[])(await ScalarAsync(perl, "SELECT CAST(dkey AS BINARY) FROM tempfile WHERE fid = 5000"))!).ToLowerInvariant());
        Assert.Equal(key, (await store.GetTempfileAsync(5000, default))!.Key);
        Assert.Equal(5001, await store.RegisterTempfileAsync(null, 1, "next", 0, "1", 0, default));
        var taken = await store.TakeTempfileAsync(5000, default);
        Assert.Equal(key, taken!.Key);
        Assert.Null(await store.TakeTempfileAsync(5000, default));
        // Bytes that are not UTF-8 cannot be stored (2.73's connection refuses them too).
        var ex = await Assert.ThrowsAsync<CommandException>(() => store.RegisterTempfileAsync(null, 1, ByteString.FromBytes([0x80, 0xff]), 0, "1", 0, default).AsTask());
        Assert.Equal("failure", ex.Code);
        // Behind the file table: the next automatic fid skips past it.
        await ScalarAsync(perl, "INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (9000, 1, 'f', 1, 0, 0)");
        Assert.Equal(9001, await store.RegisterTempfileAsync(null, 1, "after", 0, "1", 9000, default));
    }
}
