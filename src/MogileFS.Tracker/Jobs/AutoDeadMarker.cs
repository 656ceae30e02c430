using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using MogileFS.Core.Model;
using MogileFS.Core.Protocol;

namespace MogileFS.Tracker.Jobs;

/// <summary>
/// Opt-in (server setting <c>auto_mark_dead_after</c>, seconds; unset or 0 = off, as in 2.73): a
/// device that this tracker's monitor has seen unreachable without a break for that long is
/// marked <c>dead</c>, so the reaper re-replicates its files without an operator. Runs at the start
/// of every reaper pass. Only devices that are alive, readonly or drain on hosts an operator left
/// alive or readonly are considered (a host marked down is the operator's call). Nothing is marked
/// while fewer than half of those hosts are reachable: then the tracker is more likely cut off
/// from the network than the nodes dead. Marking is what <c>mogadm device mark HOST DEV dead</c>
/// does, so it is as final: the device does not come back.
/// </summary>
public sealed class AutoDeadMarker(JobHost host)
{
    public const string Setting = "auto_mark_dead_after";
    private readonly ILogger _log = host.Runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Jobs.AutoDead");
    private readonly ConcurrentDictionary<int, DateTimeOffset> _unreachableSince = new();

    /// <summary>Devices currently counted as unreachable, and since when (for tests and status).</summary>
    public IReadOnlyDictionary<int, DateTimeOffset> UnreachableSince => _unreachableSince;

    public async Task PassAsync(CancellationToken ct)
    {
        var rt = host.Runtime;
        var snap = rt.Metadata.Current;
        long after = Perl.IntAsLong(snap.Setting(Setting) ?? "0");
        if (after <= 0) { _unreachableSince.Clear(); return; }

        var now = DateTimeOffset.UtcNow;
        var obs = rt.Observations;
        var candidates = snap.Devices
            .Where(d => d.Status is DeviceState.Alive or DeviceState.Readonly or DeviceState.Drain
                        && snap.TryGetHost(d.HostId, out var h) && h.Status is HostState.Alive or HostState.Readonly)
            .ToList();
        var seen = new HashSet<int>();
        var hosts = new HashSet<int>();
        var reachableHosts = new HashSet<int>();
        foreach (var d in candidates)
        {
            hosts.Add(d.HostId);
            if (obs.IsReadable(d)) reachableHosts.Add(d.HostId);
            bool unreachable = obs.HostReachable(d.HostId) == false || obs.Get(d.Id)?.State == ObservedState.Unreachable;
            if (!unreachable) continue;
            seen.Add(d.Id);
            _unreachableSince.TryAdd(d.Id, now);
        }
        foreach (var id in _unreachableSince.Keys)
            if (!seen.Contains(id)) _unreachableSince.TryRemove(id, out _);

        var due = candidates.Where(d => _unreachableSince.TryGetValue(d.Id, out var since) && (now - since).TotalSeconds >= after).ToList();
        if (due.Count == 0) return;
        if (reachableHosts.Count * 2 < hosts.Count)
        {
            JobLog.AutoDeadHeld(_log, due.Count, reachableHosts.Count, hosts.Count);
            return;
        }
        foreach (var d in due)
        {
            await rt.Store.SetDeviceStateAsync(d.Id, DeviceState.Dead, ct).ConfigureAwait(false);
            _unreachableSince.TryRemove(d.Id, out _);
            JobLog.AutoDeadMarked(_log, d.Id, d.HostId, after);
        }
        await rt.Metadata.ReloadAsync(ct).ConfigureAwait(false);
    }
}
