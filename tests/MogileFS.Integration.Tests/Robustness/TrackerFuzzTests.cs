using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MogileFS.TestSupport.Cluster;
using MogileFS.TestSupport;
using Xunit.Abstractions;

namespace MogileFS.Integration.Tests.Robustness;

public sealed class TrackerFuzzFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;
    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(new ClusterOptions
    {
        ConfigureTracker = o => o.MaxConnsPerIp = 100,
    });
    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// The standing robustness suite for the tracker's line protocol: generated and random lines
/// (every query gets exactly one <c>OK</c>/<c>ERR</c> line, in order), slow writers, half-closed
/// sockets and a connection flood above max_conns_per_ip. After each case the tracker still
/// answers a well-behaved client and no query slot is left taken. Bounded: seconds in all.
/// </summary>
[Trait("Category", "Robustness")]
public sealed class TrackerFuzzTests(TrackerFuzzFixture fixture, ITestOutputHelper output) : IClassFixture<TrackerFuzzFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    // Commands that neither stop the tracker nor sleep; unknown and mangled names too.
    private static readonly string[] Names =
    [
        "noop", "get_domains", "get_paths", "file_info", "list_keys", "create_domain", "create_class", "get_hosts",
        "get_devices", "server_settings", "file_debug", "list_fids", "create_open", "delete", "rename",
        "updateclass", "clear_cache", "NOOP", "frobnicate", "get_paths\0", "\u00ffcmd", "",
    ];

    private static readonly string[] Keys = ["domain", "key", "class", "fid", "from_key", "to_key", "prefix", "limit", "after", "devid", "callid", "", "=", "&"];

    private static readonly string[] Values =
    [
        "d", "k", "%zz", "%", "%00%ff", "-1", "99999999999999999999999", "0", "1e9", "a+b", "%2B", "x&y", "\t", "\u00e9", "..%2f..",
    ];

    private static readonly Gen<string> Lines =
        from name in Gen.Elements(Names)
        from args in Gen.ListOf(Gen.Elements(Keys).Zip(Gen.Elements(Values)))
        from sep in Gen.Elements(" ", "  ", "\t", " ")
        select name + (args.Count == 0 ? "" : sep + string.Join("&", args.Take(8).Select(a => a.Item1 + "=" + a.Item2)));

    private static readonly Gen<string> Garbage =
        Gen.ArrayOf(Gen.Choose(0, 255).Where(b => b != '\n' && b != '!').Select(b => (char)b))
            .Select(c => new string(c))
            .Where(s => s.Length > 0 && s.TrimStart('\r', ' ', '\t').Length > 0 && s[0] != '!' && s.TrimEnd('\r').Length > 0);

    private static void Check<T>(Gen<T> gen, int count, Func<T, bool> property) =>
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(count), Prop.ForAll(Arb.From(gen), property));

    [Fact]
    public async Task Generated_and_random_lines_get_exactly_one_reply_each_in_order()
    {
        await using var c = await TrackerClient.ConnectAsync(Cluster.TrackerEndPoint);
        int n = 0;
        Check(Gen.ListOf(Gen.OneOf(Lines, Lines, Garbage)).Select(l => l.Take(20).ToList()), 150, lines =>
        {
            // Pipelined as one write, then a marker: every line with a command gets one reply, and
            // the marker's reply comes last.
            var sent = lines.Where(l => l.Trim(' ', '\t', '\r').Length > 0).ToList();
            string marker = "noop callid=m" + Interlocked.Increment(ref n);
            c.SendAsync(Encoding.Latin1.GetBytes(string.Concat(sent.Select(l => l + "\r\n")) + marker + "\r\n")).GetAwaiter().GetResult();
            for (int i = 0; i < sent.Count; i++)
            {
                var line = c.ReadLineAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
                string s = line == null ? "<closed>" : Encoding.Latin1.GetString(line);
                if (!(s.StartsWith("OK", StringComparison.Ordinal) || s.StartsWith("ERR ", StringComparison.Ordinal)) || !s.EndsWith("\r\n", StringComparison.Ordinal))
                    throw new Xunit.Sdk.XunitException($"reply {i} to '{sent[i]}': {s}");
            }
            var last = c.ReadLineAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            return last != null && Encoding.Latin1.GetString(last) == $"OK callid=m{n}\r\n";
        });
        await TrackerAbuseTests.AssertNoSlotsTakenAsync(Cluster);
    }

    [Fact]
    public async Task Slow_writer_is_served_and_does_not_hold_back_others()
    {
        await using var slow = await TrackerClient.ConnectAsync(Cluster.TrackerEndPoint);
        var writing = Task.Run(async () =>
        {
            foreach (byte b in "noop callid=slow\r\n"u8.ToArray())
            {
                await slow.SendAsync(new[] { b });
                await Task.Delay(50);
            }
        });
        var latencies = new List<double>();
        await using var good = await TrackerClient.ConnectAsync(Cluster.TrackerEndPoint);
        while (!writing.IsCompleted)
        {
            var sw = Stopwatch.StartNew();
            Assert.Equal("OK ", await good.QueryAsync("noop", TimeSpan.FromSeconds(5)));
            latencies.Add(sw.Elapsed.TotalMilliseconds);
            await Task.Delay(10);
        }
        Assert.Equal("OK callid=slow\r\n", Encoding.Latin1.GetString(await slow.ReadLineAsync(TimeSpan.FromSeconds(10)) ?? []));
        latencies.Sort();
        output.WriteLine($"noop beside a slow writer: n={latencies.Count} p99={latencies[(int)(latencies.Count * 0.99)]:0.0} ms");
    }

    [Fact]
    public async Task Half_closed_connection_gets_its_replies_then_is_closed()
    {
        await using var c = await TrackerClient.ConnectAsync(Cluster.TrackerEndPoint);
        await c.SendAsync("noop callid=1\r\nget_domains\r\nnoop callid=2\r\n");
        c.Socket.Shutdown(SocketShutdown.Send);
        var lines = new List<string>();
        while (await c.ReadLineAsync(TimeSpan.FromSeconds(10)) is { } l) lines.Add(Encoding.Latin1.GetString(l));
        Assert.Equal(3, lines.Count);
        Assert.Equal("OK callid=1\r\n", lines[0]);
        Assert.Equal("OK callid=2\r\n", lines[2]);
        // Half a line, then FIN: nothing is answered, the connection is closed, nothing is left running.
        await using var d = await TrackerClient.ConnectAsync(Cluster.TrackerEndPoint);
        await d.SendAsync("sleep duration=");
        d.Socket.Shutdown(SocketShutdown.Send);
        Assert.Null(await d.ReadLineAsync(TimeSpan.FromSeconds(10)));
        await TrackerAbuseTests.AssertNoSlotsTakenAsync(Cluster);
    }

    [Fact]
    public async Task Connection_flood_above_max_conns_per_ip_is_refused_and_others_are_served()
    {
        var flood = new List<TrackerClient>();
        try
        {
            for (int i = 0; i < 150; i++)
                flood.Add(await TrackerClient.ConnectAsync(Cluster.TrackerEndPoint, IPAddress.Parse("127.0.0.6")));
            int refused = 0;
            foreach (var f in flood)
            {
                var first = await f.ReadAnyAsync(TimeSpan.FromMilliseconds(20));
                if (first is { Length: > 0 } && Encoding.Latin1.GetString(first).StartsWith("ERR too_many_connections", StringComparison.Ordinal)) refused++;
            }
            output.WriteLine($"{refused} of {flood.Count} connections from one address refused (max_conns_per_ip 100)");
            Assert.True(refused >= 40, $"only {refused} refused");
            Assert.Equal("OK callid=other", await TrackerClient.QueryOnceAsync(Cluster.TrackerEndPoint, "noop callid=other", TimeSpan.FromSeconds(5)));
        }
        finally
        {
            foreach (var f in flood) f.Close();
        }
        // The address's count goes back down: it may connect again.
        string again = "";
        for (var deadline = DateTime.UtcNow.AddSeconds(10); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            await using var c = await TrackerClient.ConnectAsync(Cluster.TrackerEndPoint, IPAddress.Parse("127.0.0.6"));
            again = await c.QueryAsync("noop callid=again", TimeSpan.FromSeconds(5));
            if (again == "OK callid=again") break;
        }
        Assert.Equal("OK callid=again", again);
    }
}
