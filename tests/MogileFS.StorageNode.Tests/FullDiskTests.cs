using MogileFS.StorageNode.Tests.Support;
using MogileFS.TestSupport;

namespace MogileFS.StorageNode.Tests;

public sealed class FullDiskTests
{
    [TmpfsFact]
    public async Task Full_disk_gives_507_leaves_nothing_and_reads_keep_working()
    {
        using var dir = new TempDirectory("mogstored-full-");
        string root = dir.CreateSubdirectory("docroot");
        string dev1 = dir.CreateSubdirectory("docroot", "dev1");
        Assert.True(Tmpfs.Mount(dev1, "size=1m", out string err), err);
        try
        {
            await using var node = await Node.StartAsync(docRoot: root);
            node.WriteFile("/dev1/0/000/000/0000000001.fid", "still readable");

            // 2 MB into a 1 MB file system
            var big = new byte[2 * 1024 * 1024];
            new Random(1).NextBytes(big);
            using var http = node.Client();
            var resp = await http.PutAsync("/dev1/0/000/000/0000000002.fid", new ByteArrayContent(big));
            Assert.Equal(507, (int)resp.StatusCode);
            Assert.Contains("No space left on device", await resp.Content.ReadAsStringAsync());

            Assert.Equal(["0000000001.fid"], Directory.GetFiles(node.PathOf("/dev1/0/000/000")).Select(f => Path.GetFileName(f)).ToArray());
            Assert.Equal("still readable", await http.GetStringAsync("/dev1/0/000/000/0000000001.fid"));

            // the space was given back: a small upload works again
            var ok = await http.PutAsync("/dev1/0/000/000/0000000003.fid", new ByteArrayContent(new byte[100_000]));
            Assert.True(ok.IsSuccessStatusCode, ok.StatusCode.ToString());
            Assert.Equal(100_000, new FileInfo(node.PathOf("/dev1/0/000/000/0000000003.fid")).Length);

            // raw exchange: answered at once with Connection: close, body not awaited
            var raw = await Raw.ExchangeAsync(node.Http, "PUT /dev1/0/000/000/0000000004.fid HTTP/1.0\r\nContent-Length: 5000000\r\n\r\n" + new string('z', 1_200_000), quietMs: 3000);
            Assert.StartsWith("HTTP/1.0 507 Insufficient Storage\r\n", raw);
            Assert.Contains("Connection: close\r\n", raw);
            Assert.False(File.Exists(node.PathOf("/dev1/0/000/000/0000000004.fid")));
            Assert.DoesNotContain(Directory.GetFiles(node.PathOf("/dev1/0/000/000")), f => f.EndsWith(".tmp"));
        }
        finally
        {
            Tmpfs.Unmount(dev1);
        }
    }

    [TmpfsFact]
    public async Task Out_of_inodes_while_creating_directories_gives_507()
    {
        using var dir = new TempDirectory("mogstored-noinode-");
        string root = dir.CreateSubdirectory("docroot");
        string dev1 = dir.CreateSubdirectory("docroot", "dev1");
        Assert.True(Tmpfs.Mount(dev1, "size=1m,nr_inodes=6", out string err), err);
        try
        {
            await using var node = await Node.StartAsync(docRoot: root);
            var codes = new List<string>();
            for (int i = 0; i < 8; i++)
            {
                var r = await Raw.ExchangeAsync(node.Http, $"PUT /dev1/{i}/000/000/000000000{i}.fid HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
                codes.Add(r[..12]);
            }
            Assert.Equal("HTTP/1.0 200", codes[0]);
            Assert.Contains("HTTP/1.0 507", codes);
            Assert.DoesNotContain("HTTP/1.0 500", codes);
        }
        finally
        {
            Tmpfs.Unmount(dev1);
        }
    }
}
