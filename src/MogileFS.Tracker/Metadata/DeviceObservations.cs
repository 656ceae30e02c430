using System.Collections.Concurrent;
using MogileFS.Core.Model;

namespace MogileFS.Tracker.Metadata;

/// <summary>What the monitor last saw of one device (never stored in the database).</summary>
public sealed record DeviceObservation(ObservedState State, string? Utilization, bool? RejectBadMd5, DateTimeOffset At);

/// <summary>
/// Observed state of hosts and devices, written by the monitor job (a later issue) and read by
/// commands (get_devices, create_open, get_paths). Until the monitor reports, everything is
/// unknown, so nothing is readable or writable (jobs.md §2.3).
/// </summary>
public sealed class DeviceObservations
{
    private readonly ConcurrentDictionary<int, DeviceObservation> _devices = new();
    private readonly ConcurrentDictionary<int, bool> _hostsReachable = new();

    public DeviceObservation? Get(int devid) => _devices.TryGetValue(devid, out var o) ? o : null;

    public void Set(int devid, DeviceObservation observation) => _devices[devid] = observation;

    public void Forget(int devid) => _devices.TryRemove(devid, out _);

    /// <summary>true = reachable, false = unreachable, null = unknown.</summary>
    public bool? HostReachable(int hostid) => _hostsReachable.TryGetValue(hostid, out var r) ? r : null;

    public void SetHostReachable(int hostid, bool reachable) => _hostsReachable[hostid] = reachable;

    /// <summary>observed_writeable: host reachable and device observed writeable.</summary>
    public bool IsWriteable(DeviceInfo d) => HostReachable(d.HostId) == true && Get(d.Id)?.State == ObservedState.Writeable;

    /// <summary>observed readable or writeable (host reachable).</summary>
    public bool IsReadable(DeviceInfo d) =>
        HostReachable(d.HostId) == true && Get(d.Id)?.State is ObservedState.Readable or ObservedState.Writeable;
}

/// <summary>
/// Monitor rounds: create_open waits for the first one, do_monitor_round for the next one.
/// Until the monitor job exists, the metadata refresher completes a "round" after each reload;
/// the monitor job sets <see cref="DrivenByMonitorJob"/> and calls <see cref="RoundCompleted"/> itself.
/// </summary>
public sealed class MonitorState
{
    private readonly object _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set by the real monitor job when it starts.</summary>
    public bool DrivenByMonitorJob { get; set; }

    public long RoundsCompleted { get; private set; }

    public bool HasCompletedFirstRound => _first.Task.IsCompleted;

    public Task WaitForFirstRoundAsync(CancellationToken ct) => _first.Task.WaitAsync(ct);

    public Task WaitForNextRoundAsync(CancellationToken ct)
    {
        lock (_gate) return _next.Task.WaitAsync(ct);
    }

    public void RoundCompleted()
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            done = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            RoundsCompleted++;
        }
        _first.TrySetResult();
        done.TrySetResult();
    }
}
