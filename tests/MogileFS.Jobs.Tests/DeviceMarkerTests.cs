using MogileFS.TestSupport.Cluster;
using MogileFS.Tracker.Storage;

namespace MogileFS.Jobs.Tests;

/// <summary>
/// Issue 12 item 1: `./cluster` and `./cluster --postgres` shared one set of device directories
/// with two databases, so their fids collided and files were silently overwritten. Every device
/// directory now carries a marker naming its cluster and device id; a tracker refuses a directory
/// that names another cluster (another database) or another device id.
/// </summary>
public sealed class DeviceMarkerTests
{
    [Fact]
    public async Task DeviceOfAnotherClusterOrDeviceIdIsNotUsed()
    {
        await using var c = await TestCluster.StartAsync(ClusterOptions.ForJobs with
        {
            Nodes = [new NodeSpec("h1", "127.0.24.1", 1), new NodeSpec("h2", "127.0.24.2", 2)],
        });
        await c.SetupAsync("testdom", ("c1", 1, null));
        await c.WaitWriteableAsync([1, 2]);

        // The tracker wrote a marker naming this database's cluster id into each device directory.
        var clusterId = await c.Tracker.Services.Store.GetServerSettingAsync(DeviceMarker.ClusterIdSetting, CancellationToken.None);
        Assert.False(string.IsNullOrEmpty(clusterId));
        var marker1 = c.NodeOf(1).PathFor(DeviceMarker.PathFor(1));
        await TestCluster.WaitUntilAsync(() => Task.FromResult(File.Exists(marker1)), TimeSpan.FromSeconds(10), "marker of dev1");
        Assert.Equal((clusterId, 1), DeviceMarker.Parse(File.ReadAllBytes(marker1)));
        // It is ours, not a 2.73 setting: server_settings does not list it.
        Assert.DoesNotContain("cluster_id", await c.QueryAsync("server_settings"));

        // Another database claimed dev1's directory (the shared-docroot bug): dev1 is not used.
        var original = File.ReadAllBytes(marker1);
        File.WriteAllBytes(marker1, DeviceMarker.Format("someone-else", 1));
        await WaitObservedAsync(c, 1, writeable: false);
        Assert.Contains("belongs to another cluster", c.Logs.Dump(200));
        for (int i = 0; i < 5; i++)
        {
            long fid = await c.StoreFileAsync("testdom", "k" + i, [1, 2, 3], "c1");
            Assert.Equal([2], await c.DevidsOfAsync(fid));
        }

        // A directory copied from another device id is refused too.
        File.WriteAllBytes(marker1, DeviceMarker.Format(clusterId!, 7));
        await TestCluster.WaitUntilAsync(() => Task.FromResult(c.Logs.Dump(200).Contains("it is device 7")), TimeSpan.FromSeconds(10), "devid mismatch logged");
        await WaitObservedAsync(c, 1, writeable: false);

        // The right marker back: dev1 is used again.
        File.WriteAllBytes(marker1, original);
        await c.WaitWriteableAsync([1]);

        // The marker vanished (a disk that did not mount leaves an empty mount point): this
        // cluster wrote it once, so the directory is not the one it wrote to. Not used, and the
        // log says how to put the file back.
        File.Delete(marker1);
        await WaitObservedAsync(c, 1, writeable: false);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(c.Logs.Dump(200).Contains("disk not mounted")), TimeSpan.FromSeconds(10), "gone marker logged");
        Assert.False(File.Exists(marker1)); // not silently re-created
        Assert.DoesNotContain("device_marker_", await c.QueryAsync("server_settings"));
        File.WriteAllBytes(marker1, original);
        await c.WaitWriteableAsync([1]);
    }

    [Fact]
    public void MarkerParsesAndNamesTheMismatch()
    {
        var body = DeviceMarker.Format("abc", 3);
        Assert.Null(DeviceMarker.Mismatch(body, "abc", 3));
        Assert.Contains("another cluster", DeviceMarker.Mismatch(body, "xyz", 3));
        Assert.Contains("device 3", DeviceMarker.Mismatch(body, "abc", 4));
        Assert.Contains("not readable", DeviceMarker.Mismatch("garbage"u8, "abc", 3));
    }

    private static Task WaitObservedAsync(TestCluster c, int devid, bool writeable) =>
        TestCluster.WaitUntilAsync(() =>
        {
            var snap = c.Tracker.Services.Metadata.Current;
            return Task.FromResult(snap.TryGetDevice(devid, out var dev) && c.Tracker.Services.Observations.IsWriteable(dev) == writeable);
        }, TimeSpan.FromSeconds(15), $"dev{devid} writeable={writeable}\n" + c.Logs.Dump(20));
}
