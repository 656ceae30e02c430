using System.Net.Sockets;
using System.Text.RegularExpressions;
using MogileFS.StorageNode.Tests.Support;

namespace MogileFS.StorageNode.Tests;

/// <summary>Every side-channel command with the exact reply lines of 2.73.</summary>
public sealed class SideChannelTests : IAsyncLifetime
{
    private Node _node = null!;
    private const string Fid = "/dev1/0/000/000/0000000123.fid";

    public async Task InitializeAsync()
    {
        _node = await Node.StartAsync();
        _node.WriteFile(Fid, "hello world");
        Directory.CreateDirectory(_node.PathOf("/dev1/t"));
        _node.WriteFile("/dev1/empty", "");
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private async Task<string> Ask(params string[] lines)
    {
        return await Raw.ExchangeAsync(_node.Mgmt, string.Concat(lines), quietMs: 300);
    }

    [Fact]
    public async Task Size()
    {
        Assert.Equal($"{Fid} 11\r\n<<TIMEOUT>>", await Ask($"size {Fid}\r\n"));
        Assert.Equal("/dev1/nothere -1\r\n<<TIMEOUT>>", await Ask("size /dev1/nothere\r\n"));
        Assert.Equal("/dev1/empty 0\r\n<<TIMEOUT>>", await Ask("size /dev1/empty\n"));
        Assert.Matches(@"^/dev1/t \d+\r\n<<TIMEOUT>>$", await Ask("size /dev1/t\r\n"));
        Assert.Equal("ERROR: uri invalid (contains ..)\r\n<<TIMEOUT>>", await Ask("size /dev1/../x\r\n"));
        Assert.Equal("ERROR: unknown command: size\r\n<<TIMEOUT>>", await Ask("size a b\r\n"));
        Assert.Equal("ERROR: unknown command: size\r\n<<TIMEOUT>>", await Ask("SIZE /x\r\n"));
    }

    [Fact]
    public async Task Digests()
    {
        Assert.Equal($"{Fid} MD5=5eb63bbbe01eeed093cb22bb8f5acdc3\r\n<<TIMEOUT>>", await Ask($"MD5 {Fid}\r\n"));
        Assert.Equal($"{Fid} MD5=5eb63bbbe01eeed093cb22bb8f5acdc3\r\n<<TIMEOUT>>", await Ask($"MD5 {Fid} fsck\r\n"));
        Assert.Equal($"{Fid} SHA-1=2aae6c35c94fcfb415dbe95f408b9ce91ee846ed\r\n<<TIMEOUT>>", await Ask($"SHA-1 {Fid}\r\n"));
        Assert.Equal($"{Fid} SHA-1=2aae6c35c94fcfb415dbe95f408b9ce91ee846ed\r\n<<TIMEOUT>>", await Ask($"SHA-1 {Fid} fsck\r\n"));
        Assert.Equal("/dev1/nothere MD5=-1\r\n<<TIMEOUT>>", await Ask("MD5 /dev1/nothere fsck\r\n"));
        Assert.Equal("/dev1/empty MD5=d41d8cd98f00b204e9800998ecf8427e\r\n<<TIMEOUT>>", await Ask("MD5 /dev1/empty\r\n"));
        Assert.Equal("ERR read /dev1/t at 0 failed\r\n<<TIMEOUT>>", await Ask("MD5 /dev1/t\r\n"));
        Assert.Equal("ERROR: uri invalid (contains ..)\r\n<<TIMEOUT>>", await Ask("MD5 /dev1/../x\r\n"));
        Assert.Equal("ERROR: unknown command: md5\r\n<<TIMEOUT>>", await Ask("md5 /x\r\n"));
        Assert.Equal("ERROR: unknown command: sha\r\n<<TIMEOUT>>", await Ask("SHA-256 /x\r\n"));
        Assert.Equal("ERROR: unknown command: md5\r\n<<TIMEOUT>>", await Ask($"MD5 {Fid} fsck extra\r\n"));
    }

    [Fact]
    public async Task Big_digest_and_fsck_serialisation_across_connections()
    {
        var data = new byte[8 * 1024 * 1024 + 5];
        new Random(5).NextBytes(data);
        _node.WriteFile("/dev2/big", data);
        string md5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(data));
        var tasks = Enumerable.Range(0, 4).Select(async _ =>
        {
            using var s = await Raw.ConnectAsync(_node.Mgmt);
            await Raw.SendAsync(s, "MD5 /dev2/big fsck\r\n");
            return await Raw.ReadLineAsync(s, 30000);
        }).ToArray();
        foreach (var r in await Task.WhenAll(tasks))
            Assert.Equal($"/dev2/big MD5={md5}\r\n", r);
    }

    [Fact]
    public async Task Commands_are_answered_in_order_on_one_connection()
    {
        var r = await Ask($"size {Fid}\r\nMD5 {Fid}\r\nsize /dev1/nothere\r\nSHA-1 /dev1/nothere\r\n");
        Assert.Equal($"{Fid} 11\r\n{Fid} MD5=5eb63bbbe01eeed093cb22bb8f5acdc3\r\n/dev1/nothere -1\r\n/dev1/nothere SHA-1=-1\r\n<<TIMEOUT>>", r);
    }

    [Fact]
    public async Task Admin_commands()
    {
        var up = await Ask("uptime\r\n");
        Assert.Matches(@"^starttime \d+\r\nuptime \d+\r\nversion 1\.80\r\n\.\r\n<<TIMEOUT>>$", up);
        Assert.Matches(@"^starttime \d+\r\nuptime \d+\r\nversion 1\.80\r\n\.\r\n<<TIMEOUT>>$", await Ask("version\r\n"));
        Assert.EndsWith(".\r\n<<TIMEOUT>>", await Ask("help\r\n"));
        Assert.Equal("\r\n<<TIMEOUT>>", await Ask("\r\n"));
        Assert.Equal("ERROR: unknown command: fid_sizes\r\n<<TIMEOUT>>", await Ask("fid_sizes /dev1\r\n"));
        Assert.Equal("ERROR: unknown command: bogus\r\n<<TIMEOUT>>", await Ask("bogus\r\n"));
    }

    [Fact]
    public async Task Watch_without_iostat_stays_silent_but_answers_buffered_commands()
    {
        using var s = await Raw.ConnectAsync(_node.Mgmt);
        await Raw.SendAsync(s, $"watch\r\nsize {Fid}\r\n");
        Assert.Equal($"{Fid} 11\r\n", await Raw.ReadLineAsync(s));
        await Task.Delay(200);
        await Raw.SendAsync(s, $"size {Fid}\r\n"); // no longer read after watch
        Assert.Equal("<<TIMEOUT>>", await Raw.ReadAllAsync(s, 500, firstByteMs: 500));
    }

    [Fact]
    public async Task Shutdown_closes_everything_at_once()
    {
        using var s = await Raw.ConnectAsync(_node.Mgmt);
        using var http = await Raw.ConnectAsync(_node.Http);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await Raw.SendAsync(s, "shutdown\n");
        Assert.Equal("<<EOF>>", await Raw.ReadAllAsync(s, 2000, firstByteMs: 2000));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), sw.Elapsed.ToString());
        await _node.Server.Completion.WaitAsync(TimeSpan.FromSeconds(4));
        await Assert.ThrowsAnyAsync<SocketException>(() => Raw.ConnectAsync(_node.Http));
    }

    [Fact]
    public async Task Shutdown_graceful_answers_empty_line_and_stops()
    {
        using var s = await Raw.ConnectAsync(_node.Mgmt);
        await Raw.SendAsync(s, "shutdown graceful 3\r\n");
        Assert.Equal("\r\n", await Raw.ReadLineAsync(s));
        await _node.Server.Completion.WaitAsync(TimeSpan.FromSeconds(5));
    }
}

/// <summary>The iostat stream of <c>watch</c>.</summary>
public sealed class WatchTests
{
    [Fact]
    public async Task Watch_streams_diskstats_utilisation_per_device()
    {
        await using var node = await Node.StartAsync(o => { o.IoStat = true; o.IoStatCommand = null; o.IoStatInterval = TimeSpan.FromMilliseconds(200); });
        using var s = await Raw.ConnectAsync(node.Mgmt);
        await Raw.SendAsync(s, "watch\n");
        var lines = new List<string>();
        for (int i = 0; i < 6; i++) lines.Add(await Raw.ReadLineAsync(s));
        // two reports: "1\tU\n2\tU\n.\n"
        Assert.Matches(@"^1\t(\d+\.\d\d|-)\n$", lines[0]);
        Assert.Matches(@"^2\t(\d+\.\d\d|-)\n$", lines[1]);
        Assert.Equal(".\n", lines[2]);
        Assert.Matches(@"^1\t", lines[3]);
        Assert.Equal(".\n", lines[5]);
    }

    [Fact]
    public async Task Watch_parses_an_iostat_command_like_2_73()
    {
        // A fake iostat (MOG_IOSTAT_CMD) reporting 12.50 for the disk holding the docroot.
        string? disk = null;
        var probe = Path.GetTempPath();
        if (Native.Libc.Stat(probe, out var st) == 0)
        {
            string sys = $"/sys/dev/block/{st.DevMajor}:{st.DevMinor}";
            if (Directory.Exists(sys))
            {
                var dir = new DirectoryInfo(sys).ResolveLinkTarget(true)?.FullName ?? sys;
                if (File.Exists(Path.Combine(dir, "partition"))) dir = Path.GetDirectoryName(dir)!;
                disk = Path.GetFileName(dir);
            }
        }
        string name = disk ?? "nosuchdisk";
        string cmd = $"for i in 1 2 3; do printf 'Device  r/s  w/s  %%util\\n{name}  1.00  2.00  12.50\\nloop0 0.00 0.00 0.00\\n\\n'; sleep 0.2; done";
        await using var node = await Node.StartAsync(o => { o.IoStat = true; o.IoStatCommand = cmd; });
        using var s = await Raw.ConnectAsync(node.Mgmt);
        await Raw.SendAsync(s, "watch\r\n");
        string expect = disk != null ? "12.50" : "-";
        Assert.Equal($"1\t{expect}\n", await Raw.ReadLineAsync(s));
        Assert.Equal($"2\t{expect}\n", await Raw.ReadLineAsync(s));
        Assert.Equal(".\n", await Raw.ReadLineAsync(s));
    }
}
