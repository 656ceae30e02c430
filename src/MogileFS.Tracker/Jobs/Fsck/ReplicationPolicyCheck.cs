using MogileFS.Core.Model;
using MogileFS.Tracker.Metadata;

namespace MogileFS.Tracker.Jobs.Fsck;

/// <summary>
/// <see cref="IReplicationPolicyCheck"/> over the replicate job's <see cref="ReplicationPolicy"/>: the
/// fid's devices (dead ones included, unknown ones ignored) against every known device. The device
/// list is built once per metadata snapshot; what a policy answers for "satisfied or not" does not
/// depend on the observed state that may change in between (only the candidate lists do).
/// </summary>
public sealed class ReplicationPolicyCheck(DeviceObservations observations, long minFreeMb) : IReplicationPolicyCheck
{
    private (MetadataSnapshot Snap, Dictionary<int, PolicyDevice> ById, List<PolicyDevice> All)? _cache;

    public bool MeetsPolicy(MetadataSnapshot snapshot, ClassInfo cls, IReadOnlyList<int> devids) =>
        Evaluate(snapshot, cls, devids) == PolicyVerdict.AllGood;

    /// <summary>The policy's verdict for these copies against every known device.</summary>
    /// <exception cref="NotSupportedException">the class's policy cannot decide (Union).</exception>
    public PolicyVerdict Evaluate(MetadataSnapshot snapshot, ClassInfo cls, IReadOnlyList<int> devids)
    {
        var (byId, all) = Devices(snapshot);
        var on = new List<PolicyDevice>(devids.Count);
        foreach (int d in devids)
            if (byId.TryGetValue(d, out var pd) && !on.Contains(pd)) on.Add(pd);
        var request = new PolicyRequest { On = on, Universe = all, AllDevices = all, ClassMin = cls.MinDevCount };
        try
        {
            return ReplicationPolicy.ForClass(cls.ReplPolicy).ReplicateTo(request).Verdict;
        }
        catch (PolicyNotUsableException e)
        {
            throw new NotSupportedException(e.Message, e);
        }
    }

    private (Dictionary<int, PolicyDevice>, List<PolicyDevice>) Devices(MetadataSnapshot snap)
    {
        var c = _cache;
        if (c is { } hit && ReferenceEquals(hit.Snap, snap)) return (hit.ById, hit.All);
        var all = BuildDevices(snap, observations, minFreeMb);
        var byId = all.ToDictionary(d => d.DevId);
        _cache = (snap, byId, all);
        return (byId, all);
    }

    /// <summary>Every known device as the policies see it (also used by rebalance).</summary>
    public static List<PolicyDevice> BuildDevices(MetadataSnapshot snap, DeviceObservations obs, long minFreeMb)
    {
        var zones = NetworkZones.From(snap.Setting);
        var list = new List<PolicyDevice>(snap.Devices.Count);
        foreach (var d in snap.Devices)
        {
            snap.TryGetHost(d.HostId, out var h);
            double? pf = d.MbTotal is > 0 && d.MbUsed is not null ? d.PercentFree : null;
            list.Add(new PolicyDevice(d.Id, d.HostId, d.Status, FsckDevices.ShouldGetNewFiles(snap, obs, d, minFreeMb), pf,
                zones.ZoneOf(h?.Ip), zones.NetworkOf(h?.Ip)));
        }
        return list;
    }
}
