using MogileFS.TestSupport.Cluster;

namespace MogileFS.Jobs.Tests;

/// <summary>
/// What third-party clients (PHP, Python, Java, Ruby, the nginx module; see docs/testing.md) taught us
/// when they were run against our servers: one test per behaviour they rely on, on real servers.
/// </summary>
public sealed class ThirdPartyClientBehaviourTests
{
    private static ClusterOptions TwoHosts(string net) => ClusterOptions.ForJobs with
    {
        Nodes = [new NodeSpec("h1", $"127.0.{net}.1", 1), new NodeSpec("h2", $"127.0.{net}.2", 2)],
    };

    [Theory]
    [InlineData("0")]
    [InlineData("None")] // pymogile's Admin.create_host sends getport=None when no get port is given
    public async Task A_get_port_of_zero_falls_back_to_the_http_port(string getport)
    {
        await using var c = await TestCluster.StartAsync(TwoHosts("81"));
        await c.SetupAsync("testdom", ("c2", 2, null));
        await c.StoreFileAsync("testdom", "k", "hello"u8.ToArray(), "c2");
        await TestCluster.WaitUntilAsync(async () => (await c.DevidsOfAsync(1)).Count == 2, TimeSpan.FromSeconds(30), "two copies");

        await c.QueryOkAsync($"update_host host=h1&getport={getport}");
        await c.QueryOkAsync("clear_cache");
        var hosts = await c.QueryOkAsync("get_hosts");
        int i = Enumerable.Range(1, 2).First(n => hosts[$"host{n}_hostname"] == "h1");
        Assert.Equal("0", hosts[$"host{i}_http_get_port"]); // shown as stored, as 2.73 does

        // 2.73: http_get_port || http_port. Readers get the HTTP port, not port 0.
        var paths = await c.QueryOkAsync("get_paths domain=testdom&key=k&noverify=1&pathcount=2");
        Assert.Equal("2", paths["paths"]);
        var urls = new[] { paths["path1"], paths["path2"] };
        Assert.Contains(urls, u => u.StartsWith($"http://127.0.81.1:{c.HttpPort}/dev1/", StringComparison.Ordinal));
        Assert.DoesNotContain(urls, u => u.Contains(":0/", StringComparison.Ordinal));
        var verified = await c.QueryOkAsync("get_paths domain=testdom&key=k&pathcount=2");
        Assert.Equal("2", verified["paths"]);
        var debug = await c.QueryOkAsync("file_debug domain=testdom&key=k");
        Assert.StartsWith($"http://127.0.81.1:{c.HttpPort}/dev1/", debug["devpath_1"]);

        // The monitor reads the device's usage file through the same port: the device stays writeable.
        await c.QueryOkAsync("clear_cache");
        await c.QueryOkAsync("clear_cache");
        Assert.True(c.Tracker.Services.Observations.IsWriteable(c.Tracker.Services.Metadata.Current.TryGetDevice(1, out var dev) ? dev : null!));
        await c.QueryOkAsync("create_open domain=testdom&key=k2&fid=0&multi_dest=1");
    }
}
