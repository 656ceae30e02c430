using System.Globalization;
using Microsoft.Extensions.Logging;
using MogileFS.Core.Model;
using MogileFS.Core.Protocol;
using MogileFS.Store;
using MogileFS.Tracker.Policies;
using MogileFS.Tracker.Jobs.Fsck;
using MogileFS.Tracker.Metadata;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Jobs.Rebalance;

/// <summary>
/// Rebalance injection (jobs.md §10.4), run at the start of every job-master pass on the tracker named
/// in <c>rebal_host</c>: one source device at a time is set to <c>drain</c> and its fids are queued
/// (<c>file_to_queue</c> type 2, <c>devid</c> = source, <c>arg</c> = destination list) for the
/// rebalance workers, <c>queue_rate_for_rebal</c> (500) per pass while fewer than
/// <c>queue_size_for_rebal</c> (10000) are queued; a finished device goes back to <c>alive</c> (unless
/// <c>leave_in_drain_mode=1</c>); <c>rebal_signal=stop</c> ends the run.
///
/// Deliberate fixes of 2.73's visible bugs (jobs.md §15.10, docs/fsck-rebalance.md): a count limit
/// moves exactly N fids (2.73 skipped the (N+1)-th and moved the rest); <c>limit_type=global</c>
/// initialises its budget from the policy (2.73 never did, so nothing or everything moved); a stop
/// puts the current source device back to <c>alive</c> (2.73 left it in <c>drain</c>) and a later
/// <c>rebalance_start</c> resumes it from its cursor.
/// </summary>
public sealed class RebalanceInjector
{
    private readonly ILogger _log;

    public RebalanceInjector(TrackerRuntime runtime)
    {
        _log = runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Rebalance");
    }

    public async Task RunPassAsync(TrackerRuntime rt, CancellationToken ct)
    {
        if (!string.Equals(rt.Metadata.Current.Setting("rebal_host"), rt.HostName, StringComparison.Ordinal)) return;
        try
        {
            await PassAsync(rt, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            FsckLogMessages.RebalanceError(_log, "pass failed: " + e.Message);
            rt.Errors.Publish($"[rebalance({Environment.ProcessId})] pass failed: {e.Message}");
        }
    }

    private void Error(TrackerRuntime rt, string message)
    {
        FsckLogMessages.RebalanceError(_log, message);
        rt.Errors.Publish($"[rebalance({Environment.ProcessId})] {message}");
    }

    private async Task PassAsync(TrackerRuntime rt, CancellationToken ct)
    {
        var store = rt.Store;
        var settings = await store.GetServerSettingsWithPrefixAsync("rebal_", ct).ConfigureAwait(false);
        if (!settings.TryGetValue("rebal_host", out var host) || host != rt.HostName) return;
        var snap = rt.Metadata.Current;
        long now = await store.GetDatabaseTimeAsync(ct).ConfigureAwait(false);

        settings.TryGetValue("rebal_policy", out var policyText);
        if (!RebalancePolicy.TryParse(policyText, out var policy, out var perr))
        {
            Error(rt, $"stored policy is invalid ({perr}); stopping");
            await StopAsync(rt, RebalanceState.Parse(settings.GetValueOrDefault("rebal_state")), leaveInDrain: false, now, ct).ConfigureAwait(false);
            return;
        }
        RebalanceState state = settings.TryGetValue("rebal_state", out var stText) && Perl.IsTrue(stText)
            ? RebalanceState.Parse(stText)
            : Init(policy, rt, snap, now);
        bool leaveInDrain = Perl.IsTrue(policy.Scalar("leave_in_drain_mode"));

        if (settings.GetValueOrDefault("rebal_signal") == "stop")
        {
            await StopAsync(rt, state, leaveInDrain, now, ct).ConfigureAwait(false);
            return;
        }
        long queueSize = FsckInjector.SettingOr(snap.Setting("queue_size_for_rebal"), 10000);
        if (await store.CountFileQueueAsync(MetadataStore.RebalanceQueue, ct).ConfigureAwait(false) >= queueSize) return;

        string limitBy = policy.Scalar("limit_by") ?? "none";
        bool global = policy.Scalar("limit_type") == "global";
        if (limitBy is not ("none" or "count" or "size"))
        {
            Error(rt, $"limit_by={limitBy} is not supported; stopping");
            await StopAsync(rt, state, leaveInDrain, now, ct).ConfigureAwait(false);
            return;
        }
        long limitValue = limitBy == "none" ? 0 : ParseLimit(policy.Scalar("limit"), limitBy == "size");
        if (global && limitBy != "none" && !state.GlobalLimitSet)
        {
            state.Limit = limitValue;
            state.GlobalLimitSet = true;
        }

        if (state.SdevCurrent == 0)
        {
            if (state.SourceDevs.Count == 0)
            {
                state.TimeFinished = now;
                await SaveAsync(store, state, finish: true, ct).ConfigureAwait(false);
                FsckLogMessages.Rebalance(_log, "finished");
                await rt.Metadata.ReloadAsync(ct).ConfigureAwait(false);
                return;
            }
            state.SdevCurrent = state.SourceDevs[0];
            state.SourceDevs.RemoveAt(0);
            state.SdevLastFid = 0;
            state.SdevLimit = global ? 0 : limitValue;
            FsckLogMessages.Rebalance(_log, $"emptying dev{state.SdevCurrent}");
        }
        int sdev = state.SdevCurrent;
        // (Re)mark the current source as drain: on start, and when resuming after a stop put it back to alive.
        if (snap.TryGetDevice(sdev, out var sdevInfo) && sdevInfo.Status == DeviceState.Alive)
        {
            await store.SetDeviceStateAsync(sdev, DeviceState.Drain, ct).ConfigureAwait(false);
            await rt.Metadata.ReloadAsync(ct).ConfigureAwait(false);
            snap = rt.Metadata.Current;
        }

        var excluded = new HashSet<int>(state.SourceDevs) { sdev };
        excluded.UnionWith(state.CompletedDevs);
        var dests = policy.FilterDestDevices(Devices(rt, snap), excluded);
        if (dests.Count == 0)
        {
            Error(rt, $"no destination devices available for dev{sdev}");
            state.TimeLatestRun = now;
            await SaveAsync(store, state, finish: false, ct).ConfigureAwait(false);
            return;
        }

        long budget = global ? state.Limit : state.SdevLimit;
        bool exhausted = limitBy switch
        {
            "count" => budget <= 0,
            "size" => budget < 1024,
            _ => false,
        };
        int rate = (int)Math.Clamp(FsckInjector.SettingOr(snap.Setting("queue_rate_for_rebal"), 500), 1, 100_000);
        var fids = exhausted ? new List<DeviceFid>()
            : await store.GetDeviceFidsAsync(sdev, state.SdevLastFid, policy.Scalar("fid_age") != "new", rate, ct).ConfigureAwait(false);
        if (fids.Count == 0)
        {
            // As 2.73: finishing a device is not an empty run (no time_latest_run/empty_runs update).
            await FinishDeviceAsync(rt, state, sdev, leaveInDrain, ct).ConfigureAwait(false);
            await SaveAsync(store, state, finish: false, ct).ConfigureAwait(false);
            return;
        }

        string? useDest = policy.Scalar("use_dest_devs");
        int perFid = Perl.IsTrue(useDest) && useDest != "all" ? (int)Math.Max(1, Perl.IntAsLong(useDest)) : 0;
        var moves = new List<(long Fid, string Destinations)>(fids.Count);
        foreach (var f in fids)
        {
            state.SdevLastFid = f.Fid;
            if (limitBy == "count")
            {
                if (budget <= 0) break;
                budget--;
            }
            else if (limitBy == "size")
            {
                if (f.Length > budget) continue;
                budget -= f.Length;
            }
            moves.Add((f.Fid, DestinationList(dests, perFid)));
            state.FidsQueued++;
            state.BytesQueued += f.Length;
        }
        if (global) state.Limit = budget; else state.SdevLimit = budget;
        await store.QueueRebalanceMovesAsync(sdev, moves, ct).ConfigureAwait(false);
        state.TimeLatestRun = now;
        if (moves.Count == 0)
        {
            // 2.73: fids were found but the limits or filters queued none of them.
            state.EmptyRuns++;
            state.TimeLatestEmptyRun = now;
        }
        await SaveAsync(store, state, finish: false, ct).ConfigureAwait(false);
        if (moves.Count > 0) JobHost.Of(rt)?.JobMaster.Wake();
    }

    private static string DestinationList(List<int> dests, int perFid)
    {
        if (perFid <= 0 || perFid >= dests.Count) return string.Join(',', dests);
        var copy = dests.ToArray();
        Random.Shared.Shuffle(copy);
        return string.Join(',', copy.Take(perFid));
    }

    private async Task FinishDeviceAsync(TrackerRuntime rt, RebalanceState state, int sdev, bool leaveInDrain, CancellationToken ct)
    {
        if (!leaveInDrain) await RestoreAliveAsync(rt, sdev, ct).ConfigureAwait(false);
        state.CompletedDevs.Add(sdev);
        state.SdevCurrent = 0;
        state.SdevLastFid = 0;
        state.SdevLimit = 0;
        FsckLogMessages.Rebalance(_log, $"dev{sdev} done");
    }

    /// <summary>A source we drained goes back to alive (only from drain: an operator's other state is left alone).</summary>
    private static async Task RestoreAliveAsync(TrackerRuntime rt, int devid, CancellationToken ct)
    {
        var devs = await rt.Store.GetDevicesAsync(ct).ConfigureAwait(false);
        if (devs.FirstOrDefault(d => d.Id == devid) is { Status: DeviceState.Drain })
        {
            await rt.Store.SetDeviceStateAsync(devid, DeviceState.Alive, ct).ConfigureAwait(false);
            await rt.Metadata.ReloadAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task StopAsync(TrackerRuntime rt, RebalanceState state, bool leaveInDrain, long now, CancellationToken ct)
    {
        state.TimeStopped = now;
        if (state.SdevCurrent != 0 && !leaveInDrain) await RestoreAliveAsync(rt, state.SdevCurrent, ct).ConfigureAwait(false);
        await rt.Store.WriteAsync(state.ToString(), static async (s, st, ct) =>
        {
            await MetadataStore.SetServerSettingAsync(s, "rebal_state", st, ct).ConfigureAwait(false);
            await MetadataStore.SetServerSettingAsync(s, "rebal_signal", null, ct).ConfigureAwait(false);
            await MetadataStore.SetServerSettingAsync(s, "rebal_host", null, ct).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
        FsckLogMessages.Rebalance(_log, "stopped");
        await rt.Metadata.ReloadAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Saves the state; with <paramref name="finish"/> also deletes rebal_host. Only while rebal_host is still set (a stop may have raced).</summary>
    private static async ValueTask SaveAsync(MetadataStore store, RebalanceState state, bool finish, CancellationToken ct) =>
        await store.WriteAsync((state.ToString(), finish), static async (s, a, ct) =>
        {
            await MetadataStore.SetServerSettingAsync(s, "rebal_state", a.Item1, ct).ConfigureAwait(false);
            if (a.finish) await MetadataStore.SetServerSettingAsync(s, "rebal_host", null, ct).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);

    private static RebalanceState Init(RebalancePolicy policy, TrackerRuntime rt, MetadataSnapshot snap, long now)
    {
        var st = new RebalanceState { TimeStarted = now };
        st.SourceDevs.AddRange(policy.FilterSourceDevices(Devices(rt, snap)));
        return st;
    }

    /// <summary>Every device as the policy filters see it (same predicates as rebalance_test).</summary>
    public static List<RebalanceDevice> Devices(TrackerRuntime rt, MetadataSnapshot snap)
    {
        var list = new List<RebalanceDevice>(snap.Devices.Count);
        foreach (var d in snap.Devices)
            list.Add(new RebalanceDevice(d.Id, d.HostId, FsckDevices.CanDeleteFrom(snap, d),
                FsckDevices.ShouldGetNewFiles(snap, rt.Observations, d, rt.Options.MinFreeSpaceMb), d.MbTotal, d.MbUsed));
        return list;
    }

    /// <summary>A policy <c>limit</c>: a count, or bytes with an optional b/k/m/g/t/p suffix (powers of 1024).</summary>
    public static long ParseLimit(string? value, bool size)
    {
        if (string.IsNullOrWhiteSpace(value)) return 0;
        var v = value.Trim();
        long mult = 1;
        if (size)
        {
            int exp = char.ToLowerInvariant(v[^1]) switch { 'b' => 0, 'k' => 1, 'm' => 2, 'g' => 3, 't' => 4, 'p' => 5, _ => -1 };
            if (exp >= 0)
            {
                v = v[..^1];
                for (int i = 0; i < exp; i++) mult *= 1024;
            }
        }
        double n = Perl.Numify(v);
        if (double.IsNaN(n) || n <= 0) return 0;
        double total = n * mult;
        return total >= long.MaxValue ? long.MaxValue : (long)total;
    }
}
