using System.Security.Cryptography;
using System.Text;
using MogileFS.Fsck.Tests.Support;
using MogileFS.TestSupport.Cluster;
using MogileFS.Store;
using MogileFS.TestSupport;

namespace MogileFS.Fsck.Tests;

/// <summary>
/// fsck with real trackers and storage nodes on loopback: every fault is made on disk or in the
/// database, one fsck run finds them all, the log carries 2.73's event codes, and the repairs happen
/// (replication brings missing, truncated and bit-rotted copies back from a good copy).
/// </summary>
public sealed class FsckTests
{
    private static ClusterOptions Cluster(DatabaseKind db, string net) => ClusterOptions.ForJobs with
    {
        Database = db,
        Nodes = [new NodeSpec("h1", net + ".1", 1, 2), new NodeSpec("h2", net + ".2", 3, 4), new NodeSpec("h3", net + ".3", 5)],
    };

    private static byte[] Content(string name, int size = 3000)
    {
        var b = new byte[size];
        new Random(name.GetHashCode(StringComparison.Ordinal)).NextBytes(b);
        return b;
    }

    [Fact]
    public Task EveryFaultIsFoundLoggedAndRepaired_Sqlite() => EveryFaultAsync(DatabaseKind.Sqlite, "127.0.50");

    [MariaDbFact]
    public Task EveryFaultIsFoundLoggedAndRepaired_MySql() => EveryFaultAsync(DatabaseKind.MySql, "127.0.151");

    [PostgresFact]
    public Task EveryFaultIsFoundLoggedAndRepaired_Postgres() => EveryFaultAsync(DatabaseKind.Postgres, "127.0.51");

    private static async Task EveryFaultAsync(DatabaseKind db, string net)
    {
        await using var c = await TestCluster.StartAsync(Cluster(db, net));
        await c.SetupAsync("d", ("c2", 2, null), ("c1", 1, null), ("grow", 1, null));
        await c.QueryOkAsync("create_class domain=d&class=md5c&mindevcount=2&hashtype=MD5");
        await c.Tracker.Services.Metadata.ReloadAsync(default);

        var files = new Dictionary<string, (long Fid, byte[] Data)>();
        async Task Put(string key, string cls, bool sum = false)
        {
            var data = Content(key);
            long fid = sum ? await c.StoreWithChecksumAsync("d", key, data, cls) : await c.StoreFileAsync("d", key, data, cls);
            files[key] = (fid, data);
        }
        await Put("ok", "c2");
        await Put("miss", "c2");
        await Put("blen", "c2");
        await Put("gone", "c2");
        await Put("bcnt", "c2");
        await Put("msum", "c2");
        await Put("rot", "md5c", sum: true);
        await Put("nsum", "md5c", sum: true);
        await Put("nopa", "c1");
        await Put("moved", "c1");
        await Put("povi", "grow");
        foreach (var (key, (fid, data)) in files)
            await c.WaitHealthyAsync(fid, key is "nopa" or "povi" or "moved" ? 1 : 2, data);

        // The faults.
        var miss = await c.DevidsOfAsync(files["miss"].Fid);
        File.Delete(c.FileOnDisk(files["miss"].Fid, miss[0]));
        var blen = await c.DevidsOfAsync(files["blen"].Fid);
        await File.WriteAllBytesAsync(c.FileOnDisk(files["blen"].Fid, blen[1]), files["blen"].Data[..100]);
        var rot = await c.DevidsOfAsync(files["rot"].Fid);
        var rotted = (byte[])files["rot"].Data.Clone();
        rotted[1234] ^= 0x40;
        await File.WriteAllBytesAsync(c.FileOnDisk(files["rot"].Fid, rot[0]), rotted);
        var msum = await c.DevidsOfAsync(files["msum"].Fid);
        await File.WriteAllBytesAsync(c.FileOnDisk(files["msum"].Fid, msum[1]), Content("other"));
        foreach (int d in await c.DevidsOfAsync(files["gone"].Fid)) File.Delete(c.FileOnDisk(files["gone"].Fid, d));
        await c.ExecuteAsync("DELETE FROM checksum WHERE fid = @f", ("@f", files["nsum"].Fid));
        await c.ExecuteAsync("UPDATE file SET devcount = 13 WHERE fid = @f", ("@f", files["bcnt"].Fid));
        // The only copy moved to another device behind the tracker's back.
        var movedFrom = (await c.DevidsOfAsync(files["moved"].Fid)).Single();
        int movedTo = movedFrom == 5 ? 1 : 5;
        Directory.CreateDirectory(Path.GetDirectoryName(c.FileOnDisk(files["moved"].Fid, movedTo))!);
        File.Move(c.FileOnDisk(files["moved"].Fid, movedFrom), c.FileOnDisk(files["moved"].Fid, movedTo));
        var nopaDev = (await c.DevidsOfAsync(files["nopa"].Fid)).Single();
        await c.ExecuteAsync("DELETE FROM file_on WHERE fid = @f", ("@f", files["nopa"].Fid));
        await c.ExecuteAsync("UPDATE class SET mindevcount = 2 WHERE classname = 'grow'");
        await c.Tracker.Services.Metadata.ReloadAsync(default);
        await c.QueryOkAsync("set_server_setting key=fsck_checksum&value=MD5");

        var status0 = await c.QueryOkAsync("fsck_status");
        Assert.Equal("0", status0["running"]);
        await c.RunFsckAsync();

        Assert.Empty(await c.EventsOfAsync(files["ok"].Fid));
        var log = await c.FsckLogAsync();
        Assert.Equal([("MISS", (int?)miss[0]), ("REPL", null)], log.Where(e => e.Fid == files["miss"].Fid).Select(e => (e.Code, e.DevId)));
        Assert.Equal([("BLEN", (int?)blen[1]), ("REPL", null)], log.Where(e => e.Fid == files["blen"].Fid).Select(e => (e.Code, e.DevId)));
        // A copy that disagrees with the stored checksum is forgotten; fsck logs only the REPL (as 2.73).
        Assert.Equal([("REPL", (int?)null)], log.Where(e => e.Fid == files["rot"].Fid).Select(e => (e.Code, e.DevId)));
        Assert.Equal(["NSUM"], await c.EventsOfAsync(files["nsum"].Fid));
        Assert.Equal(["BCNT"], await c.EventsOfAsync(files["bcnt"].Fid));
        Assert.Equal(["MSUM"], await c.EventsOfAsync(files["msum"].Fid));
        Assert.Equal(["MISS", "MISS", "SRCH", "GONE"], await c.EventsOfAsync(files["gone"].Fid));
        Assert.Equal(["NOPA", "SRCH", "FOND"], await c.EventsOfAsync(files["nopa"].Fid));
        // 2.73 recounts when it notes the found copy, before it forgets the missing one: BCNT follows.
        Assert.Equal(["MISS", "SRCH", "FOND", "BCNT"], await c.EventsOfAsync(files["moved"].Fid));
        Assert.Equal(["POVI", "REPL"], await c.EventsOfAsync(files["povi"].Fid));

        // Repairs: copies come back from the good one, with the right bytes.
        await c.WaitHealthyAsync(files["miss"].Fid, 2, files["miss"].Data);
        await c.WaitHealthyAsync(files["blen"].Fid, 2, files["blen"].Data);
        await c.WaitHealthyAsync(files["rot"].Fid, 2, files["rot"].Data);
        await c.WaitHealthyAsync(files["povi"].Fid, 2, files["povi"].Data);
        Assert.Equal([nopaDev], await c.DevidsOfAsync(files["nopa"].Fid));
        Assert.Equal([movedTo], await c.DevidsOfAsync(files["moved"].Fid));
        Assert.Equal(1L, await c.CountAsync("SELECT devcount FROM file WHERE fid = @f", ("@f", files["moved"].Fid)));
        Assert.Equal(2L, await c.CountAsync("SELECT devcount FROM file WHERE fid = @f", ("@f", files["bcnt"].Fid)));
        Assert.Equal(0L, await c.CountAsync("SELECT devcount FROM file WHERE fid = @f", ("@f", files["gone"].Fid)));
        Assert.Empty(await c.DevidsOfAsync(files["gone"].Fid));
        var info = await c.QueryOkAsync("file_info domain=d&key=nsum");
        Assert.Equal("MD5:" + Convert.ToHexStringLower(MD5.HashData(files["nsum"].Data)), info["checksum"]);
        var rotInfo = await c.QueryOkAsync("file_info domain=d&key=rot");
        Assert.Equal("MD5:" + Convert.ToHexStringLower(MD5.HashData(files["rot"].Data)), rotInfo["checksum"]);
        var paths = await c.QueryOkAsync("get_paths domain=d&key=gone&noverify=1");
        Assert.Equal("0", paths["paths"]);

        // fsck_status sums the log; fsck_getlog pages through it.
        var status = await c.QueryOkAsync("fsck_status");
        Assert.Equal("0", status["running"]);
        Assert.Equal("", status["host"]);
        Assert.NotEqual("0", status["stop_time"]);
        foreach (var g in log.GroupBy(e => e.Code))
            Assert.Equal(g.Count().ToString(System.Globalization.CultureInfo.InvariantCulture), status["num_" + g.Key]);
        var getlog = await c.QueryOkAsync("fsck_getlog");
        Assert.Equal(log.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), getlog["row_count"]);
        Assert.Equal("GONE", getlog.First(kv => kv.Value == "GONE").Value);
        var after = await c.QueryOkAsync("fsck_getlog after_logid=" + getlog["row_1_logid"]);
        Assert.Equal((log.Count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), after["row_count"]);
    }

    [Fact]
    public async Task ClassModeChecksChecksumClassesAndSizes_AndStartsOnlyAfterTheInjectionDelay()
    {
        await using var c = await TestCluster.StartAsync(Cluster(DatabaseKind.Sqlite, "127.0.52"));
        await c.SetupAsync("d", ("c2", 2, null));
        await c.QueryOkAsync("create_class domain=d&class=md5c&mindevcount=2&hashtype=MD5");
        await c.Tracker.Services.Metadata.ReloadAsync(default);
        var ok = Content("ok");
        long okFid = await c.StoreFileAsync("d", "ok", ok, "c2");
        var rot = Content("rot");
        long rotFid = await c.StoreWithChecksumAsync("d", "rot", rot, "md5c");
        await c.WaitHealthyAsync(okFid, 2, ok);
        await c.WaitHealthyAsync(rotFid, 2, rot);
        var devs = await c.DevidsOfAsync(rotFid);
        var bad = (byte[])rot.Clone();
        bad[0] ^= 1;
        await File.WriteAllBytesAsync(c.FileOnDisk(rotFid, devs[1]), bad);

        // 2.73 timing that clients rely on (jobs.md §11.3): nothing is queued or logged right after fsck_start.
        await c.QueryOkAsync("fsck_start");
        Assert.Equal(0L, await c.CountAsync("SELECT COUNT(*) FROM file_to_queue WHERE type = 1"));
        Assert.Equal("0", (await c.QueryOkAsync("fsck_getlog"))["row_count"]);
        Assert.Equal("ERR fsck_running fsck+is+already+running", (await c.QueryAsync("fsck_start")).TrimEnd());
        await c.WaitFsckIdleAsync();

        Assert.Empty(await c.EventsOfAsync(okFid));
        Assert.Equal(["REPL"], await c.EventsOfAsync(rotFid)); // 2.73 logs only the re-replication
        await c.WaitHealthyAsync(rotFid, 2, rot);
    }

    [Fact]
    public async Task ScopeLimitsARunToOneClass()
    {
        await using var c = await TestCluster.StartAsync(Cluster(DatabaseKind.Sqlite, "127.0.53"));
        await c.SetupAsync("d", ("a", 2, null), ("b", 2, null));
        var da = Content("a");
        var db = Content("b");
        long fa = await c.StoreFileAsync("d", "fa", da, "a");
        long fb = await c.StoreFileAsync("d", "fb", db, "b");
        await c.WaitHealthyAsync(fa, 2, da);
        await c.WaitHealthyAsync(fb, 2, db);
        foreach (var fid in new[] { fa, fb }) await c.ExecuteAsync("UPDATE file SET devcount = 7 WHERE fid = @f", ("@f", fid));

        Assert.Equal("unreg_domain", (await c.QueryAsync("fsck_scope domain=nope")).Split(' ')[1]);
        var scope = await c.QueryOkAsync("fsck_scope domain=d&class=b");
        Assert.Equal("d", scope["domain"]);
        Assert.Equal("b", scope["class"]);
        await c.RunFsckAsync();
        Assert.Empty(await c.EventsOfAsync(fa));
        Assert.Equal(["BCNT"], await c.EventsOfAsync(fb));
        Assert.Equal(7L, await c.CountAsync("SELECT devcount FROM file WHERE fid = @f", ("@f", fa)));

        var cleared = await c.QueryOkAsync("fsck_scope clear=1");
        Assert.Equal("", cleared["domain"]);
        // As 2.73, fsck_start after a finished run only checks files added since; fsck_reset starts over.
        await c.QueryOkAsync("fsck_reset");
        await c.RunFsckAsync();
        Assert.Equal(["BCNT"], await c.EventsOfAsync(fa));
    }

    [Fact]
    public async Task ChecksumsAreVerifiedOnCreateClose_RecordedAndShown()
    {
        await using var c = await TestCluster.StartAsync(Cluster(DatabaseKind.Sqlite, "127.0.54"));
        await c.SetupAsync("d");
        await c.QueryOkAsync("create_class domain=d&class=md5c&mindevcount=2&hashtype=MD5");
        await c.Tracker.Services.Metadata.ReloadAsync(default);
        var data = Encoding.ASCII.GetBytes("checksummed content");
        var wrong = "MD5:" + new string('0', 32);
        var e = await Assert.ThrowsAsync<CreateCloseException>(() => c.StoreWithChecksumAsync("d", "k", data, "md5c", verify: true, checksumOverride: wrong));
        Assert.StartsWith("ERR checksum_mismatch ", e.Reply);
        Assert.Equal("ERR unknown_key unknown_key", (await c.QueryAsync("file_info domain=d&key=k")).TrimEnd());

        long fid = await c.StoreWithChecksumAsync("d", "k", data, "md5c", verify: true);
        string want = "MD5:" + Convert.ToHexStringLower(MD5.HashData(data));
        Assert.Equal(want, (await c.QueryOkAsync("file_info domain=d&key=k"))["checksum"]);
        Assert.Equal(want, (await c.QueryOkAsync("file_debug fid=" + fid))["checksum"]);
        // Replication keeps it and every copy matches it.
        await c.WaitHealthyAsync(fid, 2, data);
        Assert.Equal(want, (await c.QueryOkAsync("file_info domain=d&key=k"))["checksum"]);
    }
}
