using System.Globalization;
using MogileFS.TestSupport.Cluster;

namespace MogileFS.Dashboard.Tests;

public sealed class BacklogFixture : DashboardFixture
{
    protected override Task SeedAsync() => Cluster.SetupAsync("testdom");
}

/// <summary>The jobs page's backlog chart follows the replication queue as it fills and drains.</summary>
public sealed class BacklogTests(BacklogFixture f) : IClassFixture<BacklogFixture>
{
    [BrowserFact]
    public async Task Backlog_chart_shows_the_replication_queue_rise_and_drain()
    {
        var dashboard = f.Cluster.Tracker.Server.Dashboard;
        dashboard.BacklogInterval = TimeSpan.FromMilliseconds(200);
        // hold replication, queue 300 files, let the sampler see them, then let replication run
        Assert.Contains("Now desiring 0 children doing 'replicate'", await f.Cluster.AdminAsync("!want 0 replicate"));
        await Task.Delay(600);
        await f.Cluster.SeedFilesAsync(300, 2000, "testdom", null, devid: 1);
        long queued = await f.Cluster.CountAsync("SELECT COUNT(*) FROM file_to_replicate");
        Assert.Equal(300, queued);

        var page = await f.NewPageAsync();
        await page.GotoAsync("/dashboard/jobs");
        Assert.Equal("300", await page.InnerTextAsync("#jobs-replicate"));
        await Task.Delay(1500);

        await f.Cluster.AdminAsync("!want 1 replicate");
        await TestCluster.WaitUntilAsync(async () => await f.Cluster.CountAsync("SELECT COUNT(*) FROM file_to_replicate") == 0,
            TimeSpan.FromSeconds(60), "replication queue drained");
        await Task.Delay(1000);
        await page.GotoAsync("/dashboard/jobs");
        Assert.Equal("0", await page.InnerTextAsync("#jobs-replicate"));
        // the replicate line has a point at 300 (the top of the chart) and ends at 0 (the axis)
        var points = (await page.GetAttributeAsync("svg#backlog polyline.s1", "points"))!.Split(' ')
            .Select(p => double.Parse(p.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.True(points.Length >= 5, $"only {points.Length} samples");
        Assert.Contains(points, y => y <= 8.5);          // 300 = the maximum, drawn at the top
        Assert.True(points[^1] >= 157.5, $"last point at y={points[^1]}"); // 0 = the axis
        await DashboardFixture.ScreenshotAsync(page, "dashboard-jobs.png");
    }
}
