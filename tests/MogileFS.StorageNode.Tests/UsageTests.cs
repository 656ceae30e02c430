using System.Text.RegularExpressions;
using MogileFS.StorageNode.Tests.Support;
using MogileFS.StorageNode.Usage;

namespace MogileFS.StorageNode.Tests;

public sealed class UsageTests
{
    [Fact]
    public async Task Usage_files_appear_for_every_device_in_the_exact_format()
    {
        await using var node = await Node.StartAsync(o => o.UsageInterval = TimeSpan.FromMilliseconds(300));
        string u1 = node.PathOf("/dev1/usage"), u2 = node.PathOf("/dev2/usage");
        for (int i = 0; i < 100 && !(File.Exists(u1) && File.Exists(u2)); i++) await Task.Delay(50);
        foreach (var f in new[] { u1, u2 })
        {
            string text = File.ReadAllText(f);
            var m = Regex.Match(text, @"^available: (\d+)\ndevice: (.+)\ndisk: (.+)\ntime: (\d+)\ntotal: (\d+)\nuse: (\d+%)\nused: (\d+)\n$");
            Assert.True(m.Success, text);
            Assert.Equal(long.Parse(m.Groups[7].Value) + long.Parse(m.Groups[1].Value), long.Parse(m.Groups[5].Value));
            Assert.Equal(Path.GetDirectoryName(f), m.Groups[3].Value);
            Assert.InRange(long.Parse(m.Groups[4].Value), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
            Assert.True(long.Parse(m.Groups[5].Value) > 0);
        }
        // the tracker monitor's poll
        var r = await Raw.ExchangeAsync(node.Http, "GET /dev1/usage HTTP/1.0\r\nKeep-Alive: 300\r\nConnection: Keep-Alive, keep-alive\r\nHost: x\r\nUser-Agent: MogileFS::Connection::HTTP/2.73\r\n\r\n");
        Assert.Contains("Content-Type: text/plain\r\n", r);
        Assert.Contains("\r\n\r\navailable: ", r);

        // a device added later is picked up by the next round; the file is rewritten in place
        Directory.CreateDirectory(node.PathOf("/dev7"));
        long inode = Inode(u1);
        string before = File.ReadAllText(u1);
        for (int i = 0; i < 100 && !File.Exists(node.PathOf("/dev7/usage")); i++) await Task.Delay(50);
        Assert.True(File.Exists(node.PathOf("/dev7/usage")));
        await Task.Delay(1200);
        Assert.NotEqual(before, File.ReadAllText(u1)); // time moved on
        Assert.Equal(inode, Inode(u1));
    }

    private static long Inode(string path) => InodeOf(path);

    private static long InodeOf(string path)
    {
        var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        string o = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return long.Parse(o.Trim());
    }

    [Fact]
    public void Df_output_is_parsed_like_2_73()
    {
        const string df = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/vda         96777972 15024540  81753432      16% /\n";
        var u = UsageWriter.ParseDf(df, "/var/mogdata/dev1", 1)!;
        Assert.Equal("available: 81753432\ndevice: /dev/vda        \ndisk: /var/mogdata/dev1\ntime: 1795315921\ntotal: 96777972\nuse: 16%\nused: 15024540\n",
            UsageWriter.Format(u, 1795315921));

        const string mounted = "Filesystem 512-blocks Used Available Capacity Mounted on\n/dev/sdb1 2000 1000 800 56% /var/mogdata/dev3\n";
        var m = UsageWriter.ParseDf(mounted, "/var/mogdata/dev3", 3)!;
        Assert.Equal("/var/mogdata/dev3", m.Disk);
        Assert.Equal(500, m.Used);
        Assert.Equal(400, m.Available);
        Assert.Equal(900, m.Total);
        Assert.Equal("/dev/sdb1", m.Device);
        Assert.Null(UsageWriter.ParseDf("Filesystem 1024-blocks Used Available Capacity Mounted on\n", "/x/dev1", 1));
    }

    [Fact]
    public void Rewrite_in_place_pads_then_truncates()
    {
        using var dir = new MogileFS.TestSupport.TempDirectory();
        string f = dir.Combine("usage");
        UsageWriter.WriteInPlace(f, "a long first version\n");
        long ino = InodeOf(f);
        UsageWriter.WriteInPlace(f, "short\n");
        Assert.Equal("short\n", File.ReadAllText(f));
        Assert.Equal(ino, InodeOf(f));
    }
}
