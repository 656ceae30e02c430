namespace MogileFS.Tracker.Tests.Core;

/// <summary>
/// Replies that differed from 2.73's when the two trackers were run side by side on the same requests
/// (a differential run of about 1,300 requests, docs/testing.md): each one as 2.73 answers it.
/// </summary>
public sealed class SideBySideFindingsTests
{
    [Fact]
    public async Task A_zone_setting_that_is_not_a_netmask_is_refused()
    {
        await using var host = await TrackerHost.StartAsync();
        foreach (var value in new[] { "1", "0", "10.1.2", "bogus" })
            Assert.Equal("ERR invalid_format Doesn%27t+match+an+acceptable+netmask",
                await host.QueryAsync($"set_server_setting key=zone_x&value={value}"));
        Assert.Equal("OK ", await host.QueryAsync("set_server_setting key=zone_x&value=10.0.0.0/8,192.168.1.0/24"));
        Assert.Equal("OK key=zone_x&value=10.0.0.0/8,192.168.1.0/24", await host.QueryAsync("server_setting key=zone_x"));
    }

    [Fact]
    public async Task A_list_keys_limit_that_is_not_a_whole_number_fails()
    {
        await using var host = await TrackerHost.StartAsync();
        await host.QueryAsync("create_domain domain=d");
        await host.QueryAsync("create_class domain=d&class=c&mindevcount=1");
        Assert.Equal("ERR failure Operation+failed", await host.QueryAsync("list_keys domain=d&prefix=k&limit=1.9"));
        Assert.Equal("ERR failure Operation+failed", await host.QueryAsync("list_keys domain=d&limit=1e-5"));
        Assert.StartsWith("ERR none_match ", await host.QueryAsync("list_keys domain=d&limit=1e3"));
        Assert.StartsWith("ERR none_match ", await host.QueryAsync("list_keys domain=d&limit=5000.5"));
    }
}

/// <summary>Reply details third-party clients depend on (docs/testing.md, "Third-party clients").</summary>
public sealed class ThirdPartyClientReplyTests
{
    [Fact]
    public async Task Get_domains_lists_each_class_name_first_and_mindevcount_last()
    {
        // Ruby's mogilefs-client takes a class's first and last values as its name and mindevcount.
        await using var host = await TrackerHost.StartAsync();
        await host.QueryAsync("create_domain domain=d");
        await host.QueryAsync("create_class domain=d&class=c&mindevcount=3");
        var reply = await host.QueryAsync("get_domains");
        var pairs = reply["OK ".Length..].Split('&').Select(p => p.Split('=')).ToList();
        foreach (var cls in pairs.Where(p => p[0].EndsWith("name", StringComparison.Ordinal) && p[0].Contains("class", StringComparison.Ordinal)).Select(p => p[0][..^"name".Length]))
        {
            var own = pairs.Where(p => p[0].StartsWith(cls, StringComparison.Ordinal)).Select(p => p[0][cls.Length..]).ToList();
            Assert.Equal(["name", "replpolicy", "hashtype", "mindevcount"], own);
        }
        Assert.Contains("domain1class2name=c&domain1class2replpolicy=MultipleHosts%28%29&domain1class2hashtype=NONE&domain1class2mindevcount=3", reply);
    }
}
