using System.Collections.Concurrent;
using MogileFS.Core.Model;

namespace MogileFS.Tracker.Jobs;

/// <summary>One device as a replication policy sees it.</summary>
/// <param name="DevId">device id</param>
/// <param name="HostId">host id</param>
/// <param name="State">administrative device state</param>
/// <param name="AcceptsReplicas">2.73 <c>should_get_replicated_files</c>: device alive, host alive, observed
/// writeable and enough free space</param>
/// <param name="PercentFree">1 - used/total, null while the usage is unknown</param>
/// <param name="Zone">network zone name (HostsPerNetwork), null when the host's IP is in no zone</param>
/// <param name="Network">network for MultipleNetworks: the zone, else the /16 of the host's IP</param>
public sealed record PolicyDevice(int DevId, int HostId, DeviceState State, bool AcceptsReplicas, double? PercentFree, string? Zone = null, string Network = "");

/// <summary>What a policy is asked: where the fid is, where it could go.</summary>
public sealed class PolicyRequest
{
    /// <summary>Devices holding the fid that count (not dead, not masked).</summary>
    public required IReadOnlyList<PolicyDevice> On { get; init; }

    /// <summary>Possible destinations: every known device, or the rebalance target list.</summary>
    public required IReadOnlyList<PolicyDevice> Universe { get; init; }

    /// <summary>Every known device (HostsPerNetwork ignores the universe restriction, as 2.73's plugin).</summary>
    public IReadOnlyList<PolicyDevice>? AllDevices { get; init; }

    /// <summary>Destinations that already failed in this attempt.</summary>
    public IReadOnlySet<int> Failed { get; init; } = new HashSet<int>();

    /// <summary>The class mindevcount.</summary>
    public required int ClassMin { get; init; }

    public Random Rng { get; init; } = Random.Shared;
}

public enum PolicyVerdict
{
    /// <summary>Satisfied.</summary>
    AllGood,
    /// <summary>Satisfied with surplus copies.</summary>
    TooGood,
    /// <summary>Nothing can be done now.</summary>
    TempFail,
    /// <summary>Copy to the first usable device of <see cref="PolicyDecision.Ideal"/>, else of <see cref="PolicyDecision.Desperate"/>.</summary>
    Copy,
}

public sealed record PolicyDecision(PolicyVerdict Verdict, IReadOnlyList<int> Ideal, IReadOnlyList<int> Desperate)
{
    public static readonly PolicyDecision AllGood = new(PolicyVerdict.AllGood, [], []);
    public static readonly PolicyDecision TooGood = new(PolicyVerdict.TooGood, [], []);
    public static readonly PolicyDecision TempFail = new(PolicyVerdict.TempFail, [], []);
    public bool IsHappy => Verdict is PolicyVerdict.AllGood or PolicyVerdict.TooGood;
}

/// <summary>A policy that cannot decide (Union, as in 2.73; an unknown name in the database).</summary>
public sealed class PolicyNotUsableException(string message) : Exception(message);

/// <summary>
/// A class's replication policy (jobs.md §6): <c>MultipleHosts(N)</c> (default), <c>MultipleDevices(N)</c>,
/// <c>Union(P, …)</c> (parses, cannot replicate — as 2.73), and the MogileFS::Network policies
/// <c>HostsPerNetwork(zone=N, …)</c> and <c>MultipleNetworks(N)</c>, built in.
/// </summary>
public abstract class ReplicationPolicy
{
    private static readonly ConcurrentDictionary<string, ReplicationPolicy> Cache = new(StringComparer.Ordinal);
    private const string Prefix = "MogileFS::ReplicationPolicy::";

    public abstract string Name { get; }

    /// <summary>Decides what to do for one fid.</summary>
    public abstract PolicyDecision ReplicateTo(PolicyRequest request);

    /// <summary>The policy of a class's <c>replpolicy</c> column (empty/NULL = MultipleHosts()). Cached per string.</summary>
    public static ReplicationPolicy ForClass(string? replpolicy)
    {
        string key = replpolicy ?? "";
        if (Cache.TryGetValue(key, out var p)) return p;
        p = TryParse(key, out var parsed, out var error) ? parsed! : new BrokenPolicy(key, error!);
        if (Cache.Count < 1000) Cache[key] = p;
        return p;
    }

    /// <summary>Parses the leading policy expression (trailing text is ignored, as 2.73).</summary>
    public static bool TryParse(string text, out ReplicationPolicy? policy, out string? error)
    {
        policy = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            policy = new MultipleHostsPolicy(null);
            return true;
        }
        int pos = 0;
        try
        {
            policy = ParseOne(text, ref pos);
            return true;
        }
        catch (FormatException e)
        {
            error = $"Failed to parse policy string: {text} ({e.Message})";
            return false;
        }
    }

    private static ReplicationPolicy ParseOne(string s, ref int pos)
    {
        SkipWs(s, ref pos);
        int start = pos;
        while (pos < s.Length && (char.IsAsciiLetterOrDigit(s[pos]) || s[pos] == '_' || s[pos] == ':')) pos++;
        string name = s[start..pos];
        if (name.StartsWith(Prefix, StringComparison.Ordinal)) name = name[Prefix.Length..];
        if (name.Length == 0) throw new FormatException("no policy name");
        SkipWs(s, ref pos);
        if (pos >= s.Length || s[pos] != '(') throw new FormatException("expected '('");
        pos++;
        var numbers = new List<int>();
        var nested = new List<ReplicationPolicy>();
        var pairs = new List<(string Key, int Value)>();
        SkipWs(s, ref pos);
        if (pos < s.Length && s[pos] == ')') pos++;
        else
        {
            while (true)
            {
                SkipWs(s, ref pos);
                if (pos < s.Length && s[pos] == ')') { pos++; break; } // trailing comma
                if (pos < s.Length && char.IsAsciiDigit(s[pos]))
                {
                    int ns = pos;
                    while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
                    numbers.Add(int.TryParse(s.AsSpan(ns, pos - ns), out var n) ? n : int.MaxValue);
                }
                else
                {
                    // zone=N or a nested policy
                    int save = pos;
                    int ks = pos;
                    while (pos < s.Length && (char.IsAsciiLetterOrDigit(s[pos]) || s[pos] is '_' or '-')) pos++;
                    string key = s[ks..pos];
                    SkipWs(s, ref pos);
                    if (key.Length > 0 && pos < s.Length && s[pos] == '=')
                    {
                        pos++;
                        SkipWs(s, ref pos);
                        int ns = pos;
                        while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
                        if (ns == pos) throw new FormatException($"expected a number after '{key}='");
                        pairs.Add((key, int.TryParse(s.AsSpan(ns, pos - ns), out var n) ? n : int.MaxValue));
                    }
                    else
                    {
                        pos = save;
                        nested.Add(ParseOne(s, ref pos));
                    }
                }
                SkipWs(s, ref pos);
                if (pos < s.Length && s[pos] == ',') { pos++; continue; }
                if (pos < s.Length && s[pos] == ')') { pos++; break; }
                throw new FormatException("expected ',' or ')'");
            }
        }
        int? count = numbers.Count > 0 && numbers[0] > 0 ? numbers[0] : null;
        return name switch
        {
            "MultipleHosts" when nested.Count == 0 && pairs.Count == 0 => new MultipleHostsPolicy(count),
            "MultipleDevices" when nested.Count == 0 && pairs.Count == 0 => new MultipleDevicesPolicy(count),
            "MultipleNetworks" when nested.Count == 0 && pairs.Count == 0 => new MultipleNetworksPolicy(count),
            "HostsPerNetwork" when nested.Count == 0 && numbers.Count == 0 => new HostsPerNetworkPolicy(pairs),
            "Union" when numbers.Count == 0 && pairs.Count == 0 => new UnionPolicy(nested),
            "MultipleHosts" or "MultipleDevices" or "MultipleNetworks" or "HostsPerNetwork" or "Union" => throw new FormatException($"bad arguments for {name}"),
            _ => throw new FormatException($"unknown policy '{name}'"),
        };
    }

    private static void SkipWs(string s, ref int pos)
    {
        while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
    }

    // ---- helpers shared by the policies ---------------------------------------------------------

    /// <summary>
    /// 2.73's candidate order: most free first, keep 20, weighted random order by 100 × percent free.
    /// Ours: a device whose usage is not known yet is kept with a tiny weight (after every device with
    /// known usage) instead of being dropped, so a new device is not ignored until its first usage
    /// figures reach the database.
    /// </summary>
    public static List<int> WeightedOrder(List<PolicyDevice> devices, Random rng)
    {
        var sorted = devices.OrderByDescending(d => d.PercentFree ?? -1.0).Take(20).ToList();
        var weights = new double[sorted.Count];
        for (int i = 0; i < sorted.Count; i++)
            weights[i] = sorted[i].PercentFree is double pf ? 100 * pf : 0.001;
        var order = new int[sorted.Count];
        int n = MogileFS.Tracker.Storage.WeightedShuffle.Shuffle(weights, order, rng);
        var result = new List<int>(n);
        for (int i = 0; i < n; i++) result.Add(sorted[order[i]].DevId);
        return result;
    }

    /// <summary>Universe devices not holding the fid, not failed, accepting replicas (jobs.md §6.1 step 5).</summary>
    protected static List<PolicyDevice> Candidates(PolicyRequest r, IReadOnlyList<PolicyDevice>? from = null)
    {
        var on = new HashSet<int>(r.On.Select(d => d.DevId));
        var list = new List<PolicyDevice>();
        foreach (var d in from ?? r.Universe)
            if (!on.Contains(d.DevId) && !r.Failed.Contains(d.DevId) && d.AcceptsReplicas) list.Add(d);
        return list;
    }

    private sealed class BrokenPolicy(string text, string error) : ReplicationPolicy
    {
        public override string Name => text;
        public override PolicyDecision ReplicateTo(PolicyRequest request) => throw new PolicyNotUsableException(error);
    }
}

/// <summary>
/// <c>MultipleHosts(N)</c> (jobs.md §6.1): N copies on N distinct hosts when there are enough hosts,
/// doubling up on devices of the same host only as a last resort ("desperate").
/// </summary>
public sealed class MultipleHostsPolicy(int? count) : ReplicationPolicy
{
    public override string Name => $"MultipleHosts({count})";

    public override PolicyDecision ReplicateTo(PolicyRequest r)
    {
        int min = count ?? r.ClassMin;
        int onCount = r.On.Count;
        if (min == 1 && onCount == 1) return PolicyDecision.AllGood;
        int totalDisks = r.Universe.Count(d => d.State != DeviceState.Dead);
        var hostsOn = new HashSet<int>(r.On.Select(d => d.HostId));
        int totalHosts = r.Universe.Where(d => d.State.ShouldGetNewFiles()).Select(d => d.HostId).Distinct().Count();
        if (hostsOn.Count > min) return PolicyDecision.TooGood;
        if (onCount > min) return PolicyDecision.TooGood;
        if (hostsOn.Count == min) return PolicyDecision.AllGood;
        if (hostsOn.Count >= totalHosts && onCount >= min) return PolicyDecision.AllGood;
        if (onCount >= 2 && onCount == totalDisks) return PolicyDecision.AllGood;

        var cands = Candidates(r);
        if (cands.Count == 0) return PolicyDecision.TempFail;
        var ideal = new List<PolicyDevice>();
        var desperate = new List<PolicyDevice>();
        if (hostsOn.Count < totalHosts)
        {
            foreach (var d in cands) (hostsOn.Contains(d.HostId) ? desperate : ideal).Add(d);
        }
        else ideal.AddRange(cands);
        if (onCount >= min && ideal.Count == 0) return PolicyDecision.TempFail;
        return new PolicyDecision(PolicyVerdict.Copy, WeightedOrder(ideal, r.Rng), WeightedOrder(desperate, r.Rng));
    }
}

/// <summary><c>MultipleDevices(N)</c> (jobs.md §6.2): N copies on any N devices, hosts ignored.</summary>
public sealed class MultipleDevicesPolicy(int? count) : ReplicationPolicy
{
    public override string Name => $"MultipleDevices({count})";

    public override PolicyDecision ReplicateTo(PolicyRequest r)
    {
        int min = count ?? r.ClassMin;
        int onCount = r.On.Count;
        if (onCount == min) return PolicyDecision.AllGood;
        if (onCount > min) return PolicyDecision.TooGood;
        if (onCount >= 2 && onCount == r.Universe.Count(d => d.State != DeviceState.Dead)) return PolicyDecision.AllGood;
        var cands = Candidates(r);
        if (cands.Count == 0) return PolicyDecision.TempFail;
        return new PolicyDecision(PolicyVerdict.Copy, WeightedOrder(cands, r.Rng), []);
    }
}

/// <summary>
/// <c>Union(P1, P2, …)</c>: accepted when a class is created, but 2.73 never implemented deciding with
/// it (replication and fsck of its files fail). Same here, with a clear error instead of a crash.
/// </summary>
public sealed class UnionPolicy(IReadOnlyList<ReplicationPolicy> parts) : ReplicationPolicy
{
    public IReadOnlyList<ReplicationPolicy> Parts { get; } = parts;
    public override string Name => "Union(" + string.Join(", ", Parts.Select(p => p.Name)) + ")";
    public override PolicyDecision ReplicateTo(PolicyRequest request) =>
        throw new PolicyNotUsableException("Union replication policy cannot decide replication (not implemented in MogileFS 2.73 either)");
}
