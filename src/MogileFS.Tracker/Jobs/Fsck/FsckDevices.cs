using MogileFS.Core.Model;
using MogileFS.Tracker.Metadata;

namespace MogileFS.Tracker.Jobs.Fsck;

/// <summary>The device predicates of jobs.md §2.3 that fsck, the scrubber and rebalance use.</summary>
public static class FsckDevices
{
    /// <summary>can_read_from: host alive/readonly and device state readable.</summary>
    public static bool CanReadFrom(MetadataSnapshot snap, DeviceInfo d) =>
        snap.TryGetHost(d.HostId, out var h) && h.Status is HostState.Alive or HostState.Readonly && d.Status.CanRead();

    /// <summary>should_read_from: can_read_from and observed readable or writeable.</summary>
    public static bool ShouldReadFrom(MetadataSnapshot snap, DeviceObservations obs, DeviceInfo d) =>
        CanReadFrom(snap, d) && obs.IsReadable(d);

    /// <summary>can_delete_from: host alive and device alive or drain.</summary>
    public static bool CanDeleteFrom(MetadataSnapshot snap, DeviceInfo d) =>
        snap.TryGetHost(d.HostId, out var h) && h.Status == HostState.Alive && d.Status.CanDeleteFrom();

    /// <summary>should_get_new_files: device alive, observed writeable, host alive, enough free space.</summary>
    public static bool ShouldGetNewFiles(MetadataSnapshot snap, DeviceObservations obs, DeviceInfo d, long minFreeMb) =>
        d.Status.ShouldGetNewFiles() && obs.IsWriteable(d)
        && snap.TryGetHost(d.HostId, out var h) && h.Status == HostState.Alive
        && !(d.MbTotal is > 0 && (d.MbFree ?? 0) < minFreeMb);
}
