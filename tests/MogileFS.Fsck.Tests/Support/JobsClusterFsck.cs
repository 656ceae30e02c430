using System.Security.Cryptography;
using MogileFS.Tracker;

namespace MogileFS.Jobs.Tests.Support;

/// <summary>fsck / rebalance helpers over <see cref="JobsCluster"/>.</summary>
public sealed partial class JobsCluster
{
    /// <summary>fsck_log rows in logid order.</summary>
    public async Task<List<(long Fid, string Code, int? DevId)>> FsckLogAsync()
    {
        await using var c = await OpenDatabaseAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT fid, evcode, devid FROM fsck_log ORDER BY logid";
        var list = new List<(long, string, int?)>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
            list.Add((Convert.ToInt64(r.GetValue(0)), Convert.ToString(r.GetValue(1))!.Trim(), r.IsDBNull(2) ? null : Convert.ToInt32(r.GetValue(2))));
        return list;
    }

    /// <summary>The event codes logged for one fid, in order (with "@devid" for events that name a device).</summary>
    public async Task<List<string>> EventsOfAsync(long fid) =>
        (await FsckLogAsync()).Where(e => e.Fid == fid).Select(e => e.Code).ToList();

    /// <summary>fsck_start, then waits until injection finished and every queued fid was checked.</summary>
    public async Task RunFsckAsync(TrackerServer? t = null)
    {
        await QueryOkAsync("fsck_start", t);
        await WaitFsckIdleAsync();
    }

    public async Task WaitFsckIdleAsync()
    {
        await WaitUntilAsync(async () =>
                await ScalarAsync("SELECT value FROM server_settings WHERE field = 'fsck_host'") is null
                && await CountAsync("SELECT COUNT(*) FROM file_to_queue WHERE type = 1") == 0,
            TimeSpan.FromSeconds(60), "fsck to finish");
    }

    /// <summary>Waits until the fid is listed on exactly <paramref name="copies"/> devices, each holding the right bytes.</summary>
    public async Task WaitHealthyAsync(long fid, int copies, byte[] content)
    {
        await WaitUntilAsync(async () =>
        {
            var devs = await DevidsOfAsync(fid);
            if (devs.Count != copies) return false;
            foreach (int d in devs)
            {
                var node = Nodes.First(n => n.Spec.Devices.Contains(d));
                var path = node.FilePath(d, fid);
                if (!File.Exists(path)) return false;
                if (!(await File.ReadAllBytesAsync(path)).AsSpan().SequenceEqual(content)) return false;
            }
            return await CountAsync("SELECT COUNT(*) FROM file_to_replicate WHERE fid = @f", ("@f", fid)) == 0;
        }, TimeSpan.FromSeconds(60), $"fid {fid} healthy on {copies} devices");
    }

    public string FileOnDisk(long fid, int devid) => Nodes.First(n => n.Spec.Devices.Contains(devid)).FilePath(devid, fid);

    /// <summary>Uploads with create_close checksum=MD5:hex (the class must have hashtype MD5 for it to be stored).</summary>
    public async Task<long> StoreWithChecksumAsync(string domain, string key, byte[] content, string cls, bool verify = false, string? checksumOverride = null)
    {
        var open = await QueryOkAsync($"create_open domain={domain}&key={key}&class={cls}&fid=0");
        string path = open["path"];
        using (var body = new ByteArrayContent(content))
            (await Http.PutAsync(path, body)).EnsureSuccessStatusCode();
        string sum = checksumOverride ?? "MD5:" + Convert.ToHexStringLower(MD5.HashData(content));
        string reply = await QueryAsync($"create_close domain={domain}&key={key}&fid={open["fid"]}&devid={open["devid"]}&size={content.Length}" +
                                        $"&path={Uri.EscapeDataString(path)}&checksum={sum}" + (verify ? "&checksumverify=1" : ""));
        if (!reply.StartsWith("OK", StringComparison.Ordinal)) throw new CreateCloseException(reply);
        return long.Parse(open["fid"], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Puts <paramref name="count"/> files straight into the database and onto every device of
    /// <paramref name="devids"/> (fids from <paramref name="firstFid"/>, keys seed-N, no queue rows).
    /// Returns fid → content.
    /// </summary>
    public async Task<Dictionary<long, byte[]>> SeedOnAsync(int count, int size, string domain, string cls, int[] devids, long firstFid)
    {
        int dmid = Convert.ToInt32(await ScalarAsync("SELECT dmid FROM domain WHERE namespace = @d", ("@d", domain)));
        int classid = Convert.ToInt32(await ScalarAsync("SELECT classid FROM class WHERE dmid = @m AND classname = @c", ("@m", dmid), ("@c", cls)));
        var result = new Dictionary<long, byte[]>();
        await using var conn = await OpenDatabaseAsync();
        await using var tx = await conn.BeginTransactionAsync();
        for (int i = 0; i < count; i++)
        {
            long fid = firstFid + i;
            var data = new byte[size];
            new Random((int)fid).NextBytes(data);
            result[fid] = data;
            foreach (int d in devids)
            {
                string file = FileOnDisk(fid, d);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                await File.WriteAllBytesAsync(file, data);
            }
            await ExecAsync(conn, tx, "INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (@f, @m, @k, @l, @c, @n)",
                ("@f", fid), ("@m", dmid), ("@k", "seed-" + fid), ("@l", (long)size), ("@c", classid), ("@n", devids.Length));
            foreach (int d in devids)
                await ExecAsync(conn, tx, "INSERT INTO file_on (fid, devid) VALUES (@f, @d)", ("@f", fid), ("@d", d));
        }
        await tx.CommitAsync();
        return result;
    }

    private static async Task ExecAsync(System.Data.Common.DbConnection conn, System.Data.Common.DbTransaction tx, string sql, params (string Name, object Value)[] ps)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (n, v) in ps) AddParam(cmd, n, v);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<string?> SettingAsync(string name) =>
        (string?)await ScalarAsync("SELECT value FROM server_settings WHERE field = @f", ("@f", name));
}

public sealed class CreateCloseException(string reply) : Exception(reply)
{
    public string Reply { get; } = reply;
}
