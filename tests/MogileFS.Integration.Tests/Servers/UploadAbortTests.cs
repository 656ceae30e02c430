using System.Net;
using System.Net.Sockets;
using System.Text;
using MogileFS.StorageNode;
using MogileFS.TestSupport;

namespace MogileFS.Integration.Tests.Servers;

/// <summary>
/// A client that disconnects in the middle of an upload to a storage node leaves nothing behind:
/// no file at the target path and, once the node has noticed, no temporary file either.
/// </summary>
public sealed class UploadAbortTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("mogfs-upload-");
    private readonly CapturingLoggerProvider _logs = new();
    private StorageNodeServer _node = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir.Combine("dev1"));
        _node = new StorageNodeServer(new StorageNodeOptions
        {
            HttpListen = "127.0.2.1:0",
            MgmtListen = "127.0.2.1:0",
            DocRoot = _dir.Path,
            UsageInterval = TimeSpan.Zero,
        }, _logs.CreateFactory());
        await _node.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<Socket> ConnectAsync()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(_node.HttpEndPoint);
        return s;
    }

    private string[] FilesUnder(string relative) =>
        Directory.Exists(_dir.Combine(relative)) ? Directory.GetFiles(_dir.Combine(relative), "*", SearchOption.AllDirectories) : [];

    /// <summary>Waits until no file is left under dev1 (the node removes its temp file when it sees the
    /// connection end); the target must never appear meanwhile.</summary>
    private async Task AssertNothingLeftAsync(string target)
    {
        string[] left = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(10); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            Assert.False(File.Exists(_dir.Combine(target.TrimStart('/'))), "the target appeared although the upload was cut off");
            left = FilesUnder("dev1");
            if (left.Length == 0) return;
        }
        Assert.Fail("files left behind: " + string.Join(", ", left));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Upload_cut_off_mid_body_leaves_no_file(bool reset)
    {
        const string target = "/dev1/0/000/000/0000000001.fid";
        var s = await ConnectAsync();
        await s.SendAsync(Encoding.ASCII.GetBytes($"PUT {target} HTTP/1.0\r\nContent-Length: 100000\r\n\r\n"));
        await s.SendAsync(new byte[40000]);
        await Task.Delay(300); // let the node start writing
        if (reset) s.LingerState = new LingerOption(true, 0);
        s.Close();
        await AssertNothingLeftAsync(target);
    }

    [Fact]
    public async Task Chunked_upload_cut_off_leaves_no_file()
    {
        const string target = "/dev1/0/000/000/0000000002.fid";
        var s = await ConnectAsync();
        await s.SendAsync(Encoding.ASCII.GetBytes($"PUT {target} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
        await s.SendAsync(Encoding.ASCII.GetBytes("1000\r\n" + new string('a', 4096) + "\r\n" + "1000\r\n" + new string('b', 100)));
        await Task.Delay(300);
        s.Close();
        await AssertNothingLeftAsync(target);
    }

    [Fact]
    public async Task A_complete_upload_after_an_aborted_one_stores_exactly_the_new_bytes()
    {
        const string target = "/dev1/0/000/000/0000000003.fid";
        var s = await ConnectAsync();
        await s.SendAsync(Encoding.ASCII.GetBytes($"PUT {target} HTTP/1.0\r\nContent-Length: 5000\r\n\r\n"));
        await s.SendAsync(new byte[100]);
        s.Close();
        await AssertNothingLeftAsync(target);

        using var http = new HttpClient();
        var url = $"http://{_node.HttpEndPoint}{target}";
        var response = await http.PutAsync(url, new ByteArrayContent("complete"u8.ToArray()));
        Assert.True(response.IsSuccessStatusCode, $"PUT answered {(int)response.StatusCode}");
        Assert.Equal("complete", await File.ReadAllTextAsync(_dir.Combine(target.TrimStart('/'))));
        Assert.Single(FilesUnder("dev1"));
    }
}
