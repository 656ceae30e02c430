using System.Text;
using MogileFS.TestSupport.Cluster;
using MogileFS.TestSupport;

namespace MogileFS.Integration.Tests.Servers;

public sealed class BadInputClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;
    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync();
    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// Bad input over a raw socket: every bad line gets an error reply (or, for an empty line, none),
/// the connection stays in step, and the tracker keeps serving everyone else.
/// </summary>
public sealed class BadInputTests(BadInputClusterFixture fixture) : IClassFixture<BadInputClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private TestCluster Cluster => fixture.Cluster;

    private async Task<TrackerClient> ConnectAsync() => await TrackerClient.ConnectAsync(Cluster.TrackerEndPoint);

    private static async Task<string> ReadAsync(TrackerClient c)
    {
        var line = await c.ReadLineAsync(Timeout) ?? throw new IOException("tracker closed the connection");
        return Encoding.Latin1.GetString(line);
    }

    private static async Task AssertStillWorks(TrackerClient c)
    {
        Assert.Equal("OK callid=alive", await c.QueryAsync("noop callid=alive"));
    }

    [Fact]
    public async Task Over_long_line_gets_an_error_and_the_connection_stays_usable()
    {
        await using var c = await ConnectAsync();
        var line = new byte[3 * 1024 * 1024 + 2];
        Array.Fill(line, (byte)'a');
        "noop x="u8.CopyTo(line);
        line[^2] = (byte)'\r';
        line[^1] = (byte)'\n';
        await c.SendAsync(line);
        string reply = await ReadAsync(c);
        Assert.StartsWith("ERR ", reply);
        Assert.EndsWith("\r\n", reply);
        await AssertStillWorks(c);
    }

    [Fact]
    public async Task Long_but_reasonable_lines_are_served()
    {
        await using var c = await ConnectAsync();
        string value = new('v', 200_000);
        Assert.Equal("OK ", await c.QueryAsync("noop x=" + value));
        string reply = await c.QueryAsync($"get_paths domain={value}&key=k");
        Assert.Equal("ERR unreg_domain Domain+name+invalid/not+found", reply);
        await AssertStillWorks(c);
    }

    [Theory]
    [InlineData("get_paths domain=%zz%&key=%4", "ERR unreg_domain Domain+name+invalid/not+found")]
    [InlineData("get_paths domain=%&key=%%%", "ERR unreg_domain Domain+name+invalid/not+found")]
    [InlineData("clear_cache bad=%zz%4%", "OK bad=%25zz%254%25")]
    [InlineData("noop callid=%00%ff%", "OK callid=%00%FF%25")]
    [InlineData("list_keys domain=%G0", "ERR unreg_domain Domain+name+invalid/not+found")]
    public async Task Invalid_percent_encoding_is_taken_literally(string request, string expected)
    {
        await using var c = await ConnectAsync();
        Assert.Equal(expected, await c.QueryAsync(request));
        await AssertStillWorks(c);
    }

    [Theory]
    [InlineData("frobnicate", "ERR unknown_command Unknown+server+command")]
    [InlineData("frobnicate callid=7", "ERR unknown_command Unknown+server+command 7")]
    [InlineData("CREATE_OPEN", "ERR no_domain No+domain+provided")]
    [InlineData("create_domain", "ERR no_domain No+domain+provided")]
    [InlineData("create_class domain=nodom", "ERR no_class No+class+provided")]
    [InlineData("create_host", "ERR no_host No+host+provided")]
    [InlineData("create_device", "ERR invalid_devid invalid_devid")]
    [InlineData("set_weight", "ERR bad_params Invalid+parameters+to+command%3B+please+see+documentation")]
    [InlineData("create_close", "ERR no_domain No+domain+provided")]
    [InlineData("rename domain=nodom", "ERR unreg_domain Domain+name+invalid/not+found")]
    [InlineData("server_setting", "ERR bad_params Invalid+parameters+to+command%3B+please+see+documentation")]
    public async Task Unknown_commands_and_missing_arguments_get_their_error(string request, string expected)
    {
        await using var c = await ConnectAsync();
        Assert.Equal(expected, await c.QueryAsync(request));
        await AssertStillWorks(c);
    }

    [Fact]
    public async Task Binary_garbage_gets_one_error_per_line_and_nothing_else()
    {
        await using var c = await ConnectAsync();
        var random = new Random(4242);
        var payload = new List<byte>();
        const int lines = 500;
        for (int i = 0; i < lines; i++)
        {
            // A garbage line: starts with a byte that cannot begin a command name or an admin
            // command, then random bytes without LF (NUL, CR, 0xFF, ... included).
            payload.Add((byte)random.Next(0x80, 0x100));
            int n = random.Next(0, 200);
            for (int j = 0; j < n; j++)
            {
                byte b = (byte)random.Next(0, 256);
                payload.Add(b == (byte)'\n' ? (byte)0 : b);
            }
            payload.Add((byte)'\n');
        }
        await c.SendAsync(payload.ToArray());
        for (int i = 0; i < lines; i++)
            Assert.Equal("ERR unknown_command Unknown+server+command\r\n", await ReadAsync(c));
        await AssertStillWorks(c);
        // NUL and high bytes inside the arguments of a real command are just bytes.
        Assert.Equal("OK ", await c.QueryAsync("noop a=\0\u00ff\u0001"));
    }

    [Fact]
    public async Task Disconnects_mid_line_and_mid_request_do_not_hurt_the_tracker()
    {
        for (int i = 0; i < 20; i++)
        {
            var c = await ConnectAsync();
            await c.SendAsync(i % 2 == 0 ? "noop callid=unterminated" : "sleep duration=1\r\n");
            c.Close();
        }
        // Reset instead of FIN: linger 0.
        var rst = await ConnectAsync();
        rst.Socket.LingerState = new System.Net.Sockets.LingerOption(true, 0);
        await rst.SendAsync("get_domains\r\n");
        rst.Close();

        await using var fresh = await ConnectAsync();
        await AssertStillWorks(fresh);
        await Task.Delay(1500);
        await AssertStillWorks(fresh);
    }

    [Fact]
    public async Task Many_concurrent_connections_are_all_served()
    {
        const int count = 500;
        var clients = new List<TrackerClient>();
        try
        {
            for (int i = 0; i < count; i++) clients.Add(await ConnectAsync());
            var replies = await Task.WhenAll(clients.Select((c, i) => c.QueryAsync("noop callid=" + i)));
            for (int i = 0; i < count; i++) Assert.Equal("OK callid=" + i, replies[i]);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public async Task Pipelined_mix_of_good_and_bad_lines_is_answered_in_order()
    {
        await using var c = await ConnectAsync();
        await c.SendAsync("noop callid=1\r\n\r\n\u0080garbage\r\nget_paths callid=3\nnoop callid=4\r\n !x\r\nnoop callid=6\r\n");
        Assert.Equal("OK callid=1\r\n", await ReadAsync(c));
        Assert.Equal("ERR unknown_command Unknown+server+command\r\n", await ReadAsync(c));
        Assert.Equal("ERR no_domain No+domain+provided 3\r\n", await ReadAsync(c));
        Assert.Equal("OK callid=4\r\n", await ReadAsync(c));
        Assert.Equal("ERR unknown_command Unknown+server+command\r\n", await ReadAsync(c));
        Assert.Equal("OK callid=6\r\n", await ReadAsync(c));
    }
}
