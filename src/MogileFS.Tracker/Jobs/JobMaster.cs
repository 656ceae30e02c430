using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MogileFS.Store;

namespace MogileFS.Tracker.Jobs;

/// <summary>A queue row this tracker claimed; <see cref="ClaimedUntil"/> follows lease renewals.</summary>
public sealed class Claim(QueueItem item)
{
    private long _claimedUntil = item.ClaimedUntil;
    public QueueItem Item { get; } = item;
    public long ClaimedUntil
    {
        get => Interlocked.Read(ref _claimedUntil);
        set => Interlocked.Exchange(ref _claimedUntil, value);
    }
}

/// <summary>The tracker-local queue between the job master and the workers of one queue table.</summary>
public sealed class LocalQueue(QueueTable table, string jobName)
{
    private readonly Channel<Claim> _channel = Channel.CreateUnbounded<Claim>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
    private int _waiting;

    public QueueTable Table { get; } = table;
    public string JobName { get; } = jobName;

    /// <summary>Items claimed and not yet taken by a worker.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>The job master's current fetch size for this queue (jobs.md §4).</summary>
    public int Limit { get; set; } = 100;

    /// <summary>Raised when a worker took an item (the job master may want to refill).</summary>
    public event Action<LocalQueue>? Taken;

    public void Add(Claim c)
    {
        Interlocked.Increment(ref _waiting);
        _channel.Writer.TryWrite(c);
    }

    public async ValueTask<Claim> TakeAsync(CancellationToken ct)
    {
        var c = await _channel.Reader.ReadAsync(ct).ConfigureAwait(false);
        Interlocked.Decrement(ref _waiting);
        Taken?.Invoke(this);
        return c;
    }

    /// <summary>Empties the queue (stop): returns what was never started.</summary>
    public List<Claim> Drain()
    {
        var list = new List<Claim>();
        while (_channel.Reader.TryRead(out var c))
        {
            Interlocked.Decrement(ref _waiting);
            list.Add(c);
        }
        return list;
    }
}

/// <summary>
/// The job master (jobs.md §4, schema.md §6): the only part of a tracker that claims queue rows. Each
/// pass tops up the local queue of every queue table that has workers, sized as 2.73 (start 100,
/// +50 whenever the local queue ran empty, up to <c>internal_queue_limit</c>, refetch below 70 %
/// fill, back to 100 after an empty fetch). A claim sets nexttry = now + lease; while this tracker
/// still holds a row its lease is renewed every third of the lease, so a long copy is never taken
/// over by another tracker, and a tracker that dies releases everything within one lease. Ours: a
/// worker that takes an item wakes the job master when its queue falls below 70 %, instead of the
/// fixed 1 s idle pause of 2.73; claims still held at a clean stop are handed back (nexttry = now).
/// </summary>
public sealed class JobMaster
{
    private readonly JobHost _host;
    private readonly ILogger _log;
    private readonly List<LocalQueue> _queues = new();
    private readonly ConcurrentDictionary<(QueueTable, long), Claim> _held = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private long _lastRenewTicks = Environment.TickCount64;

    public JobMaster(JobHost host)
    {
        _host = host;
        _log = host.Runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Jobs.JobMaster");
    }

    public void AddQueue(LocalQueue q)
    {
        _queues.Add(q);
        q.Taken += OnTaken;
    }

    /// <summary>Number of rows this tracker holds (claimed, not finished).</summary>
    public int Held => _held.Count;

    private void OnTaken(LocalQueue q)
    {
        _host.Runtime.Jobs.Counters["work_queue_for_" + q.JobName] = q.Waiting;
        if (q.Waiting < 0.7 * q.Limit) Wake();
    }

    public void Wake()
    {
        try { _wake.Release(); } catch (SemaphoreFullException) { }
    }

    /// <summary>A worker finished with a claim (whatever it did with the row).</summary>
    public void Done(Claim c) => _held.TryRemove((c.Item.Table, c.Item.Fid), out _);

    public async Task RunAsync(CancellationToken ct)
    {
        var rt = _host.Runtime;
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            bool fetched = false;
            var pause = _host.Options.JobMasterIdle;
            try
            {
                var info = rt.Jobs.Get(MogileFS.Tracker.Runtime.JobKind.JobMaster);
                await info.WaitWhilePausedAsync(0, ct).ConfigureAwait(false);
                if (info.Desired > 0)
                {
                    foreach (var inject in _host.Hooks.Injectors)
                        await inject(rt, ct).ConfigureAwait(false);
                    foreach (var q in _queues)
                        if (_host.HasWorkers(q)) fetched |= await PassAsync(q, ct).ConfigureAwait(false);
                }
                if (Environment.TickCount64 - _lastRenewTicks > _host.Options.ClaimLeaseSeconds * 1000 / 3)
                    await RenewAsync(ct).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            catch (Exception e)
            {
                // Database down: log the first failures, then keep trying every few seconds quietly.
                if (++failures <= 3 || failures % 60 == 0) JobLog.JobMasterFailed(_log, e.Message, e);
                pause = TimeSpan.FromSeconds(Math.Min(5, failures));
                fetched = false;
            }
            if (fetched) continue;
            try
            {
                if (failures > 0) await Task.Delay(pause, ct).ConfigureAwait(false);
                else await _wake.WaitAsync(pause, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { break; }
        }
    }

    private async Task<bool> PassAsync(LocalQueue q, CancellationToken ct)
    {
        var rt = _host.Runtime;
        int max = (int)Math.Max(1, MogileFS.Core.Protocol.Perl.Int(rt.Metadata.Current.Setting("internal_queue_limit") ?? "500"));
        int depth = q.Waiting;
        if (depth == 0)
        {
            if (q.Limit < max) q.Limit = Math.Min(max, q.Limit + 50);
        }
        else if (depth >= 0.7 * q.Limit) return false;
        var items = await rt.Store.ClaimQueueAsync(q.Table, q.Limit, _host.Options.ClaimLeaseSeconds, ct).ConfigureAwait(false);
        if (items.Count == 0)
        {
            q.Limit = 100;
            return false;
        }
        foreach (var item in items)
        {
            var c = new Claim(item);
            _held[(item.Table, item.Fid)] = c;
            q.Add(c);
        }
        rt.Jobs.Increment("work_sent_to_" + q.JobName, items.Count);
        rt.Jobs.Counters["work_queue_for_" + q.JobName] = q.Waiting;
        return true;
    }

    private async Task RenewAsync(CancellationToken ct)
    {
        _lastRenewTicks = Environment.TickCount64;
        var rt = _host.Runtime;
        foreach (var group in _held.Values.GroupBy(c => (c.Item.Table, c.ClaimedUntil)).ToList())
        {
            var byFid = group.ToDictionary(c => c.Item.Fid);
            foreach (var chunk in byFid.Keys.Chunk(500))
            {
                var (newValue, renewed) = await rt.Store.RenewClaimsAsync(group.Key.Table, chunk, group.Key.ClaimedUntil, _host.Options.ClaimLeaseSeconds, ct).ConfigureAwait(false);
                foreach (var fid in renewed) byFid[fid].ClaimedUntil = newValue;
            }
        }
    }

    /// <summary>Clean stop: rows still held go back to the queue at once.</summary>
    public async Task ReleaseAllAsync()
    {
        var rt = _host.Runtime;
        foreach (var q in _queues) q.Drain();
        foreach (var group in _held.Values.GroupBy(c => (c.Item.Table, c.ClaimedUntil)).ToList())
        {
            foreach (var chunk in group.Select(c => c.Item.Fid).Chunk(500))
            {
                try
                {
                    await rt.Store.ReleaseClaimsAsync(group.Key.Table, chunk, group.Key.ClaimedUntil, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    JobLog.JobMasterFailed(_log, "releasing claims at stop: " + e.Message, e);
                    return;
                }
            }
        }
        _held.Clear();
    }
}
