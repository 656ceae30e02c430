using System.Net;
using MogileFS.Core.Model;
using MogileFS.Tracker.Metadata;

namespace MogileFS.Tracker.Jobs;

/// <summary>
/// Network zones of the MogileFS::Network policies: server setting <c>network_zones</c> (comma list of
/// names) and <c>zone_&lt;name&gt;</c> (comma/space list of CIDR masks). A host's zone is the most
/// specific mask containing its IP; IPs in no zone have none. Rebuilt from each metadata snapshot
/// (2.73's plugin re-read them every <c>network_reload_interval</c>, default 60 s).
/// </summary>
public sealed class NetworkZones
{
    private readonly List<(string Zone, NetMask Mask, int Prefix)> _masks = new();

    public static readonly NetworkZones Empty = new();

    public static NetworkZones From(Func<string, string?> setting)
    {
        var z = new NetworkZones();
        var names = setting("network_zones");
        if (string.IsNullOrWhiteSpace(names)) return z;
        foreach (var raw in names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var masks = setting("zone_" + raw);
            if (masks is null) continue;
            foreach (var m in masks.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
                if (NetMask.TryParse(m, out var mask)) z._masks.Add((raw, mask, PrefixOf(m)));
        }
        return z;
    }

    public bool IsEmpty => _masks.Count == 0;

    private static int PrefixOf(string text)
    {
        int slash = text.IndexOf('/');
        if (slash < 0) return text.Contains(':') ? 128 : 32;
        var p = text[(slash + 1)..];
        if (int.TryParse(p, out int n)) return n;
        if (IPAddress.TryParse(p, out var m))
        {
            int bits = 0;
            foreach (var b in m.GetAddressBytes()) bits += System.Numerics.BitOperations.PopCount(b);
            return bits;
        }
        return 0;
    }

    /// <summary>The zone of an IP (most specific mask wins), or null.</summary>
    public string? ZoneOf(string? ip)
    {
        if (ip is null || !IPAddress.TryParse(ip, out var addr)) return null;
        string? best = null;
        int bestPrefix = -1;
        foreach (var (zone, mask, prefix) in _masks)
            if (prefix > bestPrefix && mask.Contains(addr)) { best = zone; bestPrefix = prefix; }
        return best;
    }

    /// <summary>MultipleNetworks' network of an IP: its zone, else its /16.</summary>
    public string NetworkOf(string? ip)
    {
        var zone = ZoneOf(ip);
        if (zone != null) return "zone:" + zone;
        if (ip != null && IPAddress.TryParse(ip, out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            var b = a.GetAddressBytes();
            return $"{b[0]}.{b[1]}.0.0/16";
        }
        return ip ?? "";
    }
}

/// <summary>
/// <c>HostsPerNetwork(zone=N, …)</c> (MogileFS::Network, jobs.md §6.4): N copies on distinct hosts in
/// each listed zone (on devices when the zone has fewer hosts). Ignores the class mindevcount and,
/// like the plugin, the destination restriction (it looks at all known devices).
/// </summary>
public sealed class HostsPerNetworkPolicy(IReadOnlyList<(string Zone, int Count)> zones) : ReplicationPolicy
{
    public IReadOnlyList<(string Zone, int Count)> Zones { get; } = zones;

    public override string Name => "HostsPerNetwork(" + string.Join(", ", Zones.Select(z => $"{z.Zone}={z.Count}")) + ")";

    public override PolicyDecision ReplicateTo(PolicyRequest r)
    {
        var devsOn = new Dictionary<string, int>(StringComparer.Ordinal);
        var hostsOn = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        foreach (var d in r.On)
        {
            if (d.Zone is null) continue;
            devsOn[d.Zone] = devsOn.GetValueOrDefault(d.Zone) + 1;
            (hostsOn.TryGetValue(d.Zone, out var hs) ? hs : hostsOn[d.Zone] = new HashSet<int>()).Add(d.HostId);
        }
        var all = r.AllDevices ?? r.Universe;
        var availHosts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var g in r.Universe.Where(d => d.State != DeviceState.Dead && d.Zone != null).GroupBy(d => d.Zone!))
            availHosts[g.Key] = g.Select(d => d.HostId).Distinct().Count();

        var needed = new HashSet<string>(StringComparer.Ordinal);
        int tooGood = 0;
        foreach (var (zone, n) in Zones)
        {
            int on = n <= availHosts.GetValueOrDefault(zone) ? hostsOn.GetValueOrDefault(zone)?.Count ?? 0 : devsOn.GetValueOrDefault(zone);
            if (on < n) needed.Add(zone);
            else if (devsOn.GetValueOrDefault(zone) > n) tooGood++;
        }
        if (needed.Count == 0) return tooGood > 0 ? PolicyDecision.TooGood : PolicyDecision.AllGood;

        var holdingHosts = new HashSet<int>(r.On.Select(d => d.HostId));
        var ideal = new List<PolicyDevice>();
        var desperate = new List<PolicyDevice>();
        foreach (var d in Candidates(r, all))
        {
            if (d.Zone is null || !needed.Contains(d.Zone)) continue;
            (holdingHosts.Contains(d.HostId) ? desperate : ideal).Add(d);
        }
        if (ideal.Count == 0 && desperate.Count == 0) return PolicyDecision.TempFail;
        return new PolicyDecision(PolicyVerdict.Copy, WeightedOrder(ideal, r.Rng), WeightedOrder(desperate, r.Rng));
    }
}

/// <summary>
/// <c>MultipleNetworks(N)</c> (MogileFS::Network, jobs.md §6.4): MultipleHosts that first spreads the
/// copies over up to N networks (zone, else /16).
/// </summary>
public sealed class MultipleNetworksPolicy(int? count) : ReplicationPolicy
{
    public override string Name => $"MultipleNetworks({count})";

    public override PolicyDecision ReplicateTo(PolicyRequest r)
    {
        int min = count ?? r.ClassMin;
        int onCount = r.On.Count;
        if (min == 1 && onCount >= 1) return PolicyDecision.AllGood;
        if (onCount >= 2 && onCount == r.Universe.Count(d => d.State != DeviceState.Dead)) return PolicyDecision.AllGood;
        var accepting = r.Universe.Where(d => d.State.ShouldGetNewFiles()).ToList();
        int targetNetworks = Math.Min(min, accepting.Select(d => d.Network).Distinct(StringComparer.Ordinal).Count());
        var netsOn = new HashSet<string>(r.On.Select(d => d.Network), StringComparer.Ordinal);
        var hostsOn = new HashSet<int>(r.On.Select(d => d.HostId));
        int totalHosts = accepting.Select(d => d.HostId).Distinct().Count();
        if (netsOn.Count >= targetNetworks)
        {
            if (hostsOn.Count > min) return PolicyDecision.TooGood;
            if (hostsOn.Count == min && onCount > min) return PolicyDecision.TooGood;
            if (hostsOn.Count == min) return PolicyDecision.AllGood;
            if (hostsOn.Count >= totalHosts && onCount >= min) return PolicyDecision.AllGood;
        }
        var cands = Candidates(r);
        if (cands.Count == 0) return PolicyDecision.TempFail;
        var ideal = new List<PolicyDevice>();
        var hostDesperate = new List<PolicyDevice>();
        var netDesperate = new List<PolicyDevice>();
        if (hostsOn.Count < totalHosts)
        {
            foreach (var d in cands)
            {
                if (hostsOn.Contains(d.HostId)) hostDesperate.Add(d);
                else if (netsOn.Contains(d.Network)) netDesperate.Add(d);
                else ideal.Add(d);
            }
        }
        else ideal.AddRange(cands);
        if (onCount >= min && ideal.Count == 0 && netsOn.Count >= targetNetworks) return PolicyDecision.TempFail;
        var desperate = WeightedOrder(netDesperate, r.Rng);
        desperate.AddRange(WeightedOrder(hostDesperate, r.Rng));
        return new PolicyDecision(PolicyVerdict.Copy, WeightedOrder(ideal, r.Rng), desperate);
    }
}
