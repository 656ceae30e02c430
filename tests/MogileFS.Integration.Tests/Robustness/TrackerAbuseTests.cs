using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using MogileFS.TestSupport.Cluster;
using MogileFS.TestSupport;
using Xunit.Abstractions;

namespace MogileFS.Integration.Tests.Robustness;

/// <summary>
/// Clients that misbehave on purpose (resets while queued, pipelining without reading, floods,
/// half-closed sockets) against a real tracker. Each case checks that the tracker stays up, that a
/// well-behaved client is still answered (a liveness bound, not a speed target), and that no query
/// slot is left taken once the abusers are gone.
/// </summary>
[Collection(MeasuredAloneCollection.Name)]
public sealed class TrackerAbuseTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Alive = TimeSpan.FromSeconds(5);

    /// <summary>Issue 17, item 1: a connection reset while its query waited for a slot leaked that
    /// slot once it was granted; after two rounds no query was answered any more.</summary>
    [Fact]
    public async Task Issue17_reset_while_queued_leaks_no_query_slot()
    {
        await using var cluster = await TestCluster.StartAsync(new ClusterOptions { QueryJobs = 2 });
        var ep = cluster.TrackerEndPoint;
        for (int round = 0; round < 3; round++)
        {
            var sleepers = new List<TrackerClient>();
            for (int i = 0; i < 2; i++)
            {
                var s = await TrackerClient.ConnectAsync(ep);
                await s.SendAsync("sleep duration=2\r\n");
                sleepers.Add(s);
            }
            await Task.Delay(200);
            for (int i = 0; i < 4; i++)
            {
                var rst = await TrackerClient.ConnectAsync(ep);
                rst.Socket.LingerState = new LingerOption(true, 0);
                await rst.SendAsync("!stats\r\nnoop\r\n");
                rst.Close();
            }
            foreach (var s in sleepers)
            {
                Assert.StartsWith("OK", Encoding.Latin1.GetString(await s.ReadLineAsync(TimeSpan.FromSeconds(30)) ?? []));
                s.Close();
            }
            var sw = Stopwatch.StartNew();
            Assert.Equal("OK callid=" + round, await TrackerClient.QueryOnceAsync(ep, "noop callid=" + round, Alive));
            output.WriteLine($"round {round}: noop after the resets in {sw.Elapsed.TotalMilliseconds:0.0} ms");
        }
        await AssertNoSlotsTakenAsync(cluster);
    }

    /// <summary>Issue 17, item 1 (second drill): clients that pipeline megabytes without reading
    /// held query slots while their replies could not be written (a handler that waited flushed
    /// earlier replies while holding its slot), so everyone else waited for the slow-reader watchdog.</summary>
    [Fact]
    public async Task Issue17_clients_that_never_read_do_not_starve_others()
    {
        await using var cluster = await TestCluster.StartAsync(new ClusterOptions
        {
            QueryJobs = 3,
            ConfigureTracker = o => o.SlowReaderTimeoutSeconds = 30,
        });
        var ep = cluster.TrackerEndPoint;
        // 16 clients, each about 8 MiB of requests whose replies echo a 4 KiB argument, with a
        // sleep (a handler that does not complete at once) every 50 lines; none reads a byte.
        string pad = new('p', 4096);
        var sb = new StringBuilder();
        for (int i = 0; i < 2000; i++)
            sb.Append(i % 50 == 49 ? "sleep duration=0.5\r\n" : $"clear_cache n={i}&pad={pad}\r\n");
        byte[] flood = Encoding.ASCII.GetBytes(sb.ToString());
        var abusers = new List<TrackerClient>();
        var senders = new List<Task>();
        for (int i = 0; i < 16; i++)
        {
            var a = await TrackerClient.ConnectAsync(ep);
            a.Socket.ReceiveBufferSize = 4096;
            abusers.Add(a);
            senders.Add(Task.Run(async () =>
            {
                try { await a.SendAsync(flood); } catch (Exception) { /* closed by the tracker */ }
            }));
        }
        long heapBefore = GC.GetTotalMemory(true);
        try
        {
            await MeasureNoopAsync(ep, TimeSpan.FromSeconds(6), "during the non-reading flood");
            long heap = GC.GetTotalMemory(true);
            output.WriteLine($"managed heap during the flood (tracker and clients, one process): +{(heap - heapBefore) / 1024} KiB; " +
                             $"process RSS {Environment.WorkingSet / 1048576} MiB");
            // Bounded: at most max_reply_bytes (1 MiB) of replies per connection, and what the kernel buffers.
            Assert.True(heap - heapBefore < 16 * 1024 * 1024 + 16L * 1024 * 1024, $"heap grew by {heap - heapBefore} bytes");
        }
        finally
        {
            foreach (var a in abusers) a.Close();
            await Task.WhenAll(senders).WaitAsync(TimeSpan.FromSeconds(30));
        }
        await MeasureNoopAsync(ep, TimeSpan.FromSeconds(2), "after the non-reading flood");
        await AssertNoSlotsTakenAsync(cluster);
    }

    /// <summary>Issue 17's measure for the reset drill: noop latency of a well-behaved client during
    /// and after a storm of connections that queue a query and reset (query_jobs 3, two well-behaved
    /// clients sleeping 1 s at a time, as in the drill's repro, 20 resetting clients per round).</summary>
    [Fact]
    public async Task Issue17_reset_storm_keeps_other_clients_answered()
    {
        await using var cluster = await TestCluster.StartAsync(new ClusterOptions { QueryJobs = 3 });
        var ep = cluster.TrackerEndPoint;
        using var stop = new CancellationTokenSource();
        var storm = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var sleepers = new List<TrackerClient>();
                for (int i = 0; i < 2; i++)
                {
                    var s = await TrackerClient.ConnectAsync(ep);
                    await s.SendAsync("sleep duration=1\r\n");
                    sleepers.Add(s);
                }
                for (int i = 0; i < 20; i++)
                {
                    var rst = await TrackerClient.ConnectAsync(ep);
                    rst.Socket.LingerState = new LingerOption(true, 0);
                    await rst.SendAsync("!stats\r\nnoop\r\nget_domains\r\n");
                    rst.Close();
                }
                foreach (var s in sleepers)
                {
                    await s.ReadLineAsync(TimeSpan.FromSeconds(30));
                    s.Close();
                }
            }
        });
        try
        {
            await MeasureNoopAsync(ep, TimeSpan.FromSeconds(6), "during the reset storm");
        }
        finally
        {
            stop.Cancel();
            await storm.WaitAsync(TimeSpan.FromSeconds(30));
        }
        await Task.Delay(1500); // the last sleeps end
        await MeasureNoopAsync(ep, TimeSpan.FromSeconds(2), "after the reset storm");
        await AssertNoSlotsTakenAsync(cluster);
    }

    /// <summary>noop, one at a time on one connection, for <paramref name="duration"/>; prints the
    /// percentiles (a figure for the issue, not an assertion: only liveness is asserted).</summary>
    private async Task MeasureNoopAsync(System.Net.IPEndPoint ep, TimeSpan duration, string what)
    {
        await using var good = await TrackerClient.ConnectAsync(ep, System.Net.IPAddress.Parse("127.0.0.7"));
        var latencies = new List<double>();
        var until = Stopwatch.StartNew();
        while (until.Elapsed < duration)
        {
            var sw = Stopwatch.StartNew();
            Assert.Equal("OK ", await good.QueryAsync("noop", Alive));
            latencies.Add(sw.Elapsed.TotalMilliseconds);
            await Task.Delay(5);
        }
        latencies.Sort();
        output.WriteLine($"noop {what}: n={latencies.Count} p50={latencies[latencies.Count / 2]:0.00} ms " +
                         $"p99={latencies[(int)(latencies.Count * 0.99)]:0.00} ms max={latencies[^1]:0.00} ms");
    }

    /// <summary>Reads <c>!stats</c> until no query is running or waiting (nothing else is connected).</summary>
    internal static async Task AssertNoSlotsTakenAsync(TestCluster cluster)
    {
        string last = "";
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            last = await AdminAsync(cluster, "!stats");
            if (last.Contains("processing_queries 0\r\n") && last.Contains("pending_queries 0\r\n")) return;
        }
        Assert.Fail("query slots still taken with no client connected:\n" + last);
    }

    internal static async Task<string> AdminAsync(TestCluster cluster, string command)
    {
        await using var c = await TrackerClient.ConnectAsync(cluster.TrackerEndPoint);
        await c.SendAsync(command + "\r\n");
        var sb = new StringBuilder();
        while (await c.ReadLineAsync(TimeSpan.FromSeconds(10)) is { } line)
        {
            string s = Encoding.Latin1.GetString(line);
            if (s == ".\r\n") break;
            sb.Append(s);
        }
        return sb.ToString();
    }
}

/// <summary>Tests that measure the process (managed heap, latency) run with no other test of the
/// assembly beside them: a test running in parallel in the same process (xunit runs classes in
/// parallel) once added 300 MB of its own allocations to the "heap grew by" figure.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAloneCollection
{
    public const string Name = "measured alone";
}
