using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using MogileFS.Core.Model;
using MogileFS.Core.Protocol;
using MogileFS.Store;
using MogileFS.Tracker.Metadata;
using MogileFS.Tracker.Runtime;
using MogileFS.Tracker.Storage;

namespace MogileFS.Tracker.Commands.Files;

/// <summary>Per-tracker state of the file commands.</summary>
public sealed class FileCommandState
{
    /// <summary>Highest fid in the file table when this tracker started: no fid at or below it is handed out (§6.3).</summary>
    public long MinFid { get; set; }

    public DirectoryVivifier? Vivifier { get; set; }

    public DirectoryVivifier GetVivifier(TrackerRuntime rt)
    {
        var v = Vivifier;
        if (v != null) return v;
        lock (this) return Vivifier ??= new DirectoryVivifier(rt.StorageNodes, rt.Clock);
    }
}

/// <summary>
/// The file commands of tracker-protocol.md §7.6-§7.17 and §7.37: create_open, create_close, get_paths,
/// file_info, file_debug, delete, rename, updateclass, list_keys, list_fids, edit_file, replicate_now,
/// httpcopy. Checks run in the order the spec lists; metadata comes from the in-memory snapshot and
/// each read is one indexed query.
/// </summary>
public static partial class FileCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("create_open", CreateOpenAsync);
        table.Add("create_close", CreateCloseAsync);
        table.Add("get_paths", GetPathsAsync);
        table.Add("file_info", FileInfoAsync);
        table.Add("file_debug", FileDebugAsync);
        table.Add("delete", DeleteAsync);
        table.Add("rename", RenameAsync);
        table.Add("updateclass", UpdateClassAsync);
        table.Add("list_keys", ListKeysAsync);
        table.Add("list_fids", ListFidsAsync);
        table.Add("edit_file", EditFileAsync);
        table.Add("replicate_now", ReplicateNowAsync);
        table.Add("httpcopy", HttpCopyAsync);
        table.OnStart(StartAsync);
    }

    /// <summary>Reads the highest fid and moves the fid generator above it (§6.3: never backwards, never reuse).</summary>
    private static async Task StartAsync(TrackerRuntime rt, CancellationToken ct)
    {
        var state = rt.Feature<FileCommandState>();
        long max = await rt.Store.GetMaxFileFidAsync(ct).ConfigureAwait(false);
        state.MinFid = max;
        await rt.Store.RaiseFidSequenceAsync(max, ct).ConfigureAwait(false);
        state.GetVivifier(rt);
    }

    private static FileCommandState State(CommandContext ctx) => ctx.Runtime.Feature<FileCommandState>();

    private static string RequireKey(CommandContext ctx, string name = "key")
    {
        var key = ctx.Args.Get(name);
        if (string.IsNullOrEmpty(key)) throw new CommandException("no_key");
        return key;
    }

    private static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);

    // ---- create_open (§7.7) -----------------------------------------------------------------

    private static async ValueTask CreateOpenAsync(CommandContext ctx)
    {
        var dom = ctx.RequireDomain();
        var args = ctx.Args;
        string key = args.Get("key") ?? "";
        bool multi = args.IsTrue("multi_dest");
        double? size = args.IsTrue("size") ? args.Num("size") : null;
        bool profile = args.IsTrue("debug_profile");
        long? explicitFid = args.IsTrue("fid") ? args.Int("fid") : null;
        if (explicitFid == 0) explicitFid = null; // int("0.5") is 0: allocate, like 2.73

        var snap = ctx.Snapshot;
        int classid = 0;
        var className = args.Get("class");
        if (Perl.IsTrue(className))
        {
            if (!snap.TryGetClass(dom.Id, className!, out var cls)) throw new CommandException("unreg_class");
            classid = cls.ClassId;
        }

        long tBegin = Stopwatch.GetTimestamp();
        if (!ctx.Runtime.Monitor.HasCompletedFirstRound)
            await ctx.Runtime.Monitor.WaitForFirstRoundAsync(ctx.Cancellation).ConfigureAwait(false);
        snap = ctx.Snapshot;
        long tWait = Stopwatch.GetTimestamp();

        // Device selection on the cached metadata.
        var devices = snap.Devices;
        var cands = new PlacementCandidate[devices.Count];
        for (int i = 0; i < cands.Length; i++)
        {
            var d = devices[i];
            bool writable = d.Status.ShouldGetNewFiles() && snap.TryGetHost(d.HostId, out var h) && h.Status == HostState.Alive
                && ctx.Observations.IsWriteable(d);
            cands[i] = new PlacementCandidate(d.Id, d.HostId, d.MbTotal, d.MbUsed, writable);
        }
        Span<int> chosen = stackalloc int[3];
        int n = DevicePlacement.Choose(cands, size, multi ? 3 : 1, ctx.Options.MinFreeSpaceMb, Random.Shared, chosen);
        if (n == 0) throw new CommandException("no_devices");
        long tFind = Stopwatch.GetTimestamp();

        var chosenDevs = new DeviceInfo[n];
        var hosts = new HostInfo[n];
        var devidList = new System.Text.StringBuilder(n * 4);
        for (int i = 0; i < n; i++)
        {
            chosenDevs[i] = devices[chosen[i]];
            snap.TryGetHost(chosenDevs[i].HostId, out hosts[i]);
            if (i > 0) devidList.Append(',');
            devidList.Append(chosenDevs[i].Id);
        }

        long fid;
        try
        {
            fid = await ctx.Store.RegisterTempfileAsync(explicitFid, dom.Id, key, classid, devidList.ToString(), State(ctx).MinFid, ctx.Cancellation).ConfigureAwait(false);
        }
        catch (DbException e) when (ctx.Store.IsDuplicateKey(e))
        {
            throw new CommandException(explicitFid != null ? "fid_in_use" : "db");
        }
        catch (DbException)
        {
            throw new CommandException("db");
        }
        long tVivify = Stopwatch.GetTimestamp();

        // Parent directories on every destination, concurrently; results are informational (§6.4).
        var viv = State(ctx).GetVivifier(ctx.Runtime);
        bool skipMkcol = snap.SettingIsOn("skip_mkcol");
        long[]? doneAt = profile ? new long[n] : null;
        if (n == 1)
        {
            await viv.EnsureAsync(chosenDevs[0].Id, hosts[0].Ip ?? "", hosts[0].WritePort, fid, skipMkcol, ctx.Cancellation).ConfigureAwait(false);
            if (doneAt != null) doneAt[0] = Stopwatch.GetTimestamp();
        }
        else
        {
            var tasks = new Task[n];
            for (int i = 0; i < n; i++)
            {
                int k = i;
                tasks[i] = Task.Run(async () =>
                {
                    await viv.EnsureAsync(chosenDevs[k].Id, hosts[k].Ip ?? "", hosts[k].WritePort, fid, skipMkcol, ctx.Cancellation).ConfigureAwait(false);
                    if (doneAt != null) doneAt[k] = Stopwatch.GetTimestamp();
                });
            }
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        long tEnd = Stopwatch.GetTimestamp();

        var reply = ctx.Reply;
        reply.Add("fid", fid);
        if (multi)
        {
            reply.Add("dev_count", n);
            for (int i = 0; i < n; i++)
            {
                reply.Add("devid_", i + 1, "", chosenDevs[i].Id.ToString(CultureInfo.InvariantCulture));
                reply.Add("path_", i + 1, "", StoragePaths.Url(ctx.HostIpFor(hosts[i]), hosts[i].WritePort, chosenDevs[i].Id, fid));
            }
        }
        else
        {
            reply.Add("devid", chosenDevs[0].Id);
            reply.Add("path", StoragePaths.Url(ctx.HostIpFor(hosts[0]), hosts[0].WritePort, chosenDevs[0].Id, fid));
        }
        if (profile)
        {
            long[] prof = { tBegin, tWait, tFind, tVivify, tEnd };
            string[] names = { "begin", "wait_monitor", "find_deviceid", "vivify_dir_on_all_devs" };
            int p = 0;
            for (int i = 0; i < names.Length; i++)
            {
                p++;
                reply.Add("prof_", p, "_name", names[i]);
                reply.Add("prof_", p, "_time", Seconds(prof[i + 1] - prof[i]));
            }
            for (int i = 0; i < n; i++)
            {
                p++;
                reply.Add("prof_", p, "_name", "vivify_dir_on_dev" + Str(chosenDevs[i].Id));
                reply.Add("prof_", p, "_time", Seconds(doneAt![i] - tVivify));
            }
            reply.Add("profpoints", p);
        }
    }

    private static string Seconds(long ticks) =>
        ((double)ticks / Stopwatch.Frequency).ToString("0.000", CultureInfo.InvariantCulture);

    // ---- create_close (§7.8) ----------------------------------------------------------------

    private static async ValueTask CreateCloseAsync(CommandContext ctx)
    {
        var dom = ctx.RequireDomain();
        var args = ctx.Args;
        var fidArg = args.Get("fid");
        if (!Perl.IsTrue(fidArg)) throw new CommandException("no_fid");
        var devidArg = args.Get("devid");
        if (!Perl.IsTrue(devidArg)) throw new CommandException("no_devid");
        var path = args.Get("path");
        if (!Perl.IsTrue(path)) throw new CommandException("no_path");
        FileChecksum? checksum = null;
        var checksumArg = args.Get("checksum");
        if (Perl.IsTrue(checksumArg) && !FileChecksum.TryParse(checksumArg, out checksum))
            throw new CommandException("invalid_checksum_format");

        long fid = Perl.IntAsLong(fidArg);
        long devidNum = Perl.IntAsLong(devidArg);
        var snap = ctx.Snapshot;
        // The path must be exactly the write URL this tracker builds for (devid, fid) for this client.
        if (fid <= 0 || devidNum <= 0 || devidNum > int.MaxValue
            || !snap.TryGetDevice((int)devidNum, out var dev) || !snap.TryGetHost(dev.HostId, out var host)
            || !string.Equals(path, StoragePaths.Url(ctx.HostIpFor(host), host.WritePort, dev.Id, fid), StringComparison.Ordinal))
            throw new CommandException("bogus_args");

        var store = ctx.Store;
        var ct = ctx.Cancellation;
        // 2.73 deletes the temp file row first, then checks the upload, then writes the file: two write
        // transactions. We read the row, check, and take it in the one transaction that writes the
        // file (or discards the upload); a close that finds the row taken meanwhile fails as in 2.73.
        var trow = await store.GetTempfileAsync(fid, ct).ConfigureAwait(false) ?? throw new CommandException("no_temp_file");
        async ValueTask Discard()
        {
            if (!await store.TakeAndDiscardUploadAsync(fid, dev.Id, ct).ConfigureAwait(false)) throw new CommandException("no_temp_file");
        }

        if (!DevidListContains(trow.DevIds, dev.Id))
        {
            await Discard().ConfigureAwait(false);
            throw new CommandException("invalid_destdev", "File uploaded to invalid dest " + devidArg + ". Valid devices were: " + trow.DevIds);
        }

        var key = args.Get("key");
        if (string.IsNullOrEmpty(key))
        {
            await Discard().ConfigureAwait(false);
            return;
        }

        string ip = ctx.HostIpFor(host);
        FidPaths.TryParseHttpUrl(path!, out _, out int port, out string uri);
        var head = await ctx.StorageNodes.HeadAsync(ip, port, uri, ct).ConfigureAwait(false);
        var sizeArg = args.Get("size");
        string expected = Perl.IsTrue(sizeArg) ? sizeArg! : "-1";
        if (head.Status != HeadStatus.Ok)
        {
            await Discard().ConfigureAwait(false);
            string type = head.Status == HeadStatus.Missing ? "missing" : "cantreach";
            throw new CommandException("size_verify_error",
                "Expected: " + expected + "; actual: 0 (" + type + "); path: " + path + "; error: " + head.Error);
        }
        double want = Perl.Numify(expected);
        if (want > -1 && want != head.Size)
        {
            await Discard().ConfigureAwait(false);
            throw new CommandException("size_mismatch", "Expected: " + expected + "; actual: " + Str(head.Size) + "; path: " + path);
        }

        if (checksum != null && args.IsTrue("checksumverify"))
        {
            var d = await ctx.StorageNodes.DigestAsync(ip, port, uri, checksum.Type, head.Size, ct).ConfigureAwait(false);
            if (d.Status != DigestStatus.Ok || !d.Digest.AsSpan().SequenceEqual(checksum.Digest))
            {
                await Discard().ConfigureAwait(false);
                string actual = HashTypes.Name(checksum.Type) + ":" + (d.Digest is null ? "" : Convert.ToHexStringLower(d.Digest));
                throw new CommandException("checksum_mismatch",
                    "Expected: " + checksum.DebugString(fidArg!) + "; actual: " + actual + "; path: " + path);
            }
        }

        // The checksum is stored only when the class (of the temp file) uses that algorithm.
        bool saveSum = checksum != null && snap.TryGetClass(dom.Id, trow.ClassId, out var cls) && cls.HashType == checksum.Type;
        var outcome = await store.TakeAndCommitClosedFileAsync(new CloseFile(fid, dom.Id, key, head.Size, trow.ClassId, dev.Id,
            saveSum ? checksum!.Type : HashType.None, saveSum ? checksum!.Digest : null), ct).ConfigureAwait(false);
        if (outcome == CloseOutcome.FidExists) throw new CommandException("fid_exists");
        if (outcome == CloseOutcome.NoTempfile) throw new CommandException("no_temp_file");
    }

    /// <summary>2.73's <c>$devids =~ /\b$devid\b/</c>: the devid as a whole number in the stored list.</summary>
    internal static bool DevidListContains(string? devids, int devid)
    {
        if (string.IsNullOrEmpty(devids)) return false;
        Span<char> buf = stackalloc char[12];
        devid.TryFormat(buf, out int len, default, CultureInfo.InvariantCulture);
        var want = buf[..len];
        var s = devids.AsSpan();
        int i = 0;
        while (i < s.Length)
        {
            if (!char.IsAsciiDigit(s[i])) { i++; continue; }
            int start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (s[start..i].SequenceEqual(want)) return true;
        }
        return false;
    }

    // ---- get_paths (§7.9) -------------------------------------------------------------------

    private static async ValueTask GetPathsAsync(CommandContext ctx)
    {
        var dom = ctx.RequireDomain();
        var key = RequireKey(ctx);
        var args = ctx.Args;
        double pathcount = args.IsTrue("pathcount") ? args.Num("pathcount") : 2;
        if (!(pathcount >= 2)) pathcount = 2;
        bool noverify = args.IsTrue("noverify");

        var found = await ctx.Store.LookupFileAsync(dom.Id, key, withDevids: true, withChecksum: false, ctx.Cancellation).ConfigureAwait(false)
            ?? throw new CommandException("unknown_key");
        var devids = found.DevIds!;
        var snap = ctx.Snapshot;
        int m = devids.Count;

        var order = new int[m];
        Span<double> weights = m <= 32 ? stackalloc double[m] : new double[m];
        for (int i = 0; i < m; i++)
        {
            if (!snap.TryGetDevice(devids[i], out var d) || !snap.TryGetHost(d.HostId, out _)) { weights[i] = 0; continue; }
            weights[i] = ReadPathOrder.Weight(ctx.Observations.UtilizationOf(d.Id), d.Weight);
        }
        int count = ReadPathOrder.Order(weights, order, Random.Shared);

        var reply = ctx.Reply;
        int paths = 0;
        string? backup = null;
        List<string>? drain = null;
        // Collect first, then write: "paths" leads the reply.
        var accepted = new List<string>(Math.Min(count, 4));
        for (int k = 0; k < count; k++)
        {
            var d = snap.TryGetDevice(devids[order[k]], out var dd) ? dd : null;
            if (d is null || !snap.TryGetHost(d.HostId, out var host)) continue;
            string ip = ctx.HostIpFor(host);
            string url = StoragePaths.Url(ip, host.ReadPort, d.Id, found.File.Fid);
            bool up = d.Status.CanRead() && host.Status is HostState.Alive or HostState.Readonly && ctx.Observations.IsReadable(d);
            if (!up) { backup = url; continue; }
            if (paths == 0 && !noverify)
            {
                var h = await ctx.StorageNodes.HeadAsync(ip, host.ReadPort, StoragePaths.FidPath(d.Id, found.File.Fid), ctx.Cancellation).ConfigureAwait(false);
                if (h.Status != HeadStatus.Ok || h.Size != found.File.Length) continue;
            }
            if (d.Status == DeviceState.Drain) { (drain ??= new List<string>()).Add(url); continue; }
            accepted.Add(url);
            paths++;
            if (paths == pathcount) break;
        }
        if (paths < pathcount && drain != null)
        {
            foreach (var url in drain)
            {
                accepted.Add(url);
                paths++;
                if (paths == pathcount) break;
            }
        }
        if (paths == 0 && backup != null)
        {
            accepted.Add(backup);
            paths = 1;
        }
        reply.Add("paths", paths);
        for (int i = 0; i < accepted.Count; i++) reply.Add("path", i + 1, "", accepted[i]);
    }

    // ---- file_info (§7.10) ------------------------------------------------------------------

    private static async ValueTask FileInfoAsync(CommandContext ctx)
    {
        var dom = ctx.RequireDomain();
        var key = RequireKey(ctx);
        bool devices = ctx.Args.IsTrue("devices");
        var found = await ctx.Store.LookupFileAsync(dom.Id, key, devices, withChecksum: true, ctx.Cancellation).ConfigureAwait(false)
            ?? throw new CommandException("unknown_key");
        var f = found.File;
        var snap = ctx.Snapshot;
        if (!snap.TryGetClass(f.DomainId, f.ClassId, out var cls))
            throw new CommandException("failure", "Class " + Str(f.ClassId) + " of fid " + Str(f.Fid) + " does not exist");
        var r = ctx.Reply;
        r.Add("fid", f.Fid).Add("domain", dom.Name).Add("class", cls.Name);
        if (cls.HashType != HashType.None)
            r.Add("checksum", found.Checksum != null && found.ChecksumType != HashType.None
                ? HashTypes.Name(found.ChecksumType) + ":" + Convert.ToHexStringLower(found.Checksum) : "MISSING");
        r.Add("key", key).Add("length", f.Length).Add("devcount", f.DevCount);
        if (devices) r.Add("devids", string.Join(',', found.DevIds!));
    }

    // ---- file_debug (§7.11) -----------------------------------------------------------------

    private static async ValueTask FileDebugAsync(CommandContext ctx)
    {
        var args = ctx.Args;
        var store = ctx.Store;
        var snap = ctx.Snapshot;
        FileRow? row;
        long fid;
        if (args.IsTrue("fid"))
        {
            fid = (long)Math.Truncate(args.Num("fid"));
            row = await store.GetFileByFidAsync(fid, ctx.Cancellation).ConfigureAwait(false);
        }
        else
        {
            var dom = ctx.RequireDomain();
            var key = RequireKey(ctx);
            row = await store.GetFileAsync(dom.Id, key, ctx.Cancellation).ConfigureAwait(false) ?? throw new CommandException("unknown_key");
            fid = row.Fid;
        }
        var info = await store.GetFidDebugAsync(fid, ctx.Cancellation).ConfigureAwait(false);
        var r = ctx.Reply;
        if (row != null)
        {
            r.Add("fid_fid", row.Fid).Add("fid_dmid", row.DomainId).Add("fid_dkey", row.Key).Add("fid_length", row.Length)
             .Add("fid_classid", row.ClassId).Add("fid_devcount", row.DevCount)
             .Add("fid_domain", snap.TryGetDomain(row.DomainId, out var d) ? d.Name : null)
             .Add("fid_class", snap.ClassName(row.DomainId, row.ClassId));
        }
        AddRow(r, "tempfile_", info.Tempfile);
        AddRow(r, "replqueue_", info.Replicate);
        AddRow(r, "delqueue_", info.Delete);
        AddRow(r, "rebqueue_", info.Rebalance);
        AddRow(r, "fsckqueue_", info.Fsck);
        foreach (var devid in info.DevIds)
        {
            if (snap.TryGetDevice(devid, out var dev) && snap.TryGetHost(dev.HostId, out var host))
                r.Add("devpath_" + Str(devid), StoragePaths.Url(ctx.HostIpFor(host), host.ReadPort, devid, fid));
        }
        if (info.DevIds.Count > 0) r.Add("devids", string.Join(',', info.DevIds));
        r.Add("checksum", info.Checksum is { } c && c.Type != HashType.None
            ? HashTypes.Name(c.Type) + ":" + Convert.ToHexStringLower(c.Digest) : "NONE");
    }

    private static void AddRow(ReplyBuilder r, string prefix, QueueRow? row)
    {
        if (row is null) return;
        foreach (var kv in row.Columns) r.Add(prefix + kv.Key, kv.Value);
    }

    // ---- delete, rename, updateclass (§7.12-§7.14) ------------------------------------------

    private static async ValueTask DeleteAsync(CommandContext ctx)
    {
        var dom = ctx.RequireDomain();
        var key = RequireKey(ctx);
        if (!await ctx.Store.DeleteFileAsync(dom.Id, key, ctx.Cancellation).ConfigureAwait(false))
            throw new CommandException("unknown_key");
    }

    private static async ValueTask RenameAsync(CommandContext ctx)
    {
        var dom = ctx.RequireDomain();
        var from = ctx.Args.Get("from_key");
        var to = ctx.Args.Get("to_key");
        if (string.IsNullOrEmpty(from) || string.IsNullOrEmpty(to)) throw new CommandException("no_key");
        MetadataStore.RenameOutcome outcome;
        try
        {
            outcome = await ctx.Store.RenameFileAsync(dom.Id, from, to, ctx.Cancellation).ConfigureAwait(false);
        }
        catch (DbException e) when (ctx.Store.IsDuplicateKey(e))
        {
            outcome = MetadataStore.RenameOutcome.KeyExists; // lost a race with another writer
        }
        // Exactly one reply, also after key_exists (2.73's stray second OK, quirk Q4, is not copied).
        if (outcome == MetadataStore.RenameOutcome.UnknownKey) throw new CommandException("unknown_key");
        if (outcome == MetadataStore.RenameOutcome.KeyExists) throw new CommandException("key_exists");
    }

    private static async ValueTask UpdateClassAsync(CommandContext ctx)
    {
        var dom = ctx.RequireDomain();
        var key = RequireKey(ctx);
        var className = ctx.Args.Get("class");
        if (!Perl.IsTrue(className)) throw new CommandException("no_class");
        if (!ctx.Snapshot.TryGetClass(dom.Id, className!, out var cls)) throw new CommandException("class_not_found");
        var outcome = await ctx.Store.UpdateFileClassAsync(dom.Id, key, cls.ClassId, ctx.Cancellation).ConfigureAwait(false);
        if (outcome == MetadataStore.UpdateClassOutcome.InvalidKey) throw new CommandException("invalid_key");
        if (outcome == MetadataStore.UpdateClassOutcome.NoDevices) throw new CommandException("no_devices");
    }

    // ---- list_keys, list_fids (§7.15, §7.16) ------------------------------------------------

    private static async ValueTask ListKeysAsync(CommandContext ctx)
    {
        var dom = ctx.RequireDomain();
        var args = ctx.Args;
        var prefix = args.Get("prefix");
        var after = args.Get("after");
        switch (ListKeysRules.CheckAfter(prefix, after))
        {
            case ListKeysRules.AfterCheck.Mismatch: throw new CommandException("after_mismatch");
            case ListKeysRules.AfterCheck.Failure:
                // 2.73 dies on the invalid regex and answers the default text; the reason goes to the log.
                Log.CommandRefused(ctx.Logger, "list_keys", "invalid prefix pattern " + ByteString.ToDisplayText(prefix ?? ""));
                throw new CommandException("failure");
        }
        if (ListKeysRules.Limit(args.Get("limit")) is not { } limit)
        {
            Log.CommandRefused(ctx.Logger, "list_keys", "limit is not a whole number: " + ByteString.ToDisplayText(args.Get("limit") ?? ""));
            throw new CommandException("failure");
        }
        var keys = ctx.KeyBuffer;
        await ctx.Store.ListKeysAsync(dom.Id, ListKeysRules.LikePattern(prefix), after ?? "", limit,
            ctx.Snapshot.SettingIsOn("case_sensitive_list_keys"), keys, ctx.Cancellation).ConfigureAwait(false);
        if (keys.Count == 0) throw new CommandException("none_match");
        var r = ctx.Reply;
        r.Add("key_count", keys.Count);
        int next = -1; // the bytewise greatest key (2.73 answers the last key in Perl's string order)
        for (int i = 0; i < keys.Count; i++)
        {
            var k = keys[i];
            r.Add("key_", i + 1, "", k);
            if (next < 0 ? !k.IsEmpty : k.SequenceCompareTo(keys[next]) > 0) next = i;
        }
        r.StartKey().KeyPart("next_after").Value(next < 0 ? default : keys[next]);
    }

    private static async ValueTask ListFidsAsync(CommandContext ctx)
    {
        var args = ctx.Args;
        double fromD = args.Num("from");
        long from = double.IsNaN(fromD) ? 0 : fromD >= long.MaxValue ? long.MaxValue : fromD <= long.MinValue ? long.MinValue : (long)Math.Floor(fromD);
        double count = args.Num("to");
        if (double.IsNaN(count) || count == 0) count = 100;
        if (count > 500 || count < 0) count = 500;
        var rows = await ctx.Store.ListFidsAsync(from, (int)Math.Ceiling(count), ctx.Cancellation).ConfigureAwait(false);
        var r = ctx.Reply;
        var snap = ctx.Snapshot;
        r.Add("fid_count", rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var f = rows[i];
            int n = i + 1;
            r.Add("fid_", n, "_fid", f.Fid);
            r.Add("fid_", n, "_domain", snap.TryGetDomain(f.DomainId, out var d) ? d.Name : null);
            r.Add("fid_", n, "_class", snap.ClassName(f.DomainId, f.ClassId));
            r.Add("fid_", n, "_key", f.Key);
            r.Add("fid_", n, "_length", f.Length);
            r.Add("fid_", n, "_devcount", f.DevCount);
        }
    }

    // ---- edit_file, replicate_now, httpcopy (§7.17, §7.6, §7.37) -----------------------------

    private static ValueTask EditFileAsync(CommandContext ctx)
    {
        ctx.RequireDomain();
        RequireKey(ctx);
        // 2.73 talks to memcache unconditionally here and fails without it (quirk Q20); we never had
        // memcache, so the command fails the same way for every request that passes the checks.
        throw new CommandException("failure");
    }

    private static async ValueTask ReplicateNowAsync(CommandContext ctx)
    {
        int n = await ctx.Store.ReplicateNowAsync(ctx.Cancellation).ConfigureAwait(false);
        ctx.Reply.Add("count", n);
    }

    private static async ValueTask HttpCopyAsync(CommandContext ctx)
    {
        var args = ctx.Args;
        // 2.73 crashes (ERR failure) on a missing or unknown fid.
        // The reply is the default text, as 2.73's; the reason goes to the log.
        if (!args.IsTrue("fid"))
        {
            Log.CommandRefused(ctx.Logger, "httpcopy", "no fid given");
            throw new CommandException("failure");
        }
        long fid = args.Int("fid");
        var row = await ctx.Store.GetFileByFidAsync(fid, ctx.Cancellation).ConfigureAwait(false);
        if (row == null)
        {
            Log.CommandRefused(ctx.Logger, "httpcopy", FormattableString.Invariant($"unknown fid {fid}"));
            throw new CommandException("failure");
        }
        var snap = ctx.Snapshot;
        long sdevid = args.Int("sdevid"), ddevid = args.Int("ddevid");
        if (sdevid <= 0 || ddevid <= 0 || sdevid > int.MaxValue || ddevid > int.MaxValue
            || !snap.TryGetDevice((int)sdevid, out var sdev) || !snap.TryGetDevice((int)ddevid, out var ddev)
            || !snap.TryGetHost(sdev.HostId, out var shost) || !snap.TryGetHost(ddev.HostId, out var dhost)
            || string.IsNullOrEmpty(shost.Ip) || string.IsNullOrEmpty(dhost.Ip))
            throw new CommandException("copy_err");
        int sport = ctx.Options.ReplUseGetPort ? shost.ReadPort : shost.WritePort;
        string src = StoragePaths.Url(shost.Ip, sport, sdev.Id, fid);
        string dst = StoragePaths.Url(dhost.Ip, dhost.WritePort, ddev.Id, fid);
        await State(ctx).GetVivifier(ctx.Runtime).EnsureAsync(ddev.Id, dhost.Ip, dhost.WritePort, fid, snap.SettingIsOn("skip_mkcol"), ctx.Cancellation).ConfigureAwait(false);
        var sum = await ctx.Store.GetChecksumAsync(fid, ctx.Cancellation).ConfigureAwait(false);
        byte[]? md5 = sum is { Type: HashType.MD5 } s ? s.Digest : null;
        var res = await ctx.StorageNodes.CopyAsync(src, dst, row.Length, md5, ctx.Cancellation).ConfigureAwait(false);
        if (res.Status == CopyStatus.SourceError) throw new CommandException("copy_err", "src_error");
        if (res.Status == CopyStatus.DestinationError) throw new CommandException("copy_err", "dest_error");
        await ctx.Store.AddReplicaAsync(fid, ddev.Id, !snap.SettingIsOn("skip_devcount"), ctx.Cancellation).ConfigureAwait(false);
    }
}
