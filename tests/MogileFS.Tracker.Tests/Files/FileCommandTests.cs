using System.Text;
using MogileFS.TestSupport;

namespace MogileFS.Tracker.Tests.Files;

/// <summary>The file, fsck and rebalance commands against the transcripts' error paths (T07-T17, T20-T23).</summary>
public abstract class FileCommandTests
{
    protected abstract Task<FileCommandHarness> CreateAsync();
    /// <summary>SQLite: list_keys prefixes match ASCII case-insensitively and fids are 64-bit; PostgreSQL: case-sensitive LIKE and a 32-bit tempfile.fid (as 2.73 on PostgreSQL).</summary>
    protected virtual bool IsSqlite => true;

    /// <summary>MySQL (2.73 too): list_keys matches case-insensitively and orders in the column's collation.</summary>
    protected virtual bool IsMySql => false;

    private static Dictionary<string, string> P(string r) => FileCommandHarness.Pairs(r);

    /// <summary>create_open + PUT + create_close like MogileFS::Client; returns the fid.</summary>
    private static async Task<long> StoreAsync(FileCommandHarness h, string key, string body, string cls = "one", string extra = "")
    {
        var o = P(await h.RunAsync($"create_open domain=testdom&key={key}&class={cls}&fid=0"));
        int devid = int.Parse(o["devid"]);
        var path = o["path"];
        FidPathsTestUtil.Put(h.NodeFor(devid), path, body);
        var r = await h.RunAsync($"create_close fid={o["fid"]}&devid={devid}&domain=testdom&size={Encoding.UTF8.GetByteCount(body)}&key={key}&path={path}{extra}");
        Assert.Equal("OK ", r);
        return long.Parse(o["fid"]);
    }

    [Fact]
    public async Task Create_open_errors_and_replies()
    {
        await using var h = await CreateAsync();
        Assert.Equal("ERR no_domain No+domain+provided", await h.RunAsync("create_open"));
        Assert.Equal("ERR unreg_domain Domain+name+invalid/not+found", await h.RunAsync("create_open domain=nodom&key=x"));
        Assert.Equal("ERR unreg_class unreg_class", await h.RunAsync("create_open domain=testdom&key=x&class=nosuchclass"));
        var one = P(await h.RunAsync("create_open domain=testdom&key=open/single&class=c1"));
        Assert.Equal("1", one["fid"]);
        Assert.Matches(@"^http://127\.0\.0\.[12]:\d+/dev[1-4]/0/000/000/0000000001\.fid$", one["path"]);
        var multi = P(await h.RunAsync("create_open domain=testdom&class=c1&key=open/multi&fid=0&multi_dest=1"));
        Assert.Equal("2", multi["fid"]);
        Assert.Equal("2", multi["dev_count"]); // one device per host (2.73 quirk Q8 not copied)
        Assert.NotEqual(int.Parse(multi["devid_1"]) <= 2, int.Parse(multi["devid_2"]) <= 2);
        Assert.Equal("3", P(await h.RunAsync("create_open domain=testdom"))["fid"]);
        Assert.Equal("1000", P(await h.RunAsync("create_open domain=testdom&key=open/explicit&fid=1000"))["fid"]);
        Assert.Equal("ERR fid_in_use fid_in_use", await h.RunAsync("create_open domain=testdom&key=open/explicit2&fid=1000"));
        Assert.Equal("1001", P(await h.RunAsync("create_open domain=testdom&key=open/after"))["fid"]);
        Assert.Equal("ERR no_devices No+devices+found+to+store+file", await h.RunAsync("create_open domain=testdom&key=open/huge&size=999999999999999"));
        Assert.Equal("1002", P(await h.RunAsync("create_open domain=testdom&key=open/sized&size=1024"))["fid"]);
        var prof = P(await h.RunAsync("create_open domain=testdom&key=open/prof&debug_profile=1"));
        Assert.Equal("5", prof["profpoints"]);
        Assert.Equal("begin", prof["prof_1_name"]);
        Assert.Equal("wait_monitor", prof["prof_2_name"]);
        Assert.Equal("find_deviceid", prof["prof_3_name"]);
        Assert.Equal("vivify_dir_on_all_devs", prof["prof_4_name"]);
        Assert.Equal("vivify_dir_on_dev" + prof["devid"], prof["prof_5_name"]);
        Assert.Matches(@"^\d+\.\d{3}$", prof["prof_5_time"]);
        // T23: 10-digit fids and the counter after them
        if (IsSqlite || IsMySql)
        {
            var big = P(await h.RunAsync("create_open domain=testdom&key=bigfid&fid=4000000000"));
            Assert.EndsWith("/4/000/000/4000000000.fid", big["path"]);
            Assert.Equal("4000000001", P(await h.RunAsync("create_open domain=testdom&key=bigfid2"))["fid"]);
        }
        else
        {
            Assert.Equal("ERR db Database+error", await h.RunAsync("create_open domain=testdom&key=bigfid&fid=4000000000"));
            Assert.Equal("1004", P(await h.RunAsync("create_open domain=testdom&key=bigfid2"))["fid"]);
        }
        // mogstored answers MKCOL with 400: after the first one per device, no more MKCOLs
        int mkcols = h.Node1.Requests.Count(r => r.StartsWith("MKCOL")) + h.Node2.Requests.Count(r => r.StartsWith("MKCOL"));
        Assert.InRange(mkcols, 1, 4);
    }

    [Fact]
    public async Task Create_close_flow_and_every_error()
    {
        await using var h = await CreateAsync();
        await StoreAsync(h, "file1", "hello world", "c1");
        Assert.Equal("ERR no_domain No+domain+provided", await h.RunAsync("create_close fid=5"));
        Assert.Equal("ERR no_fid no_fid", await h.RunAsync("create_close domain=testdom"));
        Assert.Equal("ERR no_devid no_devid", await h.RunAsync("create_close domain=testdom&fid=5"));
        Assert.Equal("ERR no_path no_path", await h.RunAsync("create_close domain=testdom&fid=5&devid=1"));
        Assert.Equal("ERR invalid_checksum_format invalid_checksum_format", await h.RunAsync("create_close domain=testdom&fid=5&devid=1&path=http://x/&checksum=MD5:abc"));
        Assert.Equal("ERR invalid_checksum_format invalid_checksum_format", await h.RunAsync("create_close domain=testdom&fid=5&devid=1&path=http://x/&checksum=md5:5eb63bbbe01eeed093cb22bb8f5acdc3"));

        var r2 = P(await h.RunAsync("create_open domain=testdom&key=file2&class=one"));
        string fid = r2["fid"], dev = r2["devid"], path = r2["path"];
        Assert.Equal("ERR bogus_args bogus_args", await h.RunAsync($"create_close fid={fid}&devid={dev}&domain=testdom&key=file2&path={path.Replace("http://", "http://x")}"));
        Assert.Equal("ERR bogus_args bogus_args", await h.RunAsync($"create_close fid={fid}&devid=999&domain=testdom&key=file2&path={path}"));
        var sve = await h.RunAsync($"create_close fid={fid}&devid={dev}&domain=testdom&key=file2&path={path}");
        Assert.StartsWith("ERR size_verify_error Expected:+-1%3B+actual:+0+%28missing%29%3B+path:+" + path + "%3B+error:+", sve);
        Assert.Equal("ERR no_temp_file No+tempfile+or+file+already+closed", await h.RunAsync($"create_close fid={fid}&devid={dev}&domain=testdom&key=file2&path={path}"));

        var r3 = P(await h.RunAsync("create_open domain=testdom&key=file3&class=one"));
        FidPathsTestUtil.Put(h.NodeFor(int.Parse(r3["devid"])), r3["path"], "hello world");
        Assert.Equal($"ERR size_mismatch Expected:+5%3B+actual:+11%3B+path:+{r3["path"]}",
            await h.RunAsync($"create_close fid={r3["fid"]}&devid={r3["devid"]}&domain=testdom&size=5&key=file3&path={r3["path"]}"));
        Assert.Equal("ERR unknown_key unknown_key", await h.RunAsync("file_info domain=testdom&key=file3"));

        var r4 = P(await h.RunAsync("create_open domain=testdom&key=file4&class=one"));
        int other = int.Parse(r4["devid"]) <= 2 ? 3 : 1;
        var otherPath = P(await h.RunAsync($"file_debug fid=1")) is var _ ? r4["path"].Replace($"/dev{r4["devid"]}/", $"/dev{other}/") : "";
        otherPath = otherPath.Replace(other == 1 ? $"127.0.0.2:{h.Node2.HttpPort}" : $"127.0.0.1:{h.Node1.HttpPort}", other == 1 ? $"127.0.0.1:{h.Node1.HttpPort}" : $"127.0.0.2:{h.Node2.HttpPort}");
        Assert.Equal($"ERR invalid_destdev File+uploaded+to+invalid+dest+{other}.+Valid+devices+were:+{r4["devid"]}",
            await h.RunAsync($"create_close fid={r4["fid"]}&devid={other}&domain=testdom&key=file4&path={otherPath}"));

        // discard: no key
        var r5 = P(await h.RunAsync("create_open domain=testdom&key=file5&class=one"));
        FidPathsTestUtil.Put(h.NodeFor(int.Parse(r5["devid"])), r5["path"], "discard me");
        Assert.Equal("OK ", await h.RunAsync($"create_close fid={r5["fid"]}&devid={r5["devid"]}&domain=testdom&size=10&path={r5["path"]}"));
        Assert.Equal("ERR unknown_key unknown_key", await h.RunAsync("file_info domain=testdom&key=file5"));
        var dbg = P(await h.RunAsync($"file_debug fid={r5["fid"]}"));
        Assert.True(dbg.ContainsKey("delqueue_fid"));

        // checksums
        var r6 = P(await h.RunAsync("create_open domain=testdom&key=sum1&class=md5"));
        FidPathsTestUtil.Put(h.NodeFor(int.Parse(r6["devid"])), r6["path"], "hello world");
        Assert.Equal($"ERR checksum_mismatch Expected:+Checksum%5Bf%3D{r6["fid"]}%3BMD5%3D00000000000000000000000000000000%5D%3B+actual:+MD5:5eb63bbbe01eeed093cb22bb8f5acdc3%3B+path:+{r6["path"]}",
            await h.RunAsync($"create_close fid={r6["fid"]}&devid={r6["devid"]}&domain=testdom&size=11&key=sum1&path={r6["path"]}&checksum=MD5:00000000000000000000000000000000&checksumverify=1"));
        await StoreAsync(h, "sum1", "hello world", "md5", "&checksum=MD5:5eb63bbbe01eeed093cb22bb8f5acdc3&checksumverify=1");
        await StoreAsync(h, "sum2", "abc", "md5", "&checksum=MD5:900150983cd24fb0d6963f7d28e17f72");
        Assert.Equal("MD5:5eb63bbbe01eeed093cb22bb8f5acdc3", P(await h.RunAsync("file_info domain=testdom&key=sum1"))["checksum"]);
        Assert.Equal("MD5:900150983cd24fb0d6963f7d28e17f72", P(await h.RunAsync("file_info domain=testdom&key=sum2&devices=0"))["checksum"]);

        // zero-byte file without size
        var r9 = P(await h.RunAsync("create_open domain=testdom&key=empty&class=one&fid=0"));
        FidPathsTestUtil.Put(h.NodeFor(int.Parse(r9["devid"])), r9["path"], "");
        Assert.Equal("OK ", await h.RunAsync($"create_close fid={r9["fid"]}&devid={r9["devid"]}&domain=testdom&key=empty&path={r9["path"]}"));
        Assert.Equal("0", P(await h.RunAsync("file_info domain=testdom&key=empty"))["length"]);

        // overwrite queues the old fid for deletion
        long first = await StoreAsync(h, "over", "first version");
        long second = await StoreAsync(h, "over", "second version");
        var info = P(await h.RunAsync("file_info domain=testdom&key=over"));
        Assert.Equal(second.ToString(), info["fid"]);
        Assert.Equal("14", info["length"]);
        Assert.True(P(await h.RunAsync($"file_debug fid={first}")).ContainsKey("delqueue_fid"));
        Assert.True(P(await h.RunAsync($"file_debug fid={second}")).ContainsKey("replqueue_fid"));
    }

    [Fact]
    public async Task Get_paths_file_info_file_debug()
    {
        await using var h = await CreateAsync();
        Assert.Equal("ERR no_domain No+domain+provided", await h.RunAsync("get_paths"));
        Assert.Equal("ERR unreg_domain Domain+name+invalid/not+found", await h.RunAsync("get_paths domain=nodom&key=file1"));
        Assert.Equal("ERR no_key no_key", await h.RunAsync("get_paths domain=testdom"));
        Assert.Equal("ERR unknown_key unknown_key", await h.RunAsync("get_paths domain=testdom&key=nope"));
        long fid = await StoreAsync(h, "single", "on one device only");
        var gp = P(await h.RunAsync("get_paths domain=testdom&key=single"));
        Assert.Equal("1", gp["paths"]);
        Assert.Equal("1", P(await h.RunAsync("get_paths domain=testdom&key=single&noverify=1&pathcount=5"))["paths"]);
        // missing replica: verified lookup gives paths=0, noverify returns it
        var url = gp["path1"];
        foreach (var n in new[] { h.Node1, h.Node2 }) foreach (var k in n.Files.Keys.ToList()) n.Files.TryRemove(k, out _);
        Assert.Equal("OK paths=0", await h.RunAsync("get_paths domain=testdom&key=single"));
        Assert.Equal(url, P(await h.RunAsync("get_paths domain=testdom&key=single&noverify=1"))["path1"]);
        // backup path when the only device is down
        var devid = P(await h.RunAsync("file_info domain=testdom&key=single&devices=1"))["devids"];
        await h.Store.SetDeviceStateAsync(int.Parse(devid), MogileFS.Core.Model.DeviceState.Down, default);
        await h.ReloadAsync();
        Assert.Equal(url, P(await h.RunAsync("get_paths domain=testdom&key=single"))["path1"]);
        await h.Store.SetDeviceStateAsync(int.Parse(devid), MogileFS.Core.Model.DeviceState.Alive, default);
        await h.ReloadAsync();

        Assert.Equal("ERR no_key no_key", await h.RunAsync("file_info domain=testdom"));
        Assert.Equal("ERR unknown_key unknown_key", await h.RunAsync("file_info domain=testdom&key=nope"));
        var fi = P(await h.RunAsync("file_info domain=testdom&key=single&devices=1"));
        Assert.Equal(new[] { "class", "devcount", "devids", "domain", "fid", "key", "length" }, fi.Keys.OrderBy(k => k).ToArray());
        Assert.Equal("one", fi["class"]);

        Assert.Equal("ERR no_domain No+domain+provided", await h.RunAsync("file_debug"));
        Assert.Equal("ERR no_key no_key", await h.RunAsync("file_debug domain=testdom"));
        Assert.Equal("ERR unknown_key unknown_key", await h.RunAsync("file_debug domain=testdom&key=nope"));
        Assert.Equal("OK checksum=NONE", await h.RunAsync("file_debug fid=999999"));
        var fd = P(await h.RunAsync($"file_debug domain=testdom&key=single"));
        Assert.Equal(fid.ToString(), fd["fid_fid"]);
        Assert.Equal("testdom", fd["fid_domain"]);
        Assert.Equal("NONE", fd["checksum"]);
        Assert.True(fd.ContainsKey("devpath_" + devid));
        var open = P(await h.RunAsync("create_open domain=testdom&key=debug/open&class=c1"));
        var tf = P(await h.RunAsync($"file_debug fid={open["fid"]}"));
        Assert.Equal("debug/open", tf["tempfile_dkey"]);
        Assert.Equal(open["devid"], tf["tempfile_devids"]);
        Assert.False(tf.ContainsKey("tempfile_createtime"));
    }

    [Fact]
    public async Task List_keys_list_fids_rename_updateclass_delete_edit_file()
    {
        await using var h = await CreateAsync();
        foreach (var k in new[] { "list/a", "list/b", "list/c", "list_x", "LIST/upper", "other/1" }) await StoreAsync(h, k, "x");
        Assert.Equal("ERR no_domain No+domain+provided", await h.RunAsync("list_keys"));
        Assert.Equal(IsSqlite ? "OK key_count=4&key_1=LIST/upper&key_2=list/a&key_3=list/b&key_4=list/c&next_after=list/c"
            : IsMySql ? "OK key_count=4&key_1=list/a&key_2=list/b&key_3=list/c&key_4=LIST/upper&next_after=list/c"
            : "OK key_count=3&key_1=list/a&key_2=list/b&key_3=list/c&next_after=list/c", await h.RunAsync("list_keys domain=testdom&prefix=list/"));
        Assert.Equal("OK key_count=1&key_1=list_x&next_after=list_x", await h.RunAsync("list_keys domain=testdom&prefix=list_"));
        Assert.Equal(IsSqlite ? "OK key_count=2&key_1=LIST/upper&key_2=list/a&next_after=list/a" : "OK key_count=2&key_1=list/a&key_2=list/b&next_after=list/b",
            await h.RunAsync("list_keys domain=testdom&prefix=list/&after=&limit=2"));
        Assert.Equal(IsMySql ? "OK key_count=2&key_1=list/c&key_2=LIST/upper&next_after=list/c" : "OK key_count=1&key_1=list/c&next_after=list/c",
            await h.RunAsync("list_keys domain=testdom&prefix=list/&after=list/b&limit=2"));
        Assert.Equal(IsMySql ? "OK key_count=1&key_1=LIST/upper&next_after=LIST/upper" : "ERR none_match No+keys+match+that+pattern+and+after-value+%28if+any%29.",
            await h.RunAsync("list_keys domain=testdom&prefix=list/&after=list/c&limit=2"));
        Assert.Equal("ERR after_mismatch Pattern+does+not+match+the+after-value%3F", await h.RunAsync("list_keys domain=testdom&prefix=list/&after=zzz"));
        Assert.Equal("ERR none_match No+keys+match+that+pattern+and+after-value+%28if+any%29.", await h.RunAsync("list_keys domain=testdom&prefix=l.st/&after=list/a"));
        Assert.Equal("ERR failure Operation+failed", await h.RunAsync("list_keys domain=testdom&prefix=a%28&after=a%28b")); // 2.73's default text (T12:36)
        Assert.Equal("ERR none_match No+keys+match+that+pattern+and+after-value+%28if+any%29.", await h.RunAsync("list_keys domain=testdom&prefix=list/&limit=abc"));

        var lf = P(await h.RunAsync("list_fids from=0&to=3"));
        Assert.Equal("3", lf["fid_count"]);
        Assert.Equal("list/a", lf["fid_1_key"]);
        Assert.Equal("OK fid_count=0", await h.RunAsync("list_fids from=999999&to=10"));
        Assert.Equal("6", P(await h.RunAsync("list_fids from=0&to=-1"))["fid_count"]);

        Assert.Equal("ERR no_key no_key", await h.RunAsync("rename domain=testdom&from_key=other/1"));
        Assert.Equal("ERR unknown_key unknown_key", await h.RunAsync("rename domain=testdom&from_key=nope&to_key=x"));
        Assert.Equal("OK ", await h.RunAsync("rename domain=testdom&from_key=other/1&to_key=other/2"));
        Assert.Equal("ERR key_exists Target+key+name+already+exists%3B+can%27t+overwrite.", await h.RunAsync("rename domain=testdom&from_key=other/2&to_key=list/a"));
        Assert.Equal("OK ", await h.RunAsync("rename domain=testdom&from_key=other/2&to_key=other/2"));

        Assert.Equal("ERR no_key no_key", await h.RunAsync("updateclass domain=testdom"));
        Assert.Equal("ERR no_class No+class+provided", await h.RunAsync("updateclass domain=testdom&key=list/a"));
        Assert.Equal("ERR class_not_found Class+not+found", await h.RunAsync("updateclass domain=testdom&key=list/a&class=nope"));
        Assert.Equal("ERR invalid_key invalid_key", await h.RunAsync("updateclass domain=testdom&key=nope&class=c1"));
        Assert.Equal("OK ", await h.RunAsync("updateclass domain=testdom&key=list/a&class=c1"));
        Assert.Equal("c1", P(await h.RunAsync("file_info domain=testdom&key=list/a"))["class"]);

        Assert.Equal("ERR no_key no_key", await h.RunAsync("delete domain=testdom"));
        Assert.Equal("ERR unknown_key unknown_key", await h.RunAsync("delete domain=testdom&key=nope"));
        Assert.Equal("OK ", await h.RunAsync("delete domain=testdom&key=list_x"));
        Assert.Equal("ERR unknown_key unknown_key", await h.RunAsync("delete domain=testdom&key=list_x"));

        Assert.Equal("ERR no_domain No+domain+provided", await h.RunAsync("edit_file"));
        Assert.Equal("ERR no_key no_key", await h.RunAsync("edit_file domain=testdom"));
        Assert.StartsWith("ERR failure", await h.RunAsync("edit_file domain=testdom&key=list/b"));
        Assert.Matches(@"^OK count=\d+$", await h.RunAsync("replicate_now"));
    }

    [Fact]
    public async Task Httpcopy()
    {
        await using var h = await CreateAsync();
        long fid = await StoreAsync(h, "single", "on one device only");
        int src = int.Parse(P(await h.RunAsync("file_info domain=testdom&key=single&devices=1"))["devids"]);
        int sibling = src switch { 1 => 2, 2 => 1, 3 => 4, _ => 3 };
        int dest = src <= 2 ? 3 : 1;
        Assert.Equal("ERR failure Operation+failed", await h.RunAsync("httpcopy")); // 2.73's default text (T20:8)
        Assert.Equal("ERR failure Operation+failed", await h.RunAsync("httpcopy sdevid=1&ddevid=2&fid=999999"));
        Assert.Equal("ERR copy_err copy_err", await h.RunAsync($"httpcopy sdevid={src}&ddevid=99&fid={fid}"));
        Assert.Equal("ERR copy_err src_error", await h.RunAsync($"httpcopy sdevid={sibling}&ddevid={dest}&fid={fid}"));
        Assert.Equal("OK ", await h.RunAsync($"httpcopy sdevid={src}&ddevid={dest}&fid={fid}"));
        var fi = P(await h.RunAsync("file_info domain=testdom&key=single&devices=1"));
        Assert.Equal("2", fi["devcount"]);
    }

    [Fact]
    public async Task Fsck_and_rebalance_state()
    {
        await using var h = await CreateAsync();
        await StoreAsync(h, "a", "1");
        var st = P(await h.RunAsync("fsck_status"));
        Assert.Equal("0", st["running"]);
        Assert.Equal("", st["host"]);
        Assert.Equal("OK row_count=0", await h.RunAsync("fsck_getlog"));
        Assert.Equal("OK ", await h.RunAsync("fsck_start"));
        Assert.Equal("ERR fsck_running fsck+is+already+running", await h.RunAsync("fsck_start"));
        st = P(await h.RunAsync("fsck_status"));
        Assert.Equal("1", st["running"]);
        Assert.Equal(h.Runtime.HostName, st["host"]);
        Assert.Equal("1", st["end_fid"]);
        Assert.Equal("ERR fsck_running fsck+running%3B+cannot+run+rebalance+at+same+time", await h.RunAsync("rebalance_start"));
        Assert.Equal("OK ", await h.RunAsync("fsck_stop"));
        await h.Store.AddFsckLogAsync(1, "MISS", 4, default);
        await h.Store.AddFsckLogAsync(1, "GONE", null, default);
        st = P(await h.RunAsync("fsck_status"));
        Assert.Equal("1", st["num_MISS"]);
        Assert.Equal("2", st["max_logid"]);
        var log = P(await h.RunAsync("fsck_getlog after_logid=1"));
        Assert.Equal("1", log["row_count"]);
        Assert.Equal("GONE", log["row_1_evcode"]);
        Assert.False(log.ContainsKey("row_1_devid"));
        Assert.Equal("OK ", await h.RunAsync("fsck_reset policy_only=1&startpos=1010"));
        st = P(await h.RunAsync("fsck_status"));
        Assert.Equal("1", st["policy_only"]);
        Assert.Equal("1010", st["max_fid_checked"]);
        Assert.False(st.ContainsKey("num_MISS"));
        Assert.Equal("OK ", await h.RunAsync("fsck_clearlog"));
        Assert.Equal("OK row_count=0", await h.RunAsync("fsck_getlog"));

        Assert.Equal("ERR no_rebal_state No+available+rebalance+status", await h.RunAsync("rebalance_status"));
        Assert.Equal("ERR no_rebal_policy No+rebalance+policy+available", await h.RunAsync("rebalance_test"));
        Assert.Equal("ERR no_rebal_policy No+rebalance+policy+available", await h.RunAsync("rebalance_start"));
        Assert.Equal("ERR rebal_not_started Rebalance+not+running", await h.RunAsync("rebalance_stop"));
        Assert.Equal("ERR bad_rebal_pol Invalid+setting+bogus", await h.RunAsync("rebalance_set_policy policy=bogus%3D1"));
        Assert.Equal("OK ", await h.RunAsync("rebalance_set_policy policy=from_devices%3D1+to_devices%3D3,4+limit_type%3Ddevice+limit_by%3Dcount+limit%3D1"));
        Assert.Equal("OK ddevs=3,4&sdevs=1", string.Join("&", (await h.RunAsync("rebalance_test"))[3..].Split('&').OrderBy(x => x)).Insert(0, "OK "));
        var start = P(await h.RunAsync("rebalance_start"));
        Assert.Contains("source_devs=1", start["state"]);
        Assert.Equal("ERR rebal_running rebalance+is+already+running", await h.RunAsync("rebalance_start"));
        Assert.Equal("ERR rebal_running rebalance+running%3B+cannot+run+fsck+at+same+time", await h.RunAsync("fsck_start"));
        Assert.Equal("ERR no_set_rebal cannot+change+rebalance+policy+while+rebalance+is+running", await h.RunAsync("rebalance_set_policy policy=from_devices%3D2"));
        Assert.Equal("ERR rebal_running rebalance+is+running", await h.RunAsync("rebalance_reset"));
        Assert.Equal(start["state"], P(await h.RunAsync("rebalance_status"))["state"]);
        Assert.Equal("OK ", await h.RunAsync("rebalance_stop"));
        Assert.Equal("stop", await h.Store.GetServerSettingAsync("rebal_signal", default));
        await h.Store.SetServerSettingAsync("rebal_host", null, default); // what the job does after the stop
        Assert.Equal("OK ", await h.RunAsync("rebalance_reset"));
        Assert.Equal("ERR no_rebal_state No+available+rebalance+status", await h.RunAsync("rebalance_status"));
        Assert.Equal("OK ", await h.RunAsync("rebalance_set_policy"));
        Assert.Null(await h.Store.GetServerSettingAsync("rebal_policy", default));
    }
}

public sealed class FileCommandSqliteTests : FileCommandTests
{
    protected override Task<FileCommandHarness> CreateAsync() => FileCommandHarness.SqliteAsync();
}

public sealed class FileCommandMySqlTests : FileCommandTests
{
    protected override Task<FileCommandHarness> CreateAsync() => FileCommandHarness.MySqlAsync();
    protected override bool IsSqlite => false;
    protected override bool IsMySql => true;
}

public sealed class FileCommandPostgresTests : FileCommandTests
{
    protected override Task<FileCommandHarness> CreateAsync() => FileCommandHarness.PostgresAsync();
    protected override bool IsSqlite => false;
}

internal static class FidPathsTestUtil
{
    public static void Put(FakeStorageNode node, string url, string body)
    {
        Assert.True(MogileFS.Tracker.Storage.FidPaths.TryParseHttpUrl(url, out _, out _, out var path));
        node.Files[path] = Encoding.UTF8.GetBytes(body);
    }
}
