using MogileFS.Store;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Dashboard;

/// <summary>Files of one class: how many, their bytes, and how many have fewer copies than mindevcount.</summary>
public sealed record ClassFileCount(int DomainId, int ClassId, long Files, long Bytes, long UnderReplicated,
    IReadOnlyDictionary<int, long> ByDevCount);

/// <summary>
/// Files and bytes per class, read with one GROUP BY over the file table and kept for
/// <see cref="MaxAge"/>. With a million files that scan takes a fraction of a second, so it runs at
/// most once per <see cref="MaxAge"/> and only when a page asks (never on a client's request path);
/// concurrent askers share one scan, and a stale result is served while a new one is read.
/// </summary>
internal sealed class FileCountCache(MetadataStore store, TimeProvider clock)
{
    private readonly object _gate = new();
    private (DateTimeOffset At, List<FileCountRow> Rows)? _last;
    private Task<List<FileCountRow>>? _running;

    public TimeSpan MaxAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Another periodic count of the same table (the metrics sampler's). When it has a result,
    /// that is used and this cache never scans.</summary>
    public Func<(DateTimeOffset At, List<FileCountRow> Rows)?>? Shared { get; set; }

    /// <summary>Rows not older than <see cref="MaxAge"/> (waits for a scan only when there is no older result),
    /// or the shared count when there is one.</summary>
    public async Task<(DateTimeOffset At, List<FileCountRow> Rows)> GetAsync(CancellationToken ct)
    {
        if (Shared?.Invoke() is { } shared) return shared;
        Task<List<FileCountRow>> scan;
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            if (_last is { } l && now - l.At < MaxAge) return l;
            scan = _running ??= ScanAsync();
            if (_last is { } stale) return stale;
        }
        await scan.WaitAsync(ct).ConfigureAwait(false);
        lock (_gate) return _last ?? (clock.GetUtcNow(), scan.Result);
    }

    /// <summary>Forgets the cached counts (after an action that changes them).</summary>
    public void Invalidate()
    {
        lock (_gate) _last = null;
    }

    private async Task<List<FileCountRow>> ScanAsync()
    {
        try
        {
            var rows = await store.GetFileCountsAsync(CancellationToken.None).ConfigureAwait(false);
            lock (_gate) _last = (clock.GetUtcNow(), rows);
            return rows;
        }
        finally
        {
            lock (_gate) _running = null;
        }
    }
}

/// <summary>One sample of the work queues.</summary>
public readonly record struct BacklogSample(DateTimeOffset At, long Replicate, long Delete, long Fsck, long Rebalance);

/// <summary>
/// The replication / delete / fsck / rebalance backlog over the last hour, sampled in memory by this
/// tracker every <see cref="Interval"/> (four COUNT queries on the queue tables). Nothing is stored:
/// a restarted tracker starts a new hour.
/// </summary>
internal sealed class BacklogHistory(MetadataStore store, TimeProvider clock)
{
    private readonly Queue<BacklogSample> _samples = new();

    public static TimeSpan Window { get; } = TimeSpan.FromHours(1);

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    public IReadOnlyList<BacklogSample> Samples
    {
        get { lock (_samples) return _samples.ToArray(); }
    }

    public async Task<BacklogSample> SampleAsync(CancellationToken ct)
    {
        var s = new BacklogSample(clock.GetUtcNow(),
            await store.CountQueueAsync(QueueTable.Replicate, false, ct).ConfigureAwait(false),
            await store.CountQueueAsync(QueueTable.Delete, false, ct).ConfigureAwait(false),
            await store.CountQueueAsync(QueueTable.Fsck, false, ct).ConfigureAwait(false),
            await store.CountQueueAsync(QueueTable.Rebalance, false, ct).ConfigureAwait(false));
        lock (_samples)
        {
            _samples.Enqueue(s);
            while (_samples.Count > 0 && s.At - _samples.Peek().At > Window) _samples.Dequeue();
        }
        return s;
    }

    /// <summary>Samples every <see cref="Interval"/> until cancelled (a changed interval applies within a
    /// second); a failed sample (database away) is skipped.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var last = DateTimeOffset.MinValue;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (clock.GetUtcNow() - last >= Interval)
                {
                    last = clock.GetUtcNow();
                    await SampleAsync(ct).ConfigureAwait(false);
                }
                var tick = Interval < TimeSpan.FromSeconds(1) ? Interval : TimeSpan.FromSeconds(1);
                await Task.Delay(tick, clock, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // the next tick tries again
            }
        }
    }
}
