using MogileFS.Store;
using MogileFS.TestSupport;
using MySqlConnector;
using Xunit.Abstractions;

namespace MogileFS.Integration.Tests.Migration;

/// <summary>
/// A Perl tracker 2.73 and ours on one MySQL database (docs/migrating.md §2), without Perl: a second
/// connection does what a 2.73 tracker does on MySQL (lib/MogileFS/Store.pm grab_queue_chunk,
/// Store/MySQL.pm get_lock; the statements are written here from their description, not copied)
/// while our tracker runs on the database recorded from 2.73.
/// </summary>
[Collection("MariaDB")]
public sealed class MixedTrackerTests(ITestOutputHelper output)
{
    /// <summary>A 2.73 tracker's connection: named locks (GET_LOCK is per connection) and its claim.</summary>
    private sealed class PerlConnection(MySqlConnection c) : IAsyncDisposable
    {
        public static async Task<PerlConnection> OpenAsync(RecordedPerlSite site)
        {
            var c = site.Connect();
            await c.OpenAsync();
            return new PerlConnection(c);
        }

        public async Task<long?> ScalarAsync(string sql, MySqlTransaction? tx = null)
        {
            await using var cmd = new MySqlCommand(sql, c, tx);
            var v = await cmd.ExecuteScalarAsync();
            return v is null or DBNull ? null : Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture);
        }

        public async Task<bool> GetLockAsync(string name, int timeout) => await ScalarAsync($"SELECT GET_LOCK('{name}', {timeout})") == 1;

        public async Task ReleaseLockAsync(string name) => await ScalarAsync($"SELECT RELEASE_LOCK('{name}')");

        /// <summary>2.73's claim of due rows: lock mfsd:&lt;table&gt; (30 s), SELECT ... FOR UPDATE
        /// oldest first, nexttry = now + 1000, commit, unlock. Returns the fids claimed (null: no lock).</summary>
        public async Task<List<long>?> ClaimAsync(string table, int limit = 1000)
        {
            if (!await GetLockAsync("mfsd:" + table, 30)) return null;
            try
            {
                await using var tx = await c.BeginTransactionAsync();
                var fids = new List<long>();
                await using (var cmd = new MySqlCommand($"SELECT fid, nexttry, failcount FROM {table} WHERE nexttry <= UNIX_TIMESTAMP() ORDER BY nexttry LIMIT {limit} FOR UPDATE", c, tx))
                await using (var r = await cmd.ExecuteReaderAsync())
                    while (await r.ReadAsync()) fids.Add(Convert.ToInt64(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
                if (fids.Count > 0)
                {
                    await using var upd = new MySqlCommand($"UPDATE {table} SET nexttry = UNIX_TIMESTAMP() + 1000 WHERE fid IN ({string.Join(",", fids)})", c, tx);
                    await upd.ExecuteNonQueryAsync();
                }
                await tx.CommitAsync();
                return fids;
            }
            finally
            {
                await ReleaseLockAsync("mfsd:" + table);
            }
        }

        public ValueTask DisposeAsync() => c.DisposeAsync();
    }

    private static async Task<string> DevcountAsync(RecordedPerlSite site, string key) =>
        (await site.QueryOkAsync("file_info domain=photos&key=" + key))["devcount"];

    [MariaDbFact]
    public async Task While_a_perl_tracker_holds_the_queue_lock_ours_claims_nothing_and_claims_after_release()
    {
        await using var site = await RecordedPerlSite.CreateAsync();
        await using var perl = await PerlConnection.OpenAsync(site);
        await site.ExecAsync("UPDATE file_to_replicate SET nexttry = 0");
        Assert.True(await perl.GetLockAsync("mfsd:file_to_replicate", 0));

        await site.StartTrackerAsync(jobs: true);
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(3, await site.CountAsync("SELECT COUNT(*) FROM file_to_replicate WHERE nexttry = 0"));
        Assert.Equal("1", await DevcountAsync(site, "pending/replicate-me"));

        await perl.ReleaseLockAsync("mfsd:file_to_replicate");
        Assert.True(await RecordedPerlSite.EventuallyAsync(async () => await DevcountAsync(site, "pending/replicate-me") == "2"),
            "not replicated after the lock was released\n" + site.Logs.Dump(20));
    }

    [MariaDbFact]
    public async Task Rows_a_perl_tracker_claimed_are_left_to_it_and_ours_work_the_others()
    {
        await using var site = await RecordedPerlSite.CreateAsync();
        await using var perl = await PerlConnection.OpenAsync(site);
        await site.ExecAsync("UPDATE file_to_replicate SET nexttry = 0");
        // The Perl job master claims fid 32 only (pending/replicate-me), then dies holding it.
        await site.ExecAsync("UPDATE file_to_replicate SET nexttry = 1 WHERE fid <> 32");
        Assert.Equal(new long[] { 32 }, await perl.ClaimAsync("file_to_replicate", limit: 1));
        long claimedUntil = (await perl.ScalarAsync("SELECT nexttry FROM file_to_replicate WHERE fid = 32"))!.Value;

        await site.StartTrackerAsync(jobs: true);
        // Ours replicates a new file, and works 2.73's other queue rows (fid 34 is deleted: its row goes)...
        var open = await site.QueryOkAsync("create_open domain=photos&class=double&key=mixed/new&fid=0&multi_dest=1");
        using (var http = new HttpClient())
            (await http.PutAsync(open["path_1"], new ByteArrayContent([1, 2, 3]))).EnsureSuccessStatusCode();
        await site.QueryOkAsync($"create_close domain=photos&key=mixed/new&fid={open["fid"]}&devid={open["devid_1"]}&size=3&path={Uri.EscapeDataString(open["path_1"])}");
        Assert.True(await RecordedPerlSite.EventuallyAsync(async () => await DevcountAsync(site, "mixed/new") == "2"), site.Logs.Dump(20));
        Assert.True(await RecordedPerlSite.EventuallyAsync(async () => await site.CountAsync("SELECT COUNT(*) FROM file_to_replicate WHERE fid = 34") == 0));
        // ... but not fid 32, claimed by the (dead) Perl tracker for 1000 s, as a 2.73 tracker would.
        Assert.Equal("1", await DevcountAsync(site, "pending/replicate-me"));
        Assert.Equal(claimedUntil, await perl.ScalarAsync("SELECT nexttry FROM file_to_replicate WHERE fid = 32"));

        // When the claim runs out, ours takes it.
        await site.ExecAsync("UPDATE file_to_replicate SET nexttry = UNIX_TIMESTAMP() - 1 WHERE fid = 32");
        Assert.True(await RecordedPerlSite.EventuallyAsync(async () => await DevcountAsync(site, "pending/replicate-me") == "2"), site.Logs.Dump(20));
    }

    [MariaDbFact]
    public async Task A_fid_lock_held_by_a_perl_tracker_keeps_ours_off_that_fid()
    {
        await using var site = await RecordedPerlSite.CreateAsync();
        await using var perl = await PerlConnection.OpenAsync(site);
        await site.ExecAsync("UPDATE file_to_replicate SET nexttry = 0");
        // A 2.73 replicator is copying fid 32 (should_begin_replicating_fidid).
        Assert.True(await perl.GetLockAsync("mgfs:fid:32:replicate", 1));

        // A busy fid keeps its claim until the lease runs out (docs/jobs.md §4): a short lease here.
        await site.StartTrackerAsync(jobs: true, o => o.FileSettings = new Dictionary<string, string> { ["queue_claim_lease"] = "5" });
        // Ours works the rest of the queue meanwhile (fid 34's row goes: the file is deleted).
        Assert.True(await RecordedPerlSite.EventuallyAsync(async () => await site.CountAsync("SELECT COUNT(*) FROM file_to_replicate WHERE fid = 34") == 0), site.Logs.Dump(20));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal("1", await DevcountAsync(site, "pending/replicate-me"));
        Assert.Equal(1, await site.CountAsync("SELECT COUNT(*) FROM file_to_replicate WHERE fid = 32"));

        await perl.ReleaseLockAsync("mgfs:fid:32:replicate");
        Assert.True(await RecordedPerlSite.EventuallyAsync(async () => await DevcountAsync(site, "pending/replicate-me") == "2", 30),
            "not replicated after the fid lock was released\n" + site.Logs.Dump(20));
    }

    [MariaDbFact]
    public async Task Claims_of_ours_and_claims_of_2_73_never_overlap()
    {
        await using var site = await RecordedPerlSite.CreateAsync();
        await using var perl = await PerlConnection.OpenAsync(site);
        await using var store = MetadataStore.Open(DatabaseDsn.Parse(site.Dsn), MariaDbServer.User, MariaDbServer.Password);
        await site.ExecAsync("UPDATE file_to_replicate SET nexttry = 0; UPDATE file_to_queue SET nexttry = 0");

        // Ours claims the three replication rows: 2.73's claim finds nothing due.
        var ours = await store.ClaimQueueAsync(QueueTable.Replicate, 10, 60, CancellationToken.None);
        Assert.Equal(new long[] { 32, 33, 34 }, ours.Select(q => q.Fid).Order());
        Assert.Empty((await perl.ClaimAsync("file_to_replicate"))!);

        // 2.73 claims 10 of the 31 fsck rows: ours gets exactly the other 21.
        var theirs = (await perl.ClaimAsync("file_to_queue", limit: 10))!;
        Assert.Equal(10, theirs.Count);
        var rest = await store.ClaimQueueAsync(QueueTable.Fsck, 100, 60, CancellationToken.None);
        Assert.Equal(21, rest.Count);
        Assert.Empty(rest.Select(q => q.Fid).Intersect(theirs));

        // While 2.73 holds mfsd:file_to_delete2, our claim returns nothing rather than overlapping.
        await site.ExecAsync("UPDATE file_to_delete2 SET nexttry = 0");
        Assert.True(await perl.GetLockAsync("mfsd:file_to_delete2", 0));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Empty(await store.ClaimQueueAsync(QueueTable.Delete, 10, 60, CancellationToken.None));
        output.WriteLine($"our claim gave up on the held mfsd:file_to_delete2 after {sw.ElapsedMilliseconds} ms");
        await perl.ReleaseLockAsync("mfsd:file_to_delete2");
        Assert.Equal(new long[] { 34 }, (await store.ClaimQueueAsync(QueueTable.Delete, 10, 60, CancellationToken.None)).Select(q => q.Fid));
    }
}
