using MogileFS.Client.Tracker;

namespace MogileFS.Client.Tests;

/// <summary>Fail-over, retry rules and timeouts of the tracker connection pool, against scripted fake trackers.</summary>
public class BackendTests
{
    private static MogileFSClientOptions Options(params string[] trackers) => new()
    {
        Trackers = trackers.ToList(), Domain = "d", RequestTimeout = TimeSpan.FromSeconds(5),
    };

    private static string ClosedPort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return $"127.0.0.1:{port}";
    }

    [Fact]
    public async Task A_tracker_that_refuses_connections_is_skipped()
    {
        await using var good = new FakeTracker(_ => "OK paths=1&path1=http://h/x");
        var options = Options(ClosedPort(), good.Address);
        for (int i = 0; i < 4; i++)
        {
            using var client = new MogileFSClient(options);
            var paths = await client.GetPathsAsync("k");
            Assert.Equal(["http://h/x"], paths);
        }
    }

    [Fact]
    public async Task No_tracker_reachable_is_one_clear_error()
    {
        using var client = new MogileFSClient(Options(ClosedPort(), ClosedPort()));
        var e = await Assert.ThrowsAsync<MogileFSConnectionException>(() => client.NoopAsync());
        Assert.Equal("tracker_unavailable", e.ErrorCode);
        Assert.Contains("connection refused", e.Message);
        Assert.False(e.MayHaveBeenApplied);
    }

    [Fact]
    public async Task A_change_is_not_resent_when_the_connection_breaks_after_sending_it()
    {
        await using var first = new FakeTracker(_ => null);       // reads the request, hangs up
        await using var second = new FakeTracker(_ => "OK ");
        var options = Options(first.Address, second.Address);
        options.DeadTrackerRetryInterval = TimeSpan.Zero;
        using var backend = new TrackerBackend(options);
        // Whichever tracker is tried first, the delete must reach at most one of them.
        for (int i = 0; i < 6; i++)
        {
            try
            {
                await backend.SendAsync("delete", RequestSafety.NotIdempotent, default, ("domain", "d"), ("key", "k" + i));
            }
            catch (MogileFSConnectionException e)
            {
                Assert.Equal("connection_lost", e.ErrorCode);
                Assert.True(e.MayHaveBeenApplied);
            }
        }
        Assert.Equal(6, first.Requests.Count + second.Requests.Count);
    }

    [Fact]
    public async Task A_read_is_retried_on_another_tracker_when_the_connection_breaks()
    {
        await using var first = new FakeTracker(_ => null);
        await using var second = new FakeTracker(_ => "OK fid=7&domain=d&class=default&key=k&length=3&devcount=1");
        using var client = new MogileFSClient(Options(first.Address, second.Address));
        for (int i = 0; i < 4; i++)
        {
            var info = await client.FileInfoAsync("k");
            Assert.Equal(7, info!.Fid);
        }
    }

    [Fact]
    public async Task A_tracker_that_does_not_answer_times_out()
    {
        await using var slow = new FakeTracker(_ => FakeTracker.Hang);
        var options = Options(slow.Address);
        options.RequestTimeout = TimeSpan.FromMilliseconds(300);
        using var client = new MogileFSClient(options);
        var e = await Assert.ThrowsAsync<MogileFSConnectionException>(() => client.DeleteAsync("k"));
        Assert.Equal("timeout", e.ErrorCode);
        Assert.True(e.MayHaveBeenApplied);
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        await using var slow = new FakeTracker(_ => FakeTracker.Hang);
        using var client = new MogileFSClient(Options(slow.Address));
        using var cts = new CancellationTokenSource(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetPathsAsync("k", null, cts.Token));
    }

    [Fact]
    public async Task Connections_are_reused_and_a_tracker_restart_costs_no_failed_call()
    {
        int connections = 0;
        var fake = new FakeTracker(_ => "OK ");
        using var backend = new TrackerBackend(Options(fake.Address));
        for (int i = 0; i < 5; i++) await backend.SendAsync("noop", RequestSafety.NotIdempotent, default);
        Assert.Equal(5, fake.Requests.Count);
        connections++;
        var address = fake.Address;
        await fake.DisposeAsync(); // the pooled connection is now closed by the peer
        var port = int.Parse(address.Split(':')[1]);
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        listener.Start();
        var serve = Task.Run(async () =>
        {
            using var c = await listener.AcceptTcpClientAsync();
            var s = c.GetStream();
            var buf = new byte[256];
            int n = await s.ReadAsync(buf);
            await s.WriteAsync("OK \r\n"u8.ToArray());
            await Task.Delay(200);
            return n;
        });
        // A non-idempotent command: had the stale connection been used, this would fail.
        await backend.SendAsync("delete", RequestSafety.NotIdempotent, default, ("domain", "d"), ("key", "k"));
        Assert.True(await serve > 0);
        listener.Stop();
    }

    [Fact]
    public async Task Err_reply_keeps_the_connection_usable()
    {
        int n = 0;
        await using var fake = new FakeTracker(_ => n++ % 2 == 0 ? "ERR unknown_key unknown_key" : "OK ");
        using var client = new MogileFSClient(Options(fake.Address));
        Assert.Null(await client.FileInfoAsync("nope"));
        await client.NoopAsync();
        Assert.False(await client.DeleteAsync("nope"));
    }

    [Fact]
    public async Task List_keys_pages_until_a_short_page()
    {
        await using var fake = new FakeTracker(line =>
        {
            if (line.Contains("after=k3")) return "OK key_count=1&key_1=k4&next_after=k4";
            return "OK key_count=3&key_1=k1&key_2=k2&key_3=k3&next_after=k3";
        });
        using var client = new MogileFSClient(Options(fake.Address));
        var keys = new List<string>();
        await foreach (var k in client.ListKeysAsync("k", pageSize: 3)) keys.Add(k);
        Assert.Equal(["k1", "k2", "k3", "k4"], keys);
        Assert.Contains(fake.Requests, r => r.StartsWith("list_keys ") && r.Contains("prefix=k") && r.Contains("limit=3"));
    }
}
