using System.Collections.Concurrent;
using MogileFS.TestSupport.Cluster;
using MogileFS.Store;
using MogileFS.TestSupport;
using MogileFS.Tracker;
using MogileFS.Tracker.Jobs;

namespace MogileFS.Jobs.Tests;

/// <summary>Several trackers on one database: one claim per row, crashed trackers' claims come back.</summary>
public sealed class MultiTrackerTests
{
    private sealed class CopyWatch
    {
        private readonly ConcurrentDictionary<long, int> _inFlight = new();
        public readonly ConcurrentBag<long> Overlaps = new();
        public int Copies;
        private readonly ConcurrentDictionary<TrackerHandle, int> _byTracker = new();
        public int CopiesBy(TrackerHandle t) => _byTracker.GetValueOrDefault(t);

        public void Attach(TestCluster c, TrackerHandle t)
        {
            var r = c.Jobs(t).Replicator;
            r.CopyStarting += (fid, _) =>
            {
                Interlocked.Increment(ref Copies);
                _byTracker.AddOrUpdate(t, 1, (_, n) => n + 1);
                if (_inFlight.AddOrUpdate(fid, 1, (_, n) => n + 1) > 1) Overlaps.Add(fid);
            };
            r.CopyFinished += (fid, _, _) => _inFlight.AddOrUpdate(fid, 0, (_, n) => n - 1);
        }
    }

    private static async Task RunSharedQueueAsync(DatabaseKind db, int files, bool crashOne)
    {
        await using var c = await TestCluster.StartAsync(ClusterOptions.ForJobs with
        {
            Database = db,
            Trackers = 2,
            Nodes = [new NodeSpec("h1", Net(db) + ".1", 1), new NodeSpec("h2", Net(db) + ".2", 2)],
        });
        var watch = new CopyWatch();
        foreach (var t in c.Trackers) watch.Attach(c, t);
        await c.SetupAsync("testdom", ("c2", 2, null));
        // both trackers work the queue: wait until each has claimed something before judging
        var fids = await c.SeedFilesAsync(files, 1024, "testdom", "c2", devid: 1);
        if (crashOne)
        {
            await TestCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 2") >= files / 4,
                TimeSpan.FromSeconds(60), "a quarter of the files copied");
            var victim = c.Trackers[1];
            var jobMaster = c.Jobs(victim).JobMaster;
            // Crash it at a moment it holds claims: it claims in batches and holds none between two.
            int victimCopies = 0, held = 0;
            for (var until = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < until; await Task.Delay(1))
            {
                held = jobMaster.Held;
                victimCopies = watch.CopiesBy(victim);
                if (held > 0 && victimCopies > 0) break;
            }
            await c.CrashTrackerAsync(victim);
            Assert.True(victimCopies > 0, "the crashed tracker had been copying");
            Assert.True(held > 0, "the crashed tracker held claims that must come back");
        }
        try
        {
            await TestCluster.WaitUntilAsync(async () => await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 2") == files
                                                         && await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate") == 0,
                TimeSpan.FromSeconds(90), "every file copied");
        }
        catch (TimeoutException e)
        {
            var live = c.Tracker;
            string state = $"copied={await c.CountAsync("SELECT COUNT(*) FROM file_on WHERE devid = 2")} queue={await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate")} " +
                           $"due={await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate WHERE nexttry <= " + Now(db))} " +
                           $"maxfail={await c.ScalarAsync("SELECT MAX(failcount) FROM file_to_replicate")} held={string.Join("/", c.Trackers.Select(t => JobHost.Of(t.Services)?.JobMaster.Held))} " +
                           $"rows={await c.ScalarAsync("SELECT MIN(fid) FROM file_to_replicate")}:{await c.ScalarAsync("SELECT MIN(nexttry) FROM file_to_replicate")}:{await c.ScalarAsync("SELECT MAX(nexttry) FROM file_to_replicate")} now={await c.ScalarAsync("SELECT " + Now(db))} " +
                           "counters=" + string.Join(",", live.Services.Jobs.Counters.Select(kv => kv.Key + "=" + kv.Value));
            throw new TimeoutException(e.Message + ": " + state + "\n" + c.Logs.Dump(30), e);
        }
        Assert.Empty(watch.Overlaps);
        foreach (var fid in fids)
        {
            Assert.Equal([1, 2], c.CopiesOnDisk(fid));
        }
        Assert.Equal((long)files, await c.CountAsync("SELECT COUNT(*) FROM file WHERE devcount = 2"));
        Assert.True(watch.Copies >= files, "copies counted");
    }

    private static string Net(DatabaseKind db) => db switch { DatabaseKind.Postgres => "127.0.26", DatabaseKind.MySql => "127.0.28", _ => "127.0.27" };

    private static string Now(DatabaseKind db) => db switch
    {
        DatabaseKind.Postgres => "EXTRACT(epoch FROM NOW())::int4",
        DatabaseKind.MySql => "UNIX_TIMESTAMP()",
        _ => "strftime('%s','now')",
    };

    [MariaDbFact]
    public Task TwoTrackersOnMySqlShare2000FilesAndSurviveOneCrashing() => RunSharedQueueAsync(DatabaseKind.MySql, 2000, crashOne: true);

    [MariaDbFact]
    public async Task NamedLocksExcludeAcrossStoresOnMySql() => await LocksExcludeAsync(DatabaseKind.MySql);

    [PostgresFact]
    public Task TwoTrackersOnPostgresShare2000FilesAndSurviveOneCrashing() => RunSharedQueueAsync(DatabaseKind.Postgres, 2000, crashOne: true);

    [Fact]
    public Task TwoTrackersOnOneSqliteFileDoNotGetInEachOthersWay() => RunSharedQueueAsync(DatabaseKind.Sqlite, 300, crashOne: false);

    [PostgresFact]
    public async Task NamedLocksExcludeAcrossStoresOnPostgres() => await LocksExcludeAsync(DatabaseKind.Postgres);

    [Fact]
    public async Task NamedLocksExcludeAcrossStoresOnSqlite() => await LocksExcludeAsync(DatabaseKind.Sqlite);

    private static async Task LocksExcludeAsync(DatabaseKind db)
    {
        await using var c = await TestCluster.StartAsync(ClusterOptions.ForJobs with { Database = db, Trackers = 0, Nodes = [] });
        await using var a = MetadataStore.Open(DatabaseDsn.Parse(c.Dsn), c.DbUser, c.DbPass);
        await using var b = MetadataStore.Open(DatabaseDsn.Parse(c.Dsn), c.DbUser, c.DbPass);
        try
        {
            var la = await a.TryLockAsync("mgfs:fid:7:replicate", TimeSpan.Zero, default);
            Assert.NotNull(la);
            Assert.Null(await b.TryLockAsync("mgfs:fid:7:replicate", TimeSpan.FromMilliseconds(300), default));
            Assert.Null(await a.TryLockAsync("mgfs:fid:7:replicate", TimeSpan.Zero, default)); // not re-entrant
            Assert.NotNull(await b.TryLockAsync("mgfs:fid:8:replicate", TimeSpan.Zero, default));
            await la!.DisposeAsync();
            var lb = await b.TryLockAsync("mgfs:fid:7:replicate", TimeSpan.FromSeconds(1), default);
            Assert.NotNull(lb);
            await lb!.DisposeAsync();
        }
        finally
        {
            await a.CloseLocksAsync();
            await b.CloseLocksAsync();
        }
    }

    [Theory]
    [InlineData("mgfs:device_update", 2065055674)]
    [InlineData("mgfs:fid:1:replicate", 637316723)]
    [InlineData("mgfs:tempfiles", 1303874143)]
    [InlineData("mgfs:reaper", 2048622148)]
    [InlineData("mgfs:fscksum", 534093149)]
    public void LockIdsAreThoseOf273(string name, int id) => Assert.Equal(id, MetadataStore.LockId(name));
}
