using MogileFS.StorageNode.Tests.Support;

namespace MogileFS.StorageNode.Tests;

/// <summary>Request-size limits, the connection limit and the idle timeout.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task Long_request_line_is_414_and_big_headers_431()
    {
        await using var node = await Node.StartAsync(o => o.MaxHeaderBytes = 4096);
        var r = await Raw.ExchangeAsync(node.Http, "GET /" + new string('a', 5000) + " HTTP/1.0\r\n\r\n");
        Assert.StartsWith("HTTP/1.0 414 Request-URI Too Long\r\n", r);
        Assert.EndsWith("<<EOF>>", r);
        r = await Raw.ExchangeAsync(node.Http, "GET / HTTP/1.0\r\n" + string.Concat(Enumerable.Range(0, 100).Select(i => $"X-H{i}: {new string('v', 60)}\r\n")) + "\r\n");
        Assert.StartsWith("HTTP/1.0 431 Request Header Fields Too Large\r\n", r);
        // just under the limit is fine
        r = await Raw.ExchangeAsync(node.Http, "GET / HTTP/1.0\r\nX-A: " + new string('v', 3000) + "\r\n\r\n");
        Assert.StartsWith("HTTP/1.0 200 OK", r);
    }

    [Theory]
    [InlineData("GET /\r\n\r\n")]
    [InlineData("GET  / HTTP/1.0\r\n\r\n")]
    [InlineData("GET / HTTP/1.0\r\nNoColonHere\r\n\r\n")]
    [InlineData("GET / FTP/1.0\r\n\r\n")]
    public async Task Malformed_requests_get_400_and_close(string request)
    {
        await using var node = await Node.StartAsync();
        var r = await Raw.ExchangeAsync(node.Http, request);
        Assert.StartsWith("HTTP/1.0 400 Bad request\r\n", r);
        Assert.EndsWith("<<EOF>>", r);
    }

    [Fact]
    public async Task Http2_version_is_505()
    {
        await using var node = await Node.StartAsync();
        Assert.StartsWith("HTTP/1.0 505 ", await Raw.ExchangeAsync(node.Http, "GET / HTTP/2.0\r\n\r\n"));
    }

    [Fact]
    public async Task Connections_beyond_maxconns_get_503()
    {
        await using var node = await Node.StartAsync(o => o.MaxConns = 2);
        using var a = await Raw.ConnectAsync(node.Http);
        using var b = await Raw.ConnectAsync(node.Http);
        await Task.Delay(200);
        var r = await Raw.ExchangeAsync(node.Http, "GET / HTTP/1.0\r\n\r\n");
        Assert.StartsWith("HTTP/1.0 503 Service Unavailable\r\n", r);
        Assert.EndsWith("<h1>503 - Service Unavailable</h1>\nToo many connections<<EOF>>", r);
        a.Dispose();
        await Task.Delay(300);
        Assert.StartsWith("HTTP/1.0 200", await Raw.ExchangeAsync(node.Http, "GET / HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Idle_and_stalled_connections_are_closed()
    {
        await using var node = await Node.StartAsync(o => o.IdleTimeout = TimeSpan.FromMilliseconds(600));
        using var idle = await Raw.ConnectAsync(node.Http);
        await Raw.SendAsync(idle, "GET / HTTP/1.1\r\n\r\n");
        var r = await Raw.ReadAllAsync(idle, quietMs: 5000);
        Assert.StartsWith("HTTP/1.0 200", r);
        Assert.EndsWith("<<EOF>>", r);

        using var stalled = await Raw.ConnectAsync(node.Http);
        await Raw.SendAsync(stalled, "PUT /dev1/x/stall HTTP/1.0\r\nContent-Length: 10\r\n\r\nabc");
        Assert.Equal("<<EOF>>", await Raw.ReadAllAsync(stalled, quietMs: 5000));
        await Task.Delay(100);
        Assert.Empty(Directory.GetFiles(node.PathOf("/dev1/x")));
    }
}
