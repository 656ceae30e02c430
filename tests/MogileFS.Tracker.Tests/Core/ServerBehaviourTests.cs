using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MogileFS.TestSupport;

namespace MogileFS.Tracker.Tests.Core;

/// <summary>Framing, pipelining, concurrency, bad input and process behaviour of the TCP server.</summary>
public sealed class ServerBehaviourTests
{
    private static readonly TimeSpan T = TimeSpan.FromSeconds(15);

    private static async Task<string> ReadLineAsync(TrackerClient c)
    {
        var b = await c.ReadLineAsync(T) ?? throw new EndOfStreamException("connection closed");
        return Encoding.Latin1.GetString(b);
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order()
    {
        await using var host = await TrackerHost.StartAsync();
        await using var c = await host.ConnectAsync();
        var sb = new StringBuilder();
        var expected = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            switch (i % 4)
            {
                case 0: sb.Append($"noop callid={i}\r\n"); expected.Add($"OK callid={i}\r\n"); break;
                case 1: sb.Append($"bogus callid={i}\n"); expected.Add($"ERR unknown_command Unknown+server+command {i}\r\n"); break;
                case 2: sb.Append("\r\n\n"); break; // empty lines: no reply
                default: sb.Append($"!version\r\n"); expected.Add("2.73\r\n"); expected.Add(".\r\n"); break;
            }
        }
        await c.SendAsync(sb.ToString());
        foreach (var e in expected) Assert.Equal(e, await ReadLineAsync(c));
    }

    [Fact]
    public async Task Replies_before_a_slow_query_are_sent_at_once_and_order_is_kept()
    {
        await using var host = await TrackerHost.StartAsync();
        await using var c = await host.ConnectAsync();
        var sw = Stopwatch.StartNew();
        await c.SendAsync("noop callid=1\r\nsleep duration=1&callid=2\r\nnoop callid=3\r\n");
        Assert.Equal("OK callid=1\r\n", await ReadLineAsync(c));
        Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(900), $"first reply took {sw.Elapsed}");
        Assert.Equal("OK callid=2\r\n", await ReadLineAsync(c));
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(950));
        Assert.Equal("OK callid=3\r\n", await ReadLineAsync(c));
    }

    [Fact]
    public async Task A_sleep_on_one_connection_does_not_stall_another()
    {
        await using var host = await TrackerHost.StartAsync(queryJobs: 2);
        await using var a = await host.ConnectAsync();
        await using var b = await host.ConnectAsync();
        await a.SendAsync("sleep duration=3\r\n");
        await Task.Delay(100);
        var sw = Stopwatch.StartNew();
        Assert.Equal("OK \r\n", await b.QueryAsync("noop") + "\r\n");
        Assert.Equal("OK domains=0", await b.QueryAsync("get_domains"));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"took {sw.Elapsed}");
        Assert.Equal("OK \r\n", await ReadLineAsync(a));
    }

    [Fact]
    public async Task Query_jobs_limit_queues_fifo_and_queue_shows_waiting_queries()
    {
        await using var host = await TrackerHost.StartAsync(queryJobs: 1);
        await using var a = await host.ConnectAsync();
        await using var b = await host.ConnectAsync();
        await using var adm = await host.ConnectAsync();
        await a.SendAsync("sleep duration=2\r\n");
        await Task.Delay(200);
        await b.SendAsync("noop callid=waiting\r\n");
        await Task.Delay(200);
        await adm.SendAsync("!queue\r\n");
        Assert.Equal("127.0.0.1 noop callid=waiting\r\n", await ReadLineAsync(adm));
        Assert.Equal(".\r\n", await ReadLineAsync(adm));
        await adm.SendAsync("!stats\r\n");
        var stats = new List<string>();
        for (string l; (l = await ReadLineAsync(adm)) != ".\r\n";) stats.Add(l);
        Assert.Contains("pending_queries 1\r\n", stats);
        Assert.Contains("processing_queries 1\r\n", stats);
        Assert.Contains("bored_queryworkers 0\r\n", stats);
        // Admin commands are never queued.
        Assert.Equal("OK \r\n", await ReadLineAsync(a));
        Assert.Equal("OK callid=waiting\r\n", await ReadLineAsync(b));
        // !want changes the limit.
        await adm.SendAsync("!want 2 queryworker\r\n");
        Assert.Equal("Now desiring 2 children doing 'queryworker'.\r\n", await ReadLineAsync(adm));
        Assert.Equal(".\r\n", await ReadLineAsync(adm));
        await a.SendAsync("sleep duration=2\r\n");
        await Task.Delay(200);
        var sw = Stopwatch.StartNew();
        Assert.Equal("OK ", await b.QueryAsync("noop"));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Binary_garbage_and_odd_lines_get_unknown_command_and_the_connection_survives()
    {
        await using var host = await TrackerHost.StartAsync();
        await using var c = await host.ConnectAsync();
        var garbage = new byte[] { 0x00, 0xFF, 0xFE, 0x01, (byte)'&', (byte)'=', 0x80, 0x0D, 0x0D, 0x0A };
        await c.SendAsync(garbage);
        Assert.Equal("ERR unknown_command Unknown+server+command\r\n", await ReadLineAsync(c));
        await c.SendAsync("\u00ff\u00fenoop callid=1\r\n"u8.ToArray());
        Assert.Equal("ERR unknown_command Unknown+server+command\r\n", await ReadLineAsync(c));
        await c.SendAsync("noop\r\r\n"); // the second CR belongs to the line (whitespace after the name)
        Assert.Equal("OK \r\n", await ReadLineAsync(c));
        await c.SendAsync("clear_cache k=%ZZ%&x=%C3%28\r\n");
        Assert.Equal("OK k=%25ZZ%25&x=%C3%28\r\n", await ReadLineAsync(c));
        var sb = new StringBuilder("create_domain domain=");
        for (int i = 0; i < 300; i++) sb.Append("%FF");
        await c.SendAsync(sb.Append("\r\n").ToString());
        // 300 bytes do not fit VARCHAR(255) on Postgres; on SQLite they are stored byte-exact.
        Assert.StartsWith("OK domain=%FF%FF", await ReadLineAsync(c));
        Assert.Equal("OK ", await c.QueryAsync("noop"));
    }

    [Fact]
    public async Task Over_long_line_gets_an_error_and_the_connection_stays_usable()
    {
        await using var host = await TrackerHost.StartAsync();
        await using var c = await host.ConnectAsync();
        await c.SendAsync("noop callid=before\r\n");
        var big = new byte[TrackerServer.MaxRequestLineBytes + 5000];
        Array.Fill(big, (byte)'a');
        await c.SendAsync(big);
        await c.SendAsync("aaaa\r\nnoop callid=after\r\n");
        Assert.Equal("OK callid=before\r\n", await ReadLineAsync(c));
        Assert.StartsWith("ERR line_too_long ", await ReadLineAsync(c));
        Assert.Equal("OK callid=after\r\n", await ReadLineAsync(c));
    }

    [Fact]
    public async Task Unterminated_last_line_is_discarded_at_close()
    {
        await using var host = await TrackerHost.StartAsync();
        await using (var c = await host.ConnectAsync())
        {
            await c.SendAsync("create_domain domain=halfline"); // pecl's QUIT without CRLF, in spirit
            c.Socket.Shutdown(SocketShutdown.Send);
            Assert.Null(await c.ReadLineAsync(TimeSpan.FromSeconds(2)));
        }
        Assert.Equal("OK domains=0", await host.QueryAsync("get_domains"));
    }

    [Fact]
    public async Task Thousands_of_connections_are_served()
    {
        await using var host = await TrackerHost.StartAsync();
        var clients = new List<TrackerClient>();
        try
        {
            for (int i = 0; i < 2000; i++) clients.Add(await host.ConnectAsync());
            var replies = await Task.WhenAll(clients.Select((c, i) => c.QueryAsync($"noop callid={i}")));
            for (int i = 0; i < replies.Length; i++) Assert.Equal($"OK callid={i}", replies[i]);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public async Task Unexpected_exception_is_failure_and_watchers_see_it()
    {
        await using var host = await TrackerHost.StartAsync();
        await using var w = await host.ConnectAsync();
        await w.SendAsync("!watch\r\n");
        Assert.Equal("Added you to watcher list.\r\n", await ReadLineAsync(w));
        Assert.Equal(".\r\n", await ReadLineAsync(w));
        Assert.Equal("ERR failure Operation+failed x", await host.QueryAsync("test crash=1&callid=x"));
        // The monitor's start-up notice ("Job monitor has only 0, wants 1, making 1.") is published from
        // the job host's own task and may reach a watcher that joined right after start: skip it.
        string line;
        do line = await ReadLineAsync(w); while (line.StartsWith(":: Job ", StringComparison.Ordinal));
        Assert.Matches(@"^:: \[queryworker\(\d+\)\] Error running command 'test': Crashed on purpose\r\n$", line);
    }

    [Fact]
    public async Task Shutdown_closes_connections_and_frees_the_port()
    {
        var host = await TrackerHost.StartAsync();
        await using var _ = host;
        var ep = host.EndPoint;
        await using var other = await host.ConnectAsync();
        await using var c = await host.ConnectAsync();
        await c.SendAsync("!shutdown\r\n");
        Assert.Null(await c.ReadLineAsync(TimeSpan.FromSeconds(5)));
        await host.Server.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(await other.ReadLineAsync(TimeSpan.FromSeconds(5)));
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(ep); // the port is free again at once
    }

    [Fact]
    public async Task Client_that_does_not_read_does_not_hurt_others()
    {
        await using var host = await TrackerHost.StartAsync();
        using var slow = await host.ConnectAsync();
        slow.Socket.ReceiveBufferSize = 4096;
        var batch = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("get_domains\r\n", 2000)));
        var sending = Task.Run(async () =>
        {
            try { for (int i = 0; i < 50; i++) await slow.SendAsync(batch); } catch { /* server stopped reading: fine */ }
        });
        await Task.Delay(500);
        await using var ok = await host.ConnectAsync();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 20; i++) Assert.Equal("OK ", await ok.QueryAsync("noop"));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2));
        slow.Dispose();
        await sending;
        Assert.Equal("OK ", await ok.QueryAsync("noop"));
    }
}
