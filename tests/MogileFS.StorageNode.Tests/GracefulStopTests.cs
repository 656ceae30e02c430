using MogileFS.StorageNode.Tests.Support;

namespace MogileFS.StorageNode.Tests;

public sealed class GracefulStopTests
{
    [Fact]
    public async Task Upload_that_does_not_finish_within_the_grace_period_leaves_nothing()
    {
        await using var node = await Node.StartAsync(o => o.ShutdownGrace = TimeSpan.FromMilliseconds(500));
        node.WriteFile("/dev1/t/old", "old contents");
        using var s = await Raw.ConnectAsync(node.Http);
        await Raw.SendAsync(s, "PUT /dev1/t/old HTTP/1.0\r\nContent-Length: 100\r\n\r\npartial");
        using var idle = await Raw.ConnectAsync(node.Http);
        await Raw.SendAsync(idle, "GET / HTTP/1.1\r\n\r\n");
        await Task.Delay(200);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await node.Server.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), sw.Elapsed.ToString());
        Assert.EndsWith("<<EOF>>", await Raw.ReadAllAsync(idle, 2000));
        Assert.Equal("old contents", File.ReadAllText(node.PathOf("/dev1/t/old")));
        Assert.Equal(["old"], Directory.GetFiles(node.PathOf("/dev1/t")).Select(f => Path.GetFileName(f)).ToArray());
        Assert.True(node.Server.Completion.IsCompleted);
    }
}
