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

    // 2.73's test hook (Device.pm observed_utilization): with TESTING set in the environment,
    // T_FAKE_IO_DEV<devid> stands in for the device's observed I/O utilisation.
    private readonly Func<string, string?> _environment;
    private readonly bool _testing;

    public DeviceObservations() : this(Environment.GetEnvironmentVariable) { }

    /// <param name="environment">Reads an environment variable (tests pass their own).</param>
    public DeviceObservations(Func<string, string?> environment)
    {
        _environment = environment;
        _testing = MogileFS.Core.Protocol.Perl.IsTrue(environment("TESTING"));
    }

    /// <summary>The device's observed utilisation (iostat %util), as read-path ordering uses it.</summary>
    public string? UtilizationOf(int devid)
    {
        if (_testing && _environment("T_FAKE_IO_DEV" + devid.ToString(System.Globalization.CultureInfo.InvariantCulture)) is { } fake)
            return fake;
        return Get(devid)?.Utilization;
    }

    public void Set(int devid, DeviceObservation observation)
    {
        _devices[devid] = observation;
        if (observation.State is ObservedState.Writeable or ObservedState.Readable) _lastGood[devid] = observation.At;
    }

    private readonly ConcurrentDictionary<int, DateTimeOffset> _lastGood = new();

    /// <summary>When the monitor last found the device readable or writeable (null: never, since this tracker started).</summary>
    public DateTimeOffset? LastGoodProbe(int devid) => _lastGood.TryGetValue(devid, out var t) ? t : null;

    public void Forget(int devid)
    {
        _devices.TryRemove(devid, out _);
        _lastGood.TryRemove(devid, out _);
    }

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
/// Monitor rounds: create_open waits for the first one; clear_cache and do_monitor_round ask for a
/// fresh round and wait until a round that <em>started after the request</em> has completed, so
/// every device added or changed before the request has been probed when they reply (2.73's
/// <c>forget_that_monitor_has_run</c> + <c>:refresh_monitor</c> + <c>wait_for_monitor</c>).
/// Until the monitor job runs, the metadata refresher completes a "round" after each reload; the
/// monitor job sets <see cref="DrivenByMonitorJob"/> and reports <see cref="RoundStarted"/> and
/// <see cref="RoundCompleted"/> itself.
/// </summary>
public sealed class MonitorState
{
    private readonly object _gate = new();
    // Completed when the round that is running now (if any) ends.
    private TaskCompletionSource _current = NewTcs();
    // Completed when the next round to start ends.
    private TaskCompletionSource _afterNextStart = NewTcs();
    private readonly TaskCompletionSource _first = NewTcs();
    private readonly SemaphoreSlim _requested = new(0, 1);

    private static TaskCompletionSource NewTcs() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set by the real monitor job when it starts.</summary>
    public bool DrivenByMonitorJob { get; set; }

    /// <summary>True while the monitor job runs no rounds (<c>!want 0 monitor</c>).</summary>
    public bool Paused { get; private set; }

    /// <summary>The monitor stops (true) or resumes (false) its rounds; stopping releases every waiter.</summary>
    public void SetPaused(bool paused)
    {
        if (Paused == paused) return;
        TaskCompletionSource a, b;
        lock (_gate)
        {
            Paused = paused;
            if (!paused) return;
            a = _current;
            b = _afterNextStart;
            _current = _afterNextStart = NewTcs();
        }
        a.TrySetResult();
        b.TrySetResult();
    }

    public long RoundsCompleted { get; private set; }

    public bool HasCompletedFirstRound => _first.Task.IsCompleted;

    public Task WaitForFirstRoundAsync(CancellationToken ct) => _first.Task.WaitAsync(ct);

    /// <summary>Waits for the end of the round running now, or of the next one if none runs.</summary>
    public Task WaitForNextRoundAsync(CancellationToken ct)
    {
        lock (_gate) return _current.Task.WaitAsync(ct);
    }

    /// <summary>
    /// Asks the monitor for a round now and waits until a round that started after this call has
    /// completed (clear_cache, do_monitor_round).
    /// </summary>
    public Task RequestFreshRoundAsync(CancellationToken ct)
    {
        // With the monitor stopped (!want 0 monitor) nobody would ever answer: 2.73 hangs the
        // client here; we answer at once with what is known.
        if (Paused) return Task.CompletedTask;
        Task t;
        lock (_gate) t = _afterNextStart.Task;
        RequestRound();
        return t.WaitAsync(ct);
    }

    /// <summary>Wakes the monitor between rounds.</summary>
    public void RequestRound()
    {
        try { _requested.Release(); } catch (SemaphoreFullException) { }
    }

    /// <summary>The monitor's pause between rounds: ends early when a round is requested.</summary>
    public async Task WaitBetweenRoundsAsync(TimeSpan wait, CancellationToken ct)
    {
        if (wait > TimeSpan.Zero || wait == Timeout.InfiniteTimeSpan) await _requested.WaitAsync(wait, ct).ConfigureAwait(false);
    }

    /// <summary>The monitor begins a round: requests made before now are answered at its end.</summary>
    public void RoundStarted()
    {
        lock (_gate)
        {
            // Requests made before this point are satisfied by this round; any made during it
            // need the next one.
            _current = _afterNextStart;
            _afterNextStart = NewTcs();
        }
        // A request released before the start is consumed by this round.
        while (_requested.Wait(0)) { }
    }

    public void RoundCompleted()
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            if (!DrivenByMonitorJob)
            {
                // Refresher-driven rounds have no start: this completion serves every waiter.
                _current = _afterNextStart;
                _afterNextStart = NewTcs();
            }
            done = _current;
            _current = _afterNextStart; // until the next start, "the next round" is the one after
            RoundsCompleted++;
        }
        _first.TrySetResult();
        done.TrySetResult();
    }
}
