using MogileFS.Core.Model;
using MogileFS.Tracker.Storage;
using Xunit;

namespace MogileFS.Tracker.Tests.Files;

public class FidPathsTests
{
    [Theory]
    // storage-node.md §2.2 examples
    [InlineData(1, 1L, "/dev1/0/000/000/0000000001.fid")]
    [InlineData(1, 123L, "/dev1/0/000/000/0000000123.fid")]
    [InlineData(1, 148056L, "/dev1/0/000/148/0000148056.fid")]
    [InlineData(1, 1234567L, "/dev1/0/001/234/0001234567.fid")]
    [InlineData(1, 2147483647L, "/dev1/2/147/483/2147483647.fid")]
    [InlineData(1, 9999999999L, "/dev1/9/999/999/9999999999.fid")]
    [InlineData(1, 10000000000L, "/dev1/1/000/000/10000000000.fid")]
    [InlineData(1, 52048709162819278L, "/dev1/5/204/870/52048709162819278.fid")]
    // tracker-protocol.md §6.4 / T23
    [InlineData(3, 1004L, "/dev3/0/000/001/0000001004.fid")]
    [InlineData(3, 4000000000L, "/dev3/4/000/000/4000000000.fid")]
    [InlineData(12345, 0L, "/dev12345/0/000/000/0000000000.fid")]
    public void DevicePath_matches_the_2_73_formula(int devid, long fid, string expected)
        => Assert.Equal(expected, StoragePaths.FidPath(devid, fid));

    [Fact]
    public void Url_uses_ip_port_and_path()
    {
        Assert.Equal("http://127.0.2.2:27500/dev4/0/000/000/0000000001.fid", StoragePaths.Url("127.0.2.2", 27500, 4, 1));
        Assert.Equal("http://10.0.0.2:7500/dev3/4/000/000/4000000001.fid", StoragePaths.Url("10.0.0.2", 7500, 3, 4000000001));
    }

    [Fact]
    public void ParentDirectories_are_the_three_levels_with_trailing_slash()
    {
        var (a, b, c) = FidPaths.ParentDirectories(2, 148056);
        Assert.Equal("/dev2/0/", a);
        Assert.Equal("/dev2/0/000/", b);
        Assert.Equal("/dev2/0/000/148/", c);
        (a, b, c) = FidPaths.ParentDirectories(17, 52048709162819278);
        Assert.Equal("/dev17/5/", a);
        Assert.Equal("/dev17/5/204/", b);
        Assert.Equal("/dev17/5/204/870/", c);
    }

    [Theory]
    [InlineData("http://127.0.2.1:27500/dev1/0/000/001/0000001005.fid", true, "127.0.2.1", 27500, "/dev1/0/000/001/0000001005.fid")]
    [InlineData("http://host/x", true, "host", 80, "/x")]
    [InlineData("http://x/", false, "", 0, "")]
    [InlineData("https://h:1/x", false, "", 0, "")]
    [InlineData("http://:80/x", false, "", 0, "")]
    [InlineData("http://h:abc/x", false, "", 0, "")]
    public void TryParseHttpUrl(string url, bool ok, string host, int port, string path)
    {
        Assert.Equal(ok, FidPaths.TryParseHttpUrl(url, out var h, out var p, out var pa));
        if (!ok) return;
        Assert.Equal(host, h);
        Assert.Equal(port, p);
        Assert.Equal(path, pa);
    }

    [Fact]
    public void LeafOf_groups_a_thousand_fids()
    {
        Assert.Equal(DirectoryVivifier.LeafOf(1000), DirectoryVivifier.LeafOf(1999));
        Assert.NotEqual(DirectoryVivifier.LeafOf(999), DirectoryVivifier.LeafOf(1000));
        Assert.Equal(DirectoryVivifier.LeafOf(10000000000L), DirectoryVivifier.LeafOf(10000000001L));
    }
}
