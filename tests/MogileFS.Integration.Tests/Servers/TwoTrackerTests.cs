using System.Diagnostics;
using MogileFS.Integration.Tests.Cluster;
using MogileFS.Store;
using MogileFS.TestSupport;
using Xunit.Abstractions;

namespace MogileFS.Integration.Tests.Servers;

/// <summary>
/// Two trackers on one database. Metadata (domains, classes, hosts, devices, settings) is cached per
/// tracker; a change through one must show through the other within the bound docs/tracker-internals.md
/// documents (about 1 s; we allow <see cref="Bound"/> so a loaded CI machine does not flake). File
/// rows are not cached: they must be visible at once.
/// </summary>
public abstract class TwoTrackerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    protected abstract DatabaseKind Kind { get; }

    private async Task<TimeSpan> EventuallyAsync(TestCluster cluster, TrackerHandle tracker, string request, Func<string, bool> condition)
    {
        var sw = Stopwatch.StartNew();
        string last = "";
        while (sw.Elapsed < Bound)
        {
            last = await cluster.QueryAsync(request, tracker);
            if (condition(last))
            {
                output.WriteLine($"'{request}' showed the change after {sw.ElapsedMilliseconds} ms");
                return sw.Elapsed;
            }
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"'{request}' through the other tracker did not show the change within {Bound.TotalSeconds} s; last reply: {last}");
    }

    protected async Task MetadataChangesPropagate()
    {
        await using var cluster = await TestCluster.StartAsync(new ClusterOptions { Database = Kind, Trackers = 2 });
        var (t1, t2) = (cluster.Trackers[0], cluster.Trackers[1]);
        Assert.NotEqual(t1.EndPoint, t2.EndPoint);

        // Prime t2's caches so that the test sees invalidation, not a first load.
        Assert.Equal("OK domains=0", await cluster.QueryAsync("get_domains", t2));

        await cluster.QueryOkAsync("create_domain domain=shared", t1);
        await EventuallyAsync(cluster, t2, "get_domains", r => r.Contains("=shared", StringComparison.Ordinal));
        // The other direction, and a class.
        await cluster.QueryOkAsync("create_class domain=shared&class=big&mindevcount=3", t2);
        await EventuallyAsync(cluster, t1, "get_domains", r => r.Contains("name=big", StringComparison.Ordinal) && r.Contains("mindevcount=3", StringComparison.Ordinal));
        await cluster.QueryOkAsync("update_class domain=shared&class=big&mindevcount=1", t1);
        await EventuallyAsync(cluster, t2, "get_domains", r => !r.Contains("mindevcount=3", StringComparison.Ordinal));

        // Hosts and devices.
        await cluster.QueryOkAsync("create_host host=hx&ip=127.0.2.9&port=7500&status=alive", t1);
        await EventuallyAsync(cluster, t2, "get_hosts", r => r.Contains("hostname=hx", StringComparison.Ordinal));
        await cluster.QueryOkAsync("update_host host=hx&status=down", t2);
        await EventuallyAsync(cluster, t1, "get_hosts", r => r.Contains("status=down", StringComparison.Ordinal));
        await cluster.QueryOkAsync("create_device devid=77&hostname=hx&state=alive", t1);
        await EventuallyAsync(cluster, t2, "get_devices devid=77", r => r.Contains("dev1_status=alive", StringComparison.Ordinal));
        await cluster.QueryOkAsync("set_state host=hx&device=77&state=drain", t2);
        await EventuallyAsync(cluster, t1, "get_devices devid=77", r => r.Contains("dev1_status=drain", StringComparison.Ordinal));

        // Server settings, including one that changes command behaviour.
        await cluster.QueryOkAsync("set_server_setting key=memcache_ttl&value=77", t1);
        await EventuallyAsync(cluster, t2, "server_setting key=memcache_ttl", r => r.Contains("value=77", StringComparison.Ordinal));

        // Deletions.
        await cluster.QueryOkAsync("delete_class domain=shared&class=big", t2);
        await cluster.QueryOkAsync("delete_domain domain=shared", t2);
        await EventuallyAsync(cluster, t1, "get_domains", r => r == "OK domains=0");
        Assert.StartsWith("ERR unreg_domain", await cluster.QueryAsync("list_keys domain=shared", t1));
    }

    protected async Task FilesAreVisibleAtOnce()
    {
        await using var cluster = await TestCluster.StartAsync(new ClusterOptions { Database = Kind, Trackers = 2 });
        var (t1, t2) = (cluster.Trackers[0], cluster.Trackers[1]);
        await cluster.RegisterTopologyAsync();
        await EventuallyAsync(cluster, t2, "get_domains", r => r.Contains("=testdom", StringComparison.Ordinal));
        await EventuallyAsync(cluster, t2, "get_devices", r => TestCluster.WritableWithSpace(TrackerClient.ParseOk(r)) == 4);

        long fid = await cluster.StoreFileAsync("testdom", "k1", "payload"u8.ToArray(), tracker: t1);
        var info = await cluster.QueryOkAsync("file_info domain=testdom&key=k1", t2);
        Assert.Equal((fid.ToString(), "7"), (info["fid"], info["length"]));
        var paths = await cluster.QueryOkAsync("get_paths domain=testdom&key=k1", t2);
        using (var http = new HttpClient())
            Assert.Equal("payload", await http.GetStringAsync(paths["path1"]));

        await cluster.QueryOkAsync("rename domain=testdom&from_key=k1&to_key=k2", t2);
        Assert.StartsWith("ERR unknown_key", await cluster.QueryAsync("file_info domain=testdom&key=k1", t1));
        Assert.Equal(fid.ToString(), (await cluster.QueryOkAsync("file_info domain=testdom&key=k2", t1))["fid"]);
        await cluster.QueryOkAsync("delete domain=testdom&key=k2", t1);
        Assert.StartsWith("ERR unknown_key", await cluster.QueryAsync("file_info domain=testdom&key=k2", t2));
        Assert.StartsWith("ERR none_match", await cluster.QueryAsync("list_keys domain=testdom", t2));
    }
}

public sealed class SqliteTwoTrackerTests(ITestOutputHelper output) : TwoTrackerTests(output)
{
    protected override DatabaseKind Kind => DatabaseKind.Sqlite;
    [Fact] public Task Metadata_changes_through_one_tracker_show_through_the_other() => MetadataChangesPropagate();
    [Fact] public Task Files_written_through_one_tracker_are_visible_through_the_other_at_once() => FilesAreVisibleAtOnce();
}

public sealed class PostgresTwoTrackerTests(ITestOutputHelper output) : TwoTrackerTests(output)
{
    protected override DatabaseKind Kind => DatabaseKind.Postgres;
    [PostgresFact] public Task Metadata_changes_through_one_tracker_show_through_the_other() => MetadataChangesPropagate();
    [PostgresFact] public Task Files_written_through_one_tracker_are_visible_through_the_other_at_once() => FilesAreVisibleAtOnce();
}

public sealed class MySqlTwoTrackerTests(ITestOutputHelper output) : TwoTrackerTests(output)
{
    protected override DatabaseKind Kind => DatabaseKind.MySql;
    [MariaDbFact] public Task Metadata_changes_through_one_tracker_show_through_the_other() => MetadataChangesPropagate();
    [MariaDbFact] public Task Files_written_through_one_tracker_are_visible_through_the_other_at_once() => FilesAreVisibleAtOnce();
}
