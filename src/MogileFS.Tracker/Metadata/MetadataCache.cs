using Microsoft.Extensions.Logging;
using MogileFS.Store;

namespace MogileFS.Tracker.Metadata;

/// <summary>
/// This tracker's cache of domains, classes, hosts, devices and settings.
/// * Same tracker: a command that changes metadata reloads the cache before it replies
///   (<see cref="ReloadAsync"/>), so the next request on ANY connection sees the change.
/// * Other trackers on the same database: every tracker reloads at least every
///   <see cref="RefreshInterval"/> (1 s), so a change made elsewhere is visible here within ~1 s.
/// Concurrent reload requests coalesce: a caller waits for a load that STARTED after its call.
/// </summary>
public sealed class MetadataCache
{
    private readonly MetadataStore _store;
    private readonly ILogger _log;
    private readonly TimeProvider _clock;
    private readonly int _defaultMinDevCount;
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private volatile MetadataSnapshot _current;
    private long _version;
    private long _loadsStarted;
    private MetadataRows? _lastRows;

    public MetadataCache(MetadataStore store, int defaultMinDevCount, TimeProvider clock, ILogger log)
    {
        _store = store;
        _defaultMinDevCount = defaultMinDevCount;
        _clock = clock;
        _log = log;
        _current = MetadataSnapshot.Empty(defaultMinDevCount);
    }

    public static TimeSpan RefreshInterval { get; } = TimeSpan.FromSeconds(1);

    /// <summary>The latest snapshot.</summary>
    public MetadataSnapshot Current => _current;

    /// <summary>Raised after every successful reload (monitor hook, tests).</summary>
    public event Action<MetadataSnapshot>? Reloaded;

    /// <summary>Reloads from the database; returns when a load that started after this call has finished.</summary>
    public async ValueTask ReloadAsync(CancellationToken ct)
    {
        long want = Interlocked.Read(ref _loadsStarted) + 1;
        await _loadLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (Interlocked.Read(ref _loadsStarted) >= want) return; // someone loaded after our call
            Interlocked.Increment(ref _loadsStarted);
            var rows = await _store.LoadMetadataAsync(ct).ConfigureAwait(false);
            var snap = _current;
            // The periodic reload usually finds nothing new: keep the snapshot (no rebuild, no garbage).
            if (_lastRows is null || !SameRows(_lastRows, rows))
            {
                snap = new MetadataSnapshot(rows, _defaultMinDevCount, Interlocked.Increment(ref _version), _clock.GetUtcNow());
                _lastRows = rows;
                _current = snap;
            }
            Reloaded?.Invoke(snap);
        }
        finally
        {
            _loadLock.Release();
        }
    }

    private static bool SameRows(MetadataRows a, MetadataRows b) =>
        a.Domains.SequenceEqual(b.Domains) && a.Classes.SequenceEqual(b.Classes) && a.Hosts.SequenceEqual(b.Hosts)
        && a.Devices.SequenceEqual(b.Devices) && a.Settings.Count == b.Settings.Count
        && a.Settings.All(kv => b.Settings.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>The periodic refresher (runs until cancelled; errors are logged and retried).</summary>
    public async Task RunRefresherAsync(MonitorState monitor, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(RefreshInterval, _clock);
        while (true)
        {
            try
            {
                if (!await timer.WaitForNextTickAsync(ct).ConfigureAwait(false)) return;
                await ReloadAsync(ct).ConfigureAwait(false);
                if (!monitor.DrivenByMonitorJob) monitor.RoundCompleted();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.MetadataRefreshFailed(_log, e.Message, e);
            }
        }
    }
}
