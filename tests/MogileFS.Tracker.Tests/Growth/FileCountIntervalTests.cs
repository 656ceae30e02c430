using MogileFS.Tracker.Observability;

namespace MogileFS.Tracker.Tests.Growth;

/// <summary>
/// Growth bug (docs/growth.md): the metrics sampler counted the whole file table every 60 s whatever
/// the scan cost, so on a cluster of tens of millions of files the database spent a growing share of
/// its time on one gauge. The wait now grows with the scan so that it stays under 2% of the time.
/// </summary>
public sealed class FileCountIntervalTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_quick_scan_keeps_the_configured_interval()
    {
        Assert.Equal(Minute, ClusterSampler.NextFileInterval(Minute, TimeSpan.FromMilliseconds(5)));
        Assert.Equal(Minute, ClusterSampler.NextFileInterval(Minute, TimeSpan.FromSeconds(1.2)));
    }

    [Fact]
    public void A_slow_scan_waits_long_enough_to_stay_under_two_percent()
    {
        var next = ClusterSampler.NextFileInterval(Minute, TimeSpan.FromSeconds(6));
        Assert.Equal(TimeSpan.FromSeconds(300), next);
        Assert.True(6 / next.TotalSeconds <= ClusterSampler.MaxFileScanShare);
    }
}
