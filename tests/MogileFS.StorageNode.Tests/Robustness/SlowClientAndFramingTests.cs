using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MogileFS.StorageNode.Tests.Support;
using Xunit.Abstractions;

namespace MogileFS.StorageNode.Tests.Robustness;

/// <summary>
/// Issue 17, item 4: slowloris connections were never closed (every header line reset the idle
/// sweep) and, above maxconns, kept every normal client out; ambiguous framing was accepted or
/// left unanswered. Slow clients are now closed at header_timeout / body_min_rate, one address
/// cannot take every connection, and ambiguous framing gets 400 and a closed connection.
/// </summary>
[Trait("Category", "Robustness")]
public sealed class SlowClientAndFramingTests(ITestOutputHelper output)
{
    public static TheoryData<string> AmbiguousFraming => new()
    {
        // both framings (RFC 9112 §6.1), in either order, on a PUT and on a GET
        "PUT /dev1/f/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "PUT /dev1/f/x HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "GET /dev1/ HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        // Content-Length out of range (20 digits), doubled and conflicting, conflicting list
        "PUT /dev1/f/x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\nhello",
        "PUT /dev1/f/x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "PUT /dev1/f/x HTTP/1.1\r\ncontent-length: 6\r\nCONTENT-LENGTH: 5\r\n\r\nhello!",
        "PUT /dev1/f/x HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\nhello!",
        // codings we do not implement, or chunked twice
        "PUT /dev1/f/x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "PUT /dev1/f/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "PUT /dev1/f/x HTTP/1.1\r\nTransfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello",
    };

    [Theory]
    [MemberData(nameof(AmbiguousFraming))]
    public async Task Issue17_ambiguous_framing_gets_400_and_a_closed_connection(string request)
    {
        await using var node = await Node.StartAsync();
        var r = await Raw.ExchangeAsync(node.Http, request, quietMs: 3000);
        Assert.StartsWith("HTTP/1.0 400 ", r);
        Assert.EndsWith("<<EOF>>", r);
        Assert.False(File.Exists(node.PathOf("/dev1/f/x")));
        Assert.True(!Directory.Exists(node.PathOf("/dev1/f")) || Directory.GetFileSystemEntries(node.PathOf("/dev1/f")).Length == 0);
    }

    [Theory]
    [InlineData("Content-Length: 5\r\nContent-Length: 5", "hello", "hello")]
    [InlineData("Content-Length: 5, 5", "hello", "hello")]
    [InlineData("Transfer-Encoding: Chunked", "5\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("Content-Length: abc", "", "")] // 2.73: a non-numeric length is 0 (documented, kept)
    public async Task Unambiguous_framing_is_still_accepted(string headers, string body, string stored)
    {
        await using var node = await Node.StartAsync();
        var r = await Raw.ExchangeAsync(node.Http, $"PUT /dev1/f/ok HTTP/1.0\r\n{headers}\r\n\r\n{body}", quietMs: 3000);
        Assert.StartsWith("HTTP/1.0 200 ", r);
        Assert.Equal(stored, File.ReadAllText(node.PathOf("/dev1/f/ok")));
    }

    [Fact]
    public async Task Issue17_slowloris_head_is_closed_at_header_timeout()
    {
        await using var node = await Node.StartAsync(o => o.HeaderTimeout = TimeSpan.FromSeconds(1));
        using var s = await Raw.ConnectAsync(node.Http);
        var sw = Stopwatch.StartNew();
        await Raw.SendAsync(s, "GET /dev1/ HTTP/1.1\r\n");
        // One header line every 200 ms: activity that the idle sweep (30 s) would accept forever.
        bool closed = false;
        for (int i = 0; i < 100 && !closed; i++)
        {
            await Task.Delay(200);
            try { await Raw.SendAsync(s, $"X-Slow-{i}: y\r\n"); }
            catch (SocketException) { closed = true; }
            if (!closed && s.Poll(0, SelectMode.SelectRead)) closed = s.Available == 0;
        }
        output.WriteLine($"slowloris connection closed after {sw.Elapsed.TotalMilliseconds:0} ms (header_timeout 1 s)");
        Assert.True(closed, "the slow head was not closed within 20 s");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Issue17_upload_slower_than_body_min_rate_is_closed_and_discarded()
    {
        await using var node = await Node.StartAsync(o =>
        {
            o.BodyTimeout = TimeSpan.FromSeconds(1);
            o.BodyMinRate = 1000;
        });
        using var s = await Raw.ConnectAsync(node.Http);
        await Raw.SendAsync(s, "PUT /dev1/slow/x HTTP/1.1\r\nContent-Length: 100000\r\n\r\n");
        var sw = Stopwatch.StartNew();
        bool closed = false;
        for (int i = 0; i < 150 && !closed; i++)
        {
            await Task.Delay(100);
            try { await Raw.SendAsync(s, "0123456789"); } // 100 bytes/s, a tenth of the minimum
            catch (SocketException) { closed = true; }
            if (!closed && s.Poll(0, SelectMode.SelectRead)) closed = s.Available == 0;
        }
        output.WriteLine($"slow upload closed after {sw.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(closed, "the slow upload was not closed within 15 s");
        await Task.Delay(200);
        Assert.Empty(Directory.GetFileSystemEntries(node.PathOf("/dev1/slow")));
    }

    [Fact]
    public async Task Fast_enough_upload_over_the_body_timeout_is_kept()
    {
        await using var node = await Node.StartAsync(o =>
        {
            o.BodyTimeout = TimeSpan.FromMilliseconds(500);
            o.BodyMinRate = 1000;
        });
        using var s = await Raw.ConnectAsync(node.Http);
        await Raw.SendAsync(s, "PUT /dev1/ok/x HTTP/1.0\r\nContent-Length: 40000\r\n\r\n");
        for (int i = 0; i < 20; i++) // 2000 bytes every 100 ms: 20 KB/s for 2 s
        {
            await Raw.SendAsync(s, new string('z', 2000));
            await Task.Delay(100);
        }
        Assert.StartsWith("HTTP/1.0 200", await Raw.ReadAllAsync(s));
        Assert.Equal(40000, new FileInfo(node.PathOf("/dev1/ok/x")).Length);
    }

    /// <summary>The peer closed (or reset) the connection; unread bytes (a 503) are drained first.</summary>
    internal static bool IsClosedByPeer(Socket s)
    {
        var buf = new byte[4096];
        try
        {
            while (s.Poll(0, SelectMode.SelectRead))
            {
                if (s.Available == 0) return true;
                if (s.Receive(buf) == 0) return true;
            }
            return false;
        }
        catch (SocketException) { return true; }
    }

    /// <summary>Issue 17, item 4: 1,050 slow connections (above maxconns) left 0 of 5 normal GETs
    /// served. One address may now hold only maxconns_per_ip (half of maxconns by default), and its
    /// slow heads are closed at header_timeout.</summary>
    [Fact]
    public async Task Issue17_slowloris_flood_from_one_address_leaves_room_for_others()
    {
        await using var node = await Node.StartAsync(o =>
        {
            o.MaxConns = 200;
            o.HeaderTimeout = TimeSpan.FromSeconds(2);
        });
        node.WriteFile("/dev1/f/ok", "fine");
        var flood = new List<Socket>();
        try
        {
            for (int i = 0; i < 260; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0));
                await s.ConnectAsync(node.Http);
                try { await Raw.SendAsync(s, "GET /dev1/f/ok HTTP/1.1\r\nX-A: 1\r\n"); } catch (SocketException) { }
                flood.Add(s);
            }
            await Task.Delay(300);
            int served = 0;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 5; i++)
            {
                using var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                c.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.4"), 0));
                await c.ConnectAsync(node.Http);
                await Raw.SendAsync(c, "GET /dev1/f/ok HTTP/1.0\r\n\r\n");
                if ((await Raw.ReadAllAsync(c)).EndsWith("\r\n\r\nfine<<EOF>>", StringComparison.Ordinal)) served++;
            }
            output.WriteLine($"{served} of 5 normal GETs served during the flood, in {sw.Elapsed.TotalMilliseconds:0} ms");
            Assert.Equal(5, served);
            // the flood's own connections are closed at the head deadline
            await Task.Delay(4500);
            int open = flood.Count(s => !IsClosedByPeer(s));
            Assert.Equal(0, open);
        }
        finally
        {
            foreach (var s in flood) s.Dispose();
        }
    }
}
