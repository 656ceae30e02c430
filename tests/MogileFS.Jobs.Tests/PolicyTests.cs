using MogileFS.Core.Model;
using MogileFS.Tracker.Jobs;

namespace MogileFS.Jobs.Tests;

/// <summary>The outcome tables of jobs.md §6.1/§6.2 (2.73's test suite) as test vectors.</summary>
public sealed class PolicyTests
{
    // hN hosts, dN devices; every device alive/writeable with 10 % used unless said otherwise.
    private sealed class Layout
    {
        private readonly List<PolicyDevice> _devices = new();
        private readonly HashSet<int> _on = new();

        public Layout Host(int host, bool alive = true, params int[] devs)
        {
            foreach (var d in devs) _devices.Add(new PolicyDevice(d, host, DeviceState.Alive, alive, 0.9));
            return this;
        }

        public Layout On(params int[] devs)
        {
            foreach (var d in devs) _on.Add(d);
            return this;
        }

        public Layout State(int dev, DeviceState s)
        {
            int i = _devices.FindIndex(x => x.DevId == dev);
            _devices[i] = _devices[i] with { State = s, AcceptsReplicas = _devices[i].AcceptsReplicas && s == DeviceState.Alive };
            return this;
        }

        public PolicyDecision Ask(ReplicationPolicy p, int min) => p.ReplicateTo(new PolicyRequest
        {
            // the caller (replicate) drops dead copies before asking
            On = _devices.Where(d => _on.Contains(d.DevId) && d.State != DeviceState.Dead).ToList(),
            Universe = _devices,
            ClassMin = min,
        });
    }

    private static void Ideal(PolicyDecision d, params int[] devs)
    {
        Assert.Equal(PolicyVerdict.Copy, d.Verdict);
        Assert.Equal(devs.OrderBy(x => x), d.Ideal.OrderBy(x => x));
    }

    private static void Desperate(PolicyDecision d, params int[] devs)
    {
        Assert.Equal(PolicyVerdict.Copy, d.Verdict);
        Assert.Empty(d.Ideal);
        Assert.Equal(devs.OrderBy(x => x), d.Desperate.OrderBy(x => x));
    }

    private static readonly ReplicationPolicy MH = new MultipleHostsPolicy(null);
    private static readonly ReplicationPolicy MD = new MultipleDevicesPolicy(null);

    [Fact]
    public void MultipleHostsTable()
    {
        Assert.Equal(PolicyVerdict.AllGood, new Layout().Host(1, true, 1, 2).Host(2, true, 3, 4).On(1, 3).Ask(MH, 2).Verdict);
        Ideal(new Layout().Host(1, true, 1, 2).Host(2, true, 3, 4).On(1).Ask(MH, 2), 3, 4);
        Ideal(new Layout().Host(1, true, 1, 2).Host(2, true, 3, 4).On(1, 2).Ask(MH, 2), 3, 4);
        Ideal(new Layout().Host(1, true, 1, 2).Host(2, true, 3, 4).Ask(MH, 2), 1, 2, 3, 4);
        Desperate(new Layout().Host(1, true, 1, 2).Host(2, false, 3, 4).On(1).Ask(MH, 2), 2);
        Ideal(new Layout().Host(1, true, 1, 2).Host(2, false, 3, 4).Host(3, true, 5, 6).On(1).Ask(MH, 2), 5, 6);
        Ideal(new Layout().Host(1, true, 1, 2).Host(2, true, 3, 4).On(2, 3).State(2, DeviceState.Dead).Ask(MH, 2), 1);
        Ideal(new Layout().Host(1, true, 1, 2).Host(2, true, 3, 4).On(2, 3).Ask(MH, 3), 1, 4);
        Ideal(new Layout().Host(1, true, 1, 2).Host(2, true, 3, 4).Host(3, true, 5).On(2, 3).Ask(MH, 3), 5);
        Desperate(new Layout().Host(1, true, 1, 2).Host(2, true, 3, 4).Host(3, false, 5).On(2, 3).Ask(MH, 3), 1, 4);
        Assert.Equal(PolicyVerdict.TooGood, new Layout().Host(1, true, 1).Host(2, true, 2).Host(3, true, 3).On(1, 2, 3).Ask(MH, 2).Verdict);
        Assert.Equal(PolicyVerdict.TooGood, new Layout().Host(1, true, 1, 2).Host(2, true, 3).On(1, 2, 3).Ask(MH, 2).Verdict);
        Assert.Equal(PolicyVerdict.AllGood, new Layout().Host(1, true, 2).Host(2, true, 3, 4).On(2, 3, 4).Ask(MH, 3).Verdict);
        Assert.Equal(PolicyVerdict.AllGood, new Layout().Host(1, true, 3, 5).Host(2, true, 4).On(3, 4).State(3, DeviceState.Drain).Ask(MH, 2).Verdict);
        Assert.Equal(PolicyVerdict.TooGood, new Layout().Host(1, true, 3, 5).Host(2, true, 4).On(3, 4, 5).State(3, DeviceState.Drain).Ask(MH, 2).Verdict);
    }

    [Fact]
    public void MultipleDevicesTable()
    {
        Ideal(new Layout().Host(1, true, 1, 2).Host(2, true, 3, 4).On(1).Ask(MD, 2), 2, 3, 4);
        Assert.Equal(PolicyVerdict.AllGood, new Layout().Host(1, true, 1, 2).Host(2, true, 3, 4).On(1, 2).Ask(MD, 2).Verdict);
        Ideal(new Layout().Host(1, true, 1, 2).Host(2, false, 3, 4).On(1).Ask(MD, 2), 2);
        Ideal(new Layout().Host(1, true, 1, 2).Host(2, true, 3, 4).Host(3, false, 5).On(2, 3).Ask(MD, 3), 1, 4);
    }

    [Fact]
    public void MinOfOneWithOneCopyIsHappy() =>
        Assert.Equal(PolicyVerdict.AllGood, new Layout().Host(1, true, 1, 2).Host(2, true, 3).On(1).Ask(MH, 1).Verdict);

    [Fact]
    public void CountInParenthesesOverridesClassMin() =>
        Ideal(new Layout().Host(1, true, 1).Host(2, true, 2).Host(3, true, 3).On(1, 2).Ask(new MultipleHostsPolicy(3), 2), 3);

    [Theory]
    [InlineData("", "MultipleHosts()")]
    [InlineData("MultipleHosts()", "MultipleHosts()")]
    [InlineData("  MultipleHosts(3) trailing text", "MultipleHosts(3)")]
    [InlineData("MogileFS::ReplicationPolicy::MultipleDevices(2)", "MultipleDevices(2)")]
    [InlineData("Union(MultipleHosts(5), MultipleHosts(2),\n)", "Union(MultipleHosts(5), MultipleHosts(2))")]
    [InlineData("HostsPerNetwork(near=2, far=1)", "HostsPerNetwork(near=2, far=1)")]
    [InlineData("MultipleNetworks(2)", "MultipleNetworks(2)")]
    public void Parses(string text, string name)
    {
        Assert.True(ReplicationPolicy.TryParse(text, out var p, out var err), err);
        Assert.Equal(name, p!.Name);
    }

    [Theory]
    [InlineData("NoSuchPolicy()")]
    [InlineData("MultipleHosts")]
    [InlineData("MultipleHosts(2")]
    public void RejectsBadPolicies(string text) => Assert.False(ReplicationPolicy.TryParse(text, out _, out _));

    [Fact]
    public void UnionCannotDecideLike273() =>
        Assert.Throws<PolicyNotUsableException>(() => new Layout().Host(1, true, 1).On(1).Ask(ReplicationPolicy.ForClass("Union(MultipleHosts(2))"), 2));

    [Fact]
    public void UnknownUsageIsLastResortNotExcluded()
    {
        var devs = new List<PolicyDevice>
        {
            new(1, 1, DeviceState.Alive, true, 0.9),
            new(2, 2, DeviceState.Alive, true, null), // usage not known yet
        };
        var d = MD.ReplicateTo(new PolicyRequest { On = [], Universe = devs, ClassMin = 2 });
        Assert.Equal([1, 2], d.Ideal); // known usage first, the new device still usable
    }

    [Fact]
    public void HostsPerNetworkFillsEachZone()
    {
        var devs = new List<PolicyDevice>
        {
            new(1, 1, DeviceState.Alive, true, 0.5, "near"), new(2, 2, DeviceState.Alive, true, 0.5, "near"),
            new(3, 3, DeviceState.Alive, true, 0.5, "far"), new(4, 4, DeviceState.Alive, true, 0.5, "far"),
        };
        var p = ReplicationPolicy.ForClass("HostsPerNetwork(near=2, far=1)");
        var d = p.ReplicateTo(new PolicyRequest { On = [devs[0]], Universe = devs, ClassMin = 2 });
        Assert.Equal(PolicyVerdict.Copy, d.Verdict);
        Assert.Equal([2, 3, 4], d.Ideal.OrderBy(x => x));
        d = p.ReplicateTo(new PolicyRequest { On = [devs[0], devs[1]], Universe = devs, ClassMin = 2 });
        Assert.Equal([3, 4], d.Ideal.OrderBy(x => x));
        Assert.Equal(PolicyVerdict.AllGood, p.ReplicateTo(new PolicyRequest { On = [devs[0], devs[1], devs[2]], Universe = devs, ClassMin = 2 }).Verdict);
        Assert.Equal(PolicyVerdict.TooGood, p.ReplicateTo(new PolicyRequest { On = devs, Universe = devs, ClassMin = 2 }).Verdict);
    }

    [Fact]
    public void MultipleNetworksPrefersAnotherNetwork()
    {
        var devs = new List<PolicyDevice>
        {
            new(1, 1, DeviceState.Alive, true, 0.5, null, "10.1.0.0/16"), new(2, 2, DeviceState.Alive, true, 0.5, null, "10.1.0.0/16"),
            new(3, 3, DeviceState.Alive, true, 0.5, null, "10.2.0.0/16"),
        };
        var d = new MultipleNetworksPolicy(2).ReplicateTo(new PolicyRequest { On = [devs[0]], Universe = devs, ClassMin = 2 });
        Assert.Equal([3], d.Ideal);
        Assert.Equal([2], d.Desperate);
        // two hosts in one network do not satisfy it while another network exists
        Assert.Equal(PolicyVerdict.Copy, new MultipleNetworksPolicy(2).ReplicateTo(new PolicyRequest { On = [devs[0], devs[1]], Universe = devs, ClassMin = 2 }).Verdict);
        Assert.Equal(PolicyVerdict.AllGood, new MultipleNetworksPolicy(2).ReplicateTo(new PolicyRequest { On = [devs[0], devs[2]], Universe = devs, ClassMin = 2 }).Verdict);
    }

    [Fact]
    public void ZonesPickTheMostSpecificMask()
    {
        var settings = new Dictionary<string, string> { ["network_zones"] = "near, far", ["zone_near"] = "127.0.0.0/8", ["zone_far"] = "127.0.33.0/24 10.0.0.0/8" };
        var z = NetworkZones.From(k => settings.GetValueOrDefault(k));
        Assert.Equal("near", z.ZoneOf("127.0.32.1"));
        Assert.Equal("far", z.ZoneOf("127.0.33.1"));
        Assert.Equal("far", z.ZoneOf("10.9.9.9"));
        Assert.Null(z.ZoneOf("192.168.1.1"));
        Assert.Equal("192.168.0.0/16", z.NetworkOf("192.168.1.1"));
    }

    [Fact]
    public void BackoffFollows273Table()
    {
        var rng = new Random(1);
        foreach (var (fc, b) in new[] { (0, 15), (1, 60), (2, 300), (7, 28800), (8, 86400), (20, 86400) })
        {
            long d = Replicator.BackoffSeconds(fc, rng);
            Assert.InRange(d, (long)(b * 0.8), (long)(b * 1.2));
        }
    }
}
