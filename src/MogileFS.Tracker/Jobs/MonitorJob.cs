using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using MogileFS.Core.Model;
using MogileFS.Tracker.Metadata;
using MogileFS.Tracker.Storage;

namespace MogileFS.Tracker.Jobs;

/// <summary>
/// The monitor (jobs.md §3): every <see cref="JobsOptions.MonitorInterval"/> it probes every device
/// that can be read from — usage file GET, then (at most every 15 s) a test write, read-back and a
/// bad-Content-MD5 PUT — and publishes what it saw in <see cref="DeviceObservations"/>; then it
/// completes a monitor round (create_open and do_monitor_round wait for those). The tracker holding
/// lock <c>mgfs:device_update</c> writes the usage figures to the database (at most every 15 s per
/// device) and reloads the metadata cache, so create_open and the replication policies see them.
/// The database metadata itself is reloaded every second by the tracker's metadata cache, so new
/// hosts and devices are probed in the next round without a restart.
///
/// Differences from 2.73, on purpose: a device whose last observation is not readable/writeable is
/// write-tested again at once when it answers (2.73 waited for its 15 s test timer, so a node that
/// came back stayed "unreachable" up to 15 s); a device's first usage figures are written at once
/// (mb_asof unknown) instead of waiting for the next 15 s slot.
/// </summary>
public sealed partial class MonitorJob
{
    private readonly JobHost _host;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<int, long> _lastTestTicks = new();
    private readonly ConcurrentDictionary<int, long> _mkcolDoneTicks = new();
    private readonly ConcurrentDictionary<int, bool> _mkcolUnsupported = new();
    private readonly ConcurrentDictionary<string, IoStatWatcher> _iostat = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, string> _utilization = new();
    private readonly ConcurrentDictionary<int, string> _markerProblems = new();
    private readonly ConcurrentDictionary<int, bool> _markerWriteWarned = new();
    private string? _clusterId;
    private static readonly byte[] BadMd5 = Convert.FromBase64String("kDPg4wXyR8DDyA0MeEjIsw==");
    private static readonly byte[] Dot = "."u8.ToArray();

    [GeneratedRegex(@"^(\w+)\s*:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex UsageLine();

    public MonitorJob(JobHost host)
    {
        _host = host;
        _log = host.Runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Jobs.Monitor");
    }

    /// <summary>Number of rounds this monitor completed.</summary>
    public long Rounds { get; private set; }

    /// <summary>Asks for a round as soon as the current one ends (clear_cache, tests).</summary>
    public void RequestRound() => _host.Runtime.Monitor.RequestRound();

    public async Task RunAsync(CancellationToken ct)
    {
        var rt = _host.Runtime;
        rt.Monitor.DrivenByMonitorJob = true;
        // !want 0 monitor stops the rounds (2.73 kills its monitor process) until !want 1 monitor.
        var info = rt.Jobs.Get(Runtime.JobKind.Monitor);
        void OnDesired(Runtime.JobInfo _) => rt.Monitor.RequestRound();
        info.DesiredChanged += OnDesired;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (info.Desired == 0)
                {
                    rt.Monitor.SetPaused(true);
                    info.SetWorkerCount(0);
                    try { await rt.Monitor.WaitBetweenRoundsAsync(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false); }
                    catch (OperationCanceledException) { break; }
                    continue;
                }
                rt.Monitor.SetPaused(false);
                info.SetWorkerCount(1);
                try { await info.WaitWhilePausedAsync(0, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
                var started = Stopwatch.GetTimestamp();
                rt.Monitor.RoundStarted();
                try
                {
                    await RunRoundAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
                catch (Exception e)
                {
                    JobLog.RoundFailed(_log, e.Message, e);
                }
                Rounds++;
                rt.Monitor.RoundCompleted();
                var wait = _host.Options.MonitorInterval - Stopwatch.GetElapsedTime(started);
                try { await rt.Monitor.WaitBetweenRoundsAsync(wait, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
            }
        }
        finally
        {
            info.DesiredChanged -= OnDesired;
            foreach (var w in _iostat.Values) w.Dispose();
            _iostat.Clear();
        }
    }

    private sealed class RoundState
    {
        public readonly ConcurrentDictionary<int, bool> UnreachableHosts = new();
        public readonly ConcurrentDictionary<int, (long Total, long Used)> UsageUpdates = new();
        public readonly ConcurrentDictionary<string, bool> ContactedIps = new(StringComparer.Ordinal);
    }

    /// <summary>One device round (jobs.md §3.2).</summary>
    public async Task RunRoundAsync(CancellationToken ct)
    {
        var rt = _host.Runtime;
        var snap = rt.Metadata.Current;
        var round = new RoundState();
        // Probing goes on while the database is unreachable (observations stay current); only the
        // usage write needs the lock.
        MogileFS.Store.MetadataStore.NamedLock? usageLockHandle;
        try
        {
            usageLockHandle = await rt.Store.TryLockAsync("mgfs:device_update", TimeSpan.Zero, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            JobLog.RoundFailed(_log, "device_update lock: " + e.Message, e);
            usageLockHandle = null;
        }
        await using var usageLock = usageLockHandle;
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var probes = new List<Task>();
        foreach (var d in snap.Devices)
        {
            if (!snap.TryGetHost(d.HostId, out var h)) continue;
            // can_read_from: host alive/readonly and device readable; others are left as they were.
            if (h.Status is not (HostState.Alive or HostState.Readonly) || !d.Status.CanRead()) continue;
            if (string.IsNullOrEmpty(h.Ip)) continue;
            probes.Add(ProbeDeviceAsync(d, h, round, usageLock != null, now, ct));
        }
        await Task.WhenAll(probes).ConfigureAwait(false);

        foreach (var ip in round.ContactedIps.Keys) EnsureIoStat(ip);
        foreach (var (ip, w) in _iostat)
        {
            if (!round.ContactedIps.ContainsKey(ip) && !snap.Hosts.Any(hh => hh.Ip == ip))
            {
                if (_iostat.TryRemove(ip, out var gone)) gone.Dispose();
            }
        }

        if (usageLock != null && !round.UsageUpdates.IsEmpty)
        {
            foreach (var (devid, (total, used)) in round.UsageUpdates)
                await rt.Store.UpdateDeviceUsageAsync(devid, total, used, ct).ConfigureAwait(false);
            await rt.Metadata.ReloadAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task ProbeDeviceAsync(DeviceInfo d, HostInfo h, RoundState round, bool writeUsage, long now, CancellationToken ct)
    {
        var rt = _host.Runtime;
        if (round.UnreachableHosts.ContainsKey(h.Id)) return;
        string ip = h.Ip!;
        var timeout = rt.StorageNodes.ConnectTimeout;
        string usageUrl = StorageNodeClient.Url(ip, h.ReadPort, $"/dev{d.Id}/usage");
        var sw = Stopwatch.StartNew();
        var (status, body, error) = await _host.Storage.GetSmallAsync(usageUrl, timeout, ct).ConfigureAwait(false);
        if (status < 200 || status > 299)
        {
            if (sw.Elapsed < _host.Options.FastFailure)
            {
                JobLog.PortNotListening(_log, h.ReadPort, ip, usageUrl, error);
                SetDevice(d.Id, ObservedState.Unreachable);
            }
            else
            {
                if (round.UnreachableHosts.TryAdd(h.Id, true)) JobLog.HostUnreachable(_log, ip, d.Id, error);
                rt.Observations.SetHostReachable(h.Id, false);
            }
            return;
        }
        round.ContactedIps.TryAdd(ip, true);
        if (rt.Observations.HostReachable(h.Id) != true) rt.Observations.SetHostReachable(h.Id, true);
        if (_iostat.TryGetValue(ip, out var watcher)) watcher.Poke();

        string text = Encoding.Latin1.GetString(body);
        string? usedText = null, totalText = null;
        foreach (Match m in UsageLine().Matches(text))
        {
            var k = m.Groups[1].Value;
            if (k == "used") usedText = m.Groups[2].Value.Trim();
            else if (k == "total") totalText = m.Groups[2].Value.Trim();
        }
        long used = (long)MogileFS.Core.Protocol.Perl.Int(usedText ?? "");
        long total = (long)MogileFS.Core.Protocol.Perl.Int(totalText ?? "");
        if (used == 0 || total == 0)
        {
            JobLog.BadUsage(_log, d.Id, usedText ?? "", totalText ?? "", body.Length);
            return;
        }
        if (writeUsage && (d.MbAsOf is not long asof || asof + (long)_host.Options.UsageUpdateInterval.TotalSeconds < now))
            round.UsageUpdates[d.Id] = (total / 1024, used / 1024);

        var current = rt.Observations.Get(d.Id)?.State ?? ObservedState.Unknown;
        long nowTicks = Environment.TickCount64;
        bool known = current is ObservedState.Readable or ObservedState.Writeable;
        if (known && _lastTestTicks.TryGetValue(d.Id, out long last) && nowTicks - last < _host.Options.TestWriteInterval.TotalMilliseconds)
        {
            RefreshUtilization(d.Id);
            return;
        }
        _lastTestTicks[d.Id] = nowTicks;

        if (!await CheckMarkerAsync(d, h, ct).ConfigureAwait(false))
        {
            SetDevice(d.Id, ObservedState.Unreachable);
            return;
        }

        // can_delete_from: host alive and device alive/drain; read-only devices are not write-tested.
        if (h.Status != HostState.Alive || !d.Status.CanDeleteFrom())
        {
            SetDevice(d.Id, ObservedState.Readable);
            return;
        }
        await EnsureTestDirAsync(d, h, ct).ConfigureAwait(false);
        var state = ObservedState.Readable;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            int r = RandomNumberGenerator.GetInt32(100);
            string path = $"/dev{d.Id}/test-write/test-write-{r}";
            byte[] content = Encoding.ASCII.GetBytes($"time={DateTimeOffset.UtcNow.ToUnixTimeSeconds()} rand={r}");
            int put = await _host.Storage.PutSmallAsync(StorageNodeClient.Url(ip, h.WritePort, path), content, null, timeout, ct).ConfigureAwait(false);
            if (put < 200 || put > 299) break;
            var (gs, gb, _) = await _host.Storage.GetSmallAsync(StorageNodeClient.Url(ip, h.ReadPort, path), timeout, ct).ConfigureAwait(false);
            if (gs < 200 || gs > 299) break;
            if (gb.AsSpan().SequenceEqual(content))
            {
                state = ObservedState.Writeable;
                break;
            }
        }
        bool? rejectBadMd5 = rt.Observations.Get(d.Id)?.RejectBadMd5;
        if (state == ObservedState.Writeable)
        {
            int md5 = await _host.Storage.PutSmallAsync(StorageNodeClient.Url(ip, h.WritePort, $"/dev{d.Id}/test-write/test-md5"), Dot, BadMd5, timeout, ct).ConfigureAwait(false);
            if (md5 > 0) rejectBadMd5 = md5 < 200 || md5 > 299;
        }
        SetDevice(d.Id, state, rejectBadMd5);
    }

    /// <summary>
    /// The device marker (<see cref="DeviceMarker"/>): false when the directory belongs to another
    /// cluster or device id. A missing marker is written; a node that cannot store it (read-only
    /// disk, an old storage node) does not stop the device from being used.
    /// </summary>
    private async Task<bool> CheckMarkerAsync(DeviceInfo d, HostInfo h, CancellationToken ct)
    {
        var rt = _host.Runtime;
        var timeout = rt.StorageNodes.ConnectTimeout;
        _clusterId ??= await rt.Store.GetOrAddServerSettingAsync(DeviceMarker.ClusterIdSetting, Guid.NewGuid().ToString("D"), ct).ConfigureAwait(false);
        string path = DeviceMarker.PathFor(d.Id);
        string readUrl = StorageNodeClient.Url(h.Ip!, h.ReadPort, path);
        var (status, body, _) = await _host.Storage.GetSmallAsync(readUrl, timeout, ct).ConfigureAwait(false);
        if (status >= 200 && status <= 299)
        {
            var reason = DeviceMarker.Mismatch(body, _clusterId, d.Id);
            if (reason is null)
            {
                _markerProblems.TryRemove(d.Id, out _);
                return true;
            }
            if (!_markerProblems.TryGetValue(d.Id, out var said) || said != reason)
            {
                _markerProblems[d.Id] = reason;
                JobLog.DeviceMarkerMismatch(_log, d.Id, readUrl, reason);
            }
            return false;
        }
        if (status != 404) return true; // not answerable now: the usage probe decides
        var snap = rt.Metadata.Current;
        string markedKey = DeviceMarker.MarkedSetting(d.Id);
        if (snap.Settings.ContainsKey(markedKey))
        {
            // This cluster wrote the marker once: a directory without it is not the one it wrote
            // to (a disk that did not mount, leaving the empty mount point; a replaced directory).
            var reason = DeviceMarker.GoneReason(_clusterId, d.Id);
            if (!_markerProblems.TryGetValue(d.Id, out var said) || said != reason)
            {
                _markerProblems[d.Id] = reason;
                JobLog.DeviceMarkerMismatch(_log, d.Id, readUrl, reason);
            }
            return false;
        }
        string writeUrl = StorageNodeClient.Url(h.Ip!, h.WritePort, path);
        int put = await _host.Storage.PutSmallAsync(writeUrl, DeviceMarker.Format(_clusterId, d.Id), null, timeout, ct).ConfigureAwait(false);
        if (put < 200 || put > 299)
        {
            if (_markerWriteWarned.TryAdd(d.Id, true)) JobLog.DeviceMarkerNotWritten(_log, d.Id, writeUrl, put);
            return true;
        }
        await rt.Store.SetServerSettingAsync(markedKey, "1", ct).ConfigureAwait(false);
        return true;
    }

    private async Task EnsureTestDirAsync(DeviceInfo d, HostInfo h, CancellationToken ct)
    {
        var rt = _host.Runtime;
        if (rt.Metadata.Current.SettingIsOn("skip_mkcol") || _mkcolUnsupported.ContainsKey(d.Id)) return;
        if (_mkcolDoneTicks.TryGetValue(d.Id, out long at) && Environment.TickCount64 - at < 3_600_000) return;
        var r = await rt.StorageNodes.MkcolAsync(h.Ip!, h.WritePort, $"/dev{d.Id}/test-write/", ct).ConfigureAwait(false);
        if (r == MkcolStatus.NotSupported) _mkcolUnsupported[d.Id] = true;
        else if (r == MkcolStatus.Created) _mkcolDoneTicks[d.Id] = Environment.TickCount64;
    }

    private void SetDevice(int devid, ObservedState state, bool? rejectBadMd5 = null)
    {
        var obs = _host.Runtime.Observations;
        var old = obs.Get(devid);
        if (old?.State != state) JobLog.DeviceStateChanged(_log, devid, state.ToWire());
        _utilization.TryGetValue(devid, out var util);
        obs.Set(devid, new DeviceObservation(state, util ?? old?.Utilization, rejectBadMd5 ?? old?.RejectBadMd5, DateTimeOffset.UtcNow));
    }

    private void RefreshUtilization(int devid)
    {
        var obs = _host.Runtime.Observations;
        if (!_utilization.TryGetValue(devid, out var util)) return;
        var old = obs.Get(devid);
        if (old != null && old.Utilization != util) obs.Set(devid, old with { Utilization = util });
    }

    private void EnsureIoStat(string ip)
    {
        int port = _host.Runtime.Options.MogstoredStreamPort;
        if (port <= 0) return;
        _iostat.GetOrAdd(ip, i => new IoStatWatcher(i, port, _host, _utilization, _log));
    }

    /// <summary>
    /// One side-channel <c>watch</c> subscription per storage host (jobs.md §3.3): blocks of
    /// <c>&lt;devid&gt;\t&lt;util&gt;</c> lines ended by <c>.</c>. After an error it waits 60 s (or
    /// until the host answers a usage GET again); after a clean disconnect it reconnects at once.
    /// </summary>
    private sealed class IoStatWatcher : IDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly SemaphoreSlim _poke = new(0, 1);

        public IoStatWatcher(string ip, int port, JobHost host, ConcurrentDictionary<int, string> sink, ILogger log)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(host.Stopping);
            _ = RunAsync(ip, port, host, sink, log, _stop.Token);
        }

        public void Poke()
        {
            try { _poke.Release(); } catch (SemaphoreFullException) { }
        }

        private async Task RunAsync(string ip, int port, JobHost host, ConcurrentDictionary<int, string> sink, ILogger log, CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                bool error = false;
                try
                {
                    using var s = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                    using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
                    {
                        cts.CancelAfter(TimeSpan.FromSeconds(2));
                        await s.ConnectAsync(ip, port, cts.Token).ConfigureAwait(false);
                    }
                    await s.SendAsync("watch\n"u8.ToArray(), System.Net.Sockets.SocketFlags.None, ct).ConfigureAwait(false);
                    using var stream = new System.Net.Sockets.NetworkStream(s, ownsSocket: false);
                    using var reader = new StreamReader(stream, Encoding.Latin1);
                    var block = new Dictionary<int, string>();
                    while (true)
                    {
                        var line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
                        if (line is null) break;
                        if (line.StartsWith("ERR", StringComparison.Ordinal)) { error = true; break; }
                        if (line == ".")
                        {
                            var snap = host.Runtime.Metadata.Current;
                            foreach (var (dev, util) in block)
                                if (snap.TryGetDevice(dev, out _)) sink[dev] = util;
                            block.Clear();
                            continue;
                        }
                        int tab = line.IndexOf('\t');
                        if (tab > 0 && int.TryParse(line.AsSpan(0, tab), NumberStyles.None, CultureInfo.InvariantCulture, out int devid))
                            block[devid] = line[(tab + 1)..].Trim();
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    JobLog.IoStatProblem(log, ip, e.Message);
                    error = true;
                }
                try
                {
                    if (error) await _poke.WaitAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
                    else await Task.Delay(100, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) { return; }
            }
        }

        public void Dispose()
        {
            try { _stop.Cancel(); } catch (ObjectDisposedException) { }
        }
    }
}
