using System.Security.Cryptography;
using MogileFS.TestSupport.Cluster;

namespace MogileFS.Fsck.Tests.Support;

/// <summary>fsck / rebalance helpers over the shared <see cref="TestCluster"/>.</summary>
public static class FsckClusterExtensions
{
    extension(TestCluster c)
    {
        /// <summary>fsck_log rows in logid order.</summary>
        public async Task<List<(long Fid, string Code, int? DevId)>> FsckLogAsync() =>
            (await c.RowsAsync("SELECT fid, evcode, devid FROM fsck_log ORDER BY logid"))
                .Select(r => (Convert.ToInt64(r[0]), Convert.ToString(r[1])!.Trim(), r[2] is null ? (int?)null : Convert.ToInt32(r[2])))
                .ToList();

        /// <summary>The event codes logged for one fid, in order.</summary>
        public async Task<List<string>> EventsOfAsync(long fid) =>
            (await c.FsckLogAsync()).Where(e => e.Fid == fid).Select(e => e.Code).ToList();

        /// <summary>fsck_start, then waits until injection finished and every queued fid was checked.</summary>
        public async Task RunFsckAsync(TrackerHandle? t = null)
        {
            await c.QueryOkAsync("fsck_start", t);
            await c.WaitFsckIdleAsync();
        }

        public async Task WaitFsckIdleAsync()
        {
            await TestCluster.WaitUntilAsync(async () =>
                    await c.ScalarAsync("SELECT value FROM server_settings WHERE field = 'fsck_host'") is null
                    && await c.CountAsync("SELECT COUNT(*) FROM file_to_queue WHERE type = 1") == 0,
                TimeSpan.FromSeconds(60), "fsck to finish");
        }

        /// <summary>Waits until the fid is listed on exactly <paramref name="copies"/> devices, each holding the right bytes.</summary>
        public async Task WaitHealthyAsync(long fid, int copies, byte[] content)
        {
            await TestCluster.WaitUntilAsync(async () =>
            {
                var devs = await c.DevidsOfAsync(fid);
                if (devs.Count != copies) return false;
                foreach (int d in devs)
                {
                    var path = c.FileOnDisk(fid, d);
                    if (!File.Exists(path)) return false;
                    if (!(await File.ReadAllBytesAsync(path)).AsSpan().SequenceEqual(content)) return false;
                }
                return await c.CountAsync("SELECT COUNT(*) FROM file_to_replicate WHERE fid = @f", ("@f", fid)) == 0;
            }, TimeSpan.FromSeconds(60), $"fid {fid} healthy on {copies} devices");
        }

        /// <summary>Uploads with create_close checksum=MD5:hex (the class must have hashtype MD5 for it to be stored).</summary>
        public async Task<long> StoreWithChecksumAsync(string domain, string key, byte[] content, string cls, bool verify = false, string? checksumOverride = null)
        {
            var open = await c.QueryOkAsync($"create_open domain={domain}&key={key}&class={cls}&fid=0");
            string path = open["path"];
            using (var body = new ByteArrayContent(content))
                (await TestCluster.Http.PutAsync(path, body)).EnsureSuccessStatusCode();
            string sum = checksumOverride ?? "MD5:" + Convert.ToHexStringLower(MD5.HashData(content));
            string reply = await c.QueryAsync($"create_close domain={domain}&key={key}&fid={open["fid"]}&devid={open["devid"]}&size={content.Length}" +
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
            int dmid = Convert.ToInt32(await c.ScalarAsync("SELECT dmid FROM domain WHERE namespace = @d", ("@d", domain)));
            int classid = Convert.ToInt32(await c.ScalarAsync("SELECT classid FROM class WHERE dmid = @m AND classname = @c", ("@m", dmid), ("@c", cls)));
            var result = new Dictionary<long, byte[]>();
            await using var conn = await c.OpenDatabaseAsync();
            await using var tx = await conn.BeginTransactionAsync();
            for (int i = 0; i < count; i++)
            {
                long fid = firstFid + i;
                var data = new byte[size];
                new Random((int)fid).NextBytes(data);
                result[fid] = data;
                foreach (int d in devids)
                {
                    string file = c.FileOnDisk(fid, d);
                    Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                    await File.WriteAllBytesAsync(file, data);
                }
                await TestCluster.ExecuteAsync(conn, tx, "INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (@f, @m, @k, @l, @c, @n)",
                    ("@f", fid), ("@m", dmid), ("@k", "seed-" + fid), ("@l", (long)size), ("@c", classid), ("@n", devids.Length));
                foreach (int d in devids)
                    await TestCluster.ExecuteAsync(conn, tx, "INSERT INTO file_on (fid, devid) VALUES (@f, @d)", ("@f", fid), ("@d", d));
            }
            await tx.CommitAsync();
            return result;
        }
    }
}

public sealed class CreateCloseException(string reply) : Exception(reply)
{
    public string Reply { get; } = reply;
}
