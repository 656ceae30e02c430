using System.Diagnostics;
using System.Globalization;
using MogileFS.TestSupport.Cluster;
using Xunit.Abstractions;

namespace MogileFS.Dashboard.Tests;

/// <summary>The small cluster plus 1,000 seeded devices on 50 hosts and (by default) 1,000,000 seeded files.
/// DASHBOARD_SEED_FILES overrides the file count.</summary>
public sealed class LargeClusterFixture : DashboardFixture
{
    public static int FileCount => int.TryParse(Environment.GetEnvironmentVariable("DASHBOARD_SEED_FILES"), out var n) && n > 0 ? n : 1_000_000;

    public TimeSpan SeedTime { get; private set; }

    protected override ClusterOptions Options => new(); // default job clocks: a calm monitor for 50 extra hosts

    protected override async Task SeedAsync()
    {
        await Cluster.SetupAsync("testdom");
        if (!Chromium.Installed) return;
        SeedTime = await LargeClusterSeed.SeedAsync(Cluster, FileCount);
        // the tracker picks up hosts and devices written behind its back within a second
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Cluster.Tracker.Services.Metadata.Current.Devices.Count >= LargeClusterSeed.Devices),
            TimeSpan.FromSeconds(30), "the seeded devices in the tracker's cache");
    }
}

public sealed class LargeClusterTests(LargeClusterFixture f, ITestOutputHelper output) : IClassFixture<LargeClusterFixture>
{
    private static string N(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);

    [BrowserFact]
    public async Task Overview_stays_usable_with_1000_devices_and_a_million_files()
    {
        output.WriteLine($"seeded {LargeClusterSeed.Devices} devices and {N(LargeClusterFixture.FileCount)} files in {f.SeedTime.TotalSeconds:0.0} s");
        var page = await f.NewPageAsync(width: 1400);
        var sw = Stopwatch.StartNew();
        var r = await page.GotoAsync("/dashboard");
        output.WriteLine($"overview, first load (counts the files): {sw.ElapsedMilliseconds} ms");
        Assert.Equal(200, r!.Status);
        long files = await f.Cluster.CountAsync("SELECT COUNT(*) FROM file");
        long under = await f.Cluster.CountAsync("SELECT COUNT(*) FROM file f JOIN class c ON c.dmid = f.dmid AND c.classid = f.classid WHERE f.devcount < c.mindevcount");
        Assert.Equal(N(files), await page.InnerTextAsync("#files-total"));
        Assert.Equal(N(under), await page.InnerTextAsync("#files-under"));
        Assert.Equal(LargeClusterFixture.FileCount / 1000, under);
        var devices = await f.Cluster.QueryOkAsync("get_devices");
        Assert.Equal(devices["devices"], await page.InnerTextAsync("#devices-total"));
        Assert.Equal((await f.Cluster.QueryOkAsync("get_hosts"))["hosts"], await page.InnerTextAsync("#hosts-total"));
        sw.Restart();
        await page.ReloadAsync();
        output.WriteLine($"overview, cached counts: {sw.ElapsedMilliseconds} ms");
        await DashboardFixture.ScreenshotAsync(page, "dashboard-overview.png");
    }

    [BrowserFact]
    public async Task Devices_page_lists_all_1000_devices_and_filters_by_host()
    {
        var page = await f.NewPageAsync(width: 1400);
        var sw = Stopwatch.StartNew();
        await page.GotoAsync("/dashboard/devices");
        output.WriteLine($"devices page, all devices: {sw.ElapsedMilliseconds} ms");
        int total = f.Cluster.Tracker.Services.Metadata.Current.Devices.Count;
        Assert.Equal(total.ToString(CultureInfo.InvariantCulture), await page.InnerTextAsync("#devices-shown"));
        Assert.Equal(total, await page.Locator("#devices tr:has(td)").CountAsync());
        await DashboardFixture.ScreenshotAsync(page, "dashboard-devices.png");
        await page.SelectOptionAsync("select[name=host]", "bulk-07");
        await page.ClickAsync("form.filter button");
        Assert.Equal(LargeClusterSeed.DevicesPerHost.ToString(CultureInfo.InvariantCulture), await page.InnerTextAsync("#devices-shown"));
    }

    [BrowserFact]
    public async Task Lookup_finds_a_seeded_file_among_a_million()
    {
        var page = await f.NewPageAsync();
        string key = LargeClusterSeed.Key(LargeClusterFixture.FileCount / 2 + 1);
        await page.GotoAsync("/dashboard/file?domain=bulk&key=" + Uri.EscapeDataString(key));
        var info = await f.Cluster.QueryOkAsync("file_info domain=bulk&key=" + Uri.EscapeDataString(key));
        Assert.Equal(info["fid"], await page.InnerTextAsync("#file-fid"));
        Assert.Equal(info["length"], await page.InnerTextAsync("#file-length"));
        Assert.Equal(2, await page.Locator("#copies a.copy").CountAsync());
    }
}
