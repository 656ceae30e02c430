using MogileFS.Tracker.Storage;

namespace MogileFS.Tracker.Tests.Files;

public class PlacementTests
{
    private static PlacementCandidate Dev(int devid, int hostid, long? total = 1000, long? used = 100, bool writable = true)
        => new(devid, hostid, total, used, writable);

    private static int[] Choose(PlacementCandidate[] devs, double? size, int max, int seed = 1, long minFree = 100)
    {
        Span<int> chosen = stackalloc int[3];
        int n = DevicePlacement.Choose(devs, size, max, minFree, new Random(seed), chosen);
        var r = new int[n];
        for (int i = 0; i < n; i++) r[i] = devs[chosen[i]].DevId;
        return r;
    }

    [Fact]
    public void Single_destination_picks_one_writable_device()
    {
        var devs = new[] { Dev(1, 1), Dev(2, 1, writable: false), Dev(3, 2) };
        for (int seed = 0; seed < 50; seed++)
        {
            var r = Choose(devs, null, 1, seed);
            Assert.Single(r);
            Assert.Contains(r[0], new[] { 1, 3 });
        }
    }

    [Fact]
    public void Multi_dest_uses_distinct_hosts()
    {
        // T07 topology: devices 1,2 on host 1 and 3,4 on host 2. 2.73 returned three devices with two on
        // one host (quirk Q8); the intended rule returns one device per host.
        var devs = new[] { Dev(1, 1), Dev(2, 1), Dev(3, 2), Dev(4, 2) };
        for (int seed = 0; seed < 100; seed++)
        {
            var r = Choose(devs, null, 3, seed);
            Assert.Equal(2, r.Length);
            Assert.NotEqual(r[0] <= 2, r[1] <= 2);
        }
        var three = Choose(new[] { Dev(1, 1), Dev(2, 2), Dev(3, 3), Dev(4, 4) }, null, 3);
        Assert.Equal(3, three.Length);
        Assert.Equal(3, three.Distinct().Count());
    }

    [Fact]
    public void Devices_with_unknown_usage_or_full_never_get_files()
    {
        // Q25: no usage known -> no_devices
        Assert.Empty(Choose(new[] { Dev(1, 1, null, null), Dev(2, 1, 0, 0) }, null, 3));
        // below min_free_space (100 MB)
        Assert.Empty(Choose(new[] { Dev(1, 1, 1000, 950) }, null, 1));
        Assert.Single(Choose(new[] { Dev(1, 1, 1000, 900) }, null, 1));
        // fully used: weight 0 is never drawn (with min_free_space 0)
        Assert.Empty(Choose(new[] { Dev(1, 1, 1000, 1000) }, null, 1, minFree: 0));
    }

    [Fact]
    public void Size_filter_and_fallback()
    {
        var devs = new[] { Dev(1, 1, 1000, 100), Dev(2, 2, 100000, 100) };
        // 900 MB free on dev1: a 1 GB file only fits dev2
        for (int seed = 0; seed < 20; seed++)
            Assert.Equal(new[] { 2 }, Choose(devs, 1024.0 * 1048576, 1, seed));
        // nothing fits: falls back to unknown-usage devices, which then can't take files (Q25)
        Assert.Empty(Choose(devs, 999999999999999.0, 1));
    }

    [Fact]
    public void Weighted_by_free_space()
    {
        var devs = new[] { Dev(1, 1, 1000, 100), Dev(2, 2, 1000, 800) }; // 90% vs 20% free
        int first1 = 0;
        var rng = new Random(7);
        Span<int> chosen = stackalloc int[1];
        for (int i = 0; i < 2000; i++)
        {
            DevicePlacement.Choose(devs, null, 1, 100, rng, chosen);
            if (devs[chosen[0]].DevId == 1) first1++;
        }
        // expected 90/110 = 0.818
        Assert.InRange(first1 / 2000.0, 0.77, 0.87);
    }

    [Fact]
    public void Only_the_20_emptiest_devices_are_candidates()
    {
        var devs = new List<PlacementCandidate>();
        for (int i = 1; i <= 25; i++) devs.Add(Dev(i, i, 1000, i <= 20 ? 100 : 500));
        for (int seed = 0; seed < 200; seed++)
            Assert.All(Choose(devs.ToArray(), null, 3, seed), d => Assert.InRange(d, 1, 20));
    }

    [Fact]
    public void Read_weights()
    {
        Assert.Equal(92, ReadPathOrder.Weight("10", 100));
        Assert.Equal(100, ReadPathOrder.Weight("102", 5)); // 0 -> 100
        Assert.Equal(-3, ReadPathOrder.Weight("105", 5));   // dropped by the shuffle
        Assert.Equal(5, ReadPathOrder.Weight("12.50", 5));  // Q24: non-integer utilisation ignored
        Assert.Equal(100, ReadPathOrder.Weight(null, 0));
        Assert.Equal(100, ReadPathOrder.Weight("", null));
        Assert.Equal(-1, ReadPathOrder.Weight(null, -1));
    }

    [Fact]
    public void Shuffle_drops_non_positive_weights_and_keeps_all_others()
    {
        Span<double> w = stackalloc double[] { 1, 0, -5, 3, 2 };
        Span<int> order = stackalloc int[5];
        int n = WeightedShuffle.Shuffle(w, order, new Random(3));
        Assert.Equal(3, n);
        var set = order[..n].ToArray().OrderBy(x => x).ToArray();
        Assert.Equal(new[] { 0, 3, 4 }, set);
    }
}
