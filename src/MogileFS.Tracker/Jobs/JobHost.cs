using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using MogileFS.Store;
using MogileFS.Tracker.Runtime;
using MogileFS.Tracker.Storage;

namespace MogileFS.Tracker.Jobs;

/// <summary>
/// Extension points for the job families beside the core jobs (fsck/scrub, rebalance/drain). The
/// <see cref="JobHost"/> has each family register here when it is created (<see cref="JobHost.RegisterFamilies"/>)
/// and reads them when it starts; nothing on the command side wires jobs.
/// </summary>
public sealed class JobHooks
{
    private readonly List<Func<TrackerRuntime, CancellationToken, Task>> _injectors = new();
    private readonly ConcurrentDictionary<QueueTable, (JobKind Job, Func<Claim, CancellationToken, Task> Handler, int Parallelism)> _workers = new();

    /// <summary>Called at the start of every job-master pass (fsck/rebalance injection, jobs.md §4).</summary>
    public void AddInjector(Func<TrackerRuntime, CancellationToken, Task> injector)
    {
        lock (_injectors) _injectors.Add(injector);
    }

    public IReadOnlyList<Func<TrackerRuntime, CancellationToken, Task>> Injectors
    {
        get { lock (_injectors) return _injectors.ToArray(); }
    }

    /// <summary>
    /// Lets the job master claim rows of <paramref name="table"/> (Fsck or Rebalance) for workers of job
    /// <paramref name="job"/> (its count follows !want; rebalance moves run with the replicate count, as in
    /// 2.73, whose replicate workers do them). The handler
    /// owns the row outcome (delete or reschedule it); a row it leaves alone comes back after the lease.
    /// </summary>
    public void RegisterQueueWorker(QueueTable table, JobKind job, Func<Claim, CancellationToken, Task> handler, int parallelism = 4) =>
        _workers[table] = (job, handler, parallelism);

    internal bool TryGetWorker(QueueTable table, out (JobKind Job, Func<Claim, CancellationToken, Task> Handler, int Parallelism) w) =>
        _workers.TryGetValue(table, out w);
}

/// <summary>
/// The background jobs of one tracker (jobs.md §1): monitor first; after its first round the job
/// master, replicate and delete workers, the reaper and the tempfile reaper. Everything is async
/// loops on the thread pool; "workers" are loops with bounded parallelism, counted in the
/// <see cref="JobRegistry"/> so !jobs/!want/!stats show and steer them. Started by the tracker after it
/// listens; <see cref="StopAsync"/> cancels, waits for the loops and hands back unfinished claims.
/// </summary>
public sealed class JobHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly List<Task> _loops = new();
    private readonly Dictionary<string, WorkerPool> _pools = new(StringComparer.Ordinal);
    private readonly ILogger _log;
    private Task? _run;
    private volatile bool _crashed;

    public JobHost(TrackerRuntime runtime, CancellationToken stopping)
    {
        Runtime = runtime;
        Options = JobsOptions.From(runtime.Options);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Hooks = runtime.Feature<JobHooks>();
        RegisterFamilies(runtime, Hooks);
        _log = runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Jobs");
        Monitor = new MonitorJob(this);
        JobMaster = new JobMaster(this);
        Replicator = new Replicator(this);
        Deleter = new DeleteWorker(this);
        Reaper = new ReaperJob(this);
        Tempfiles = new TempfileReaper(this);
    }

    public TrackerRuntime Runtime { get; }
    public JobsOptions Options { get; }
    /// <summary>The tracker's one storage-node client (the same the query commands use).</summary>
    public IStorageNodeClient Storage => Runtime.StorageNodes;
    public JobHooks Hooks { get; }
    public MonitorJob Monitor { get; }
    public JobMaster JobMaster { get; }
    public Replicator Replicator { get; }
    public DeleteWorker Deleter { get; }
    public ReaperJob Reaper { get; }
    public TempfileReaper Tempfiles { get; }
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Our own counters (copies made, rows finished, ...). Not in !stats, which shows exactly
    /// 2.73's counters (work_queue_for_*, work_sent_to_*); tests and dashboards read these.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, long> Stats { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The job families that hook into the job master (docs/fsck-rebalance.md): fsck workers, fsck
    /// injection and the scrubber; rebalance moves, rebalance injection and drain.
    /// </summary>
    internal static void RegisterFamilies(TrackerRuntime rt, JobHooks hooks)
    {
        Fsck.FsckJobs.Register(rt, hooks);
        Rebalance.RebalanceJobs.Register(rt, hooks);
    }

    /// <summary>The job host of a tracker (null before the tracker started its jobs).</summary>
    public static JobHost? Of(TrackerRuntime rt) => rt.Feature<JobHostSlot>().Host;

    /// <summary>Starts the jobs; returns at once (the work runs until <see cref="StopAsync"/>).</summary>
    public static JobHost Start(TrackerRuntime rt, CancellationToken stopping)
    {
        var host = new JobHost(rt, stopping);
        rt.Feature<JobHostSlot>().Host = host;
        host._run = host.RunAsync();
        return host;
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        var rt = Runtime;
        JobLog.Starting(_log);
        foreach (var job in rt.Jobs.All) AcceptMessages(job);
        _loops.Add(Guard("monitor", Monitor.RunAsync));
        try
        {
            await rt.Monitor.WaitForFirstRoundAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { return; }

        var replicate = new LocalQueue(QueueTable.Replicate, "replicate");
        var delete = new LocalQueue(QueueTable.Delete, "delete");
        JobMaster.AddQueue(replicate);
        JobMaster.AddQueue(delete);
        AddPool(rt.Jobs.Get(JobKind.Replicate), replicate, Replicator.HandleAsync, Options.ReplicateParallelism);
        AddPool(rt.Jobs.Get(JobKind.Delete), delete, Deleter.HandleAsync, Options.DeleteParallelism);
        if (Hooks.TryGetWorker(QueueTable.Fsck, out var fsck))
        {
            var q = new LocalQueue(QueueTable.Fsck, JobCatalog.NameOf(fsck.Job));
            JobMaster.AddQueue(q);
            AddPool(rt.Jobs.Get(fsck.Job), q, fsck.Handler, fsck.Parallelism);
        }
        if (Hooks.TryGetWorker(QueueTable.Rebalance, out var rebal))
        {
            // 2.73's replicate workers also do rebalance moves: no job of its own in !jobs/!want; the
            // rebalance loops follow the replicate count.
            var q = new LocalQueue(QueueTable.Rebalance, "rebalance");
            JobMaster.AddQueue(q);
            AddPool(rt.Jobs.Get(JobKind.Replicate), q, rebal.Handler, rebal.Parallelism, reportWorkers: false);
        }
        rt.Jobs.Get(JobKind.JobMaster).FollowDesiredWithOneWorker();
        rt.Jobs.Get(JobKind.Reaper).FollowDesiredWithOneWorker();

        _loops.Add(Guard("job_master", JobMaster.RunAsync));
        _loops.Add(Guard("reaper", Reaper.RunAsync));
        _loops.Add(Guard("tempfiles", Tempfiles.RunAsync));
        _loops.Add(Guard("replicate-cleanup", Replicator.RunStrayCleanupAsync));
    }

    private void AddPool(JobInfo info, LocalQueue queue, Func<Claim, CancellationToken, Task> handler, int parallelism, bool reportWorkers = true)
    {
        var pool = new WorkerPool(this, info, queue, handler, parallelism, reportWorkers);
        lock (_pools) _pools[queue.JobName] = pool;
        pool.Start();
    }

    /// <summary>
    /// !to &lt;job&gt; &lt;message&gt; (delivered to each running worker, as 2.73 counts it). The generic
    /// control lines of 2.73's workers act: <c>:shutdown</c> ends the job's workers, which are started
    /// again (as 2.73's parent respawns a child that exited: "Job X has only 0, wants N, making N." on
    /// !watch); <c>:wake_up</c> ends the idle wait of the job master and the workers. Others are logged.
    /// </summary>
    private void AcceptMessages(JobInfo info) => info.MessageHandler ??= message =>
    {
        JobLog.MessageReceived(_log, info.Name, message);
        int reached = info.Running;
        if (reached == 0) return 0;
        if (message.StartsWith(":shutdown", StringComparison.Ordinal)) Restart(info);
        else if (message.StartsWith(":wake_up", StringComparison.Ordinal))
        {
            JobMaster.Wake();
            if (info.Kind == JobKind.Monitor) Runtime.Monitor.RequestRound();
        }
        return reached;
    };

    /// <summary>How long a job stays without workers after <c>:shutdown</c> (2.73: the time a child takes to exit).</summary>
    internal static readonly TimeSpan RespawnDelay = TimeSpan.FromMilliseconds(500);

    private void Restart(JobInfo info)
    {
        WorkerPool? pool;
        lock (_pools) pool = _pools.Values.FirstOrDefault(p => p.Info == info && p.ReportsWorkers);
        if (pool != null) pool.StopWorkers();
        else info.SetWorkerCount(0);
        _ = Task.Run(async () =>
        {
            try { await Task.Delay(RespawnDelay, _stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            if (pool != null) pool.Resync();
            else info.RaiseDesiredChanged();
        });
    }

    internal bool HasWorkers(LocalQueue q)
    {
        lock (_pools) return _pools.TryGetValue(q.JobName, out var p) && Runtime.Jobs.EffectiveDesired(p.Info) > 0;
    }

    private Task Guard(string name, Func<CancellationToken, Task> loop) => Task.Run(async () =>
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await loop(ct).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                JobLog.JobFailed(_log, name, e.Message, e);
                Runtime.Errors.Publish($"[{name}({Environment.ProcessId})] {e.Message}");
                try { await Task.Delay(1000, ct).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
            }
        }
    });

    /// <summary>Fault injection for tests: stop as if the process had been killed (claims are not handed back).</summary>
    public Task CrashAsync()
    {
        _crashed = true;
        return StopAsync();
    }

    public async Task StopAsync()
    {
        try { _stop.Cancel(); } catch (ObjectDisposedException) { }
        var all = new List<Task>(_loops);
        if (_run != null) all.Add(_run);
        List<WorkerPool> pools;
        lock (_pools) pools = _pools.Values.ToList();
        foreach (var p in pools) all.Add(p.StopAsync());
        try
        {
            await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(8)).ConfigureAwait(false);
        }
        catch (Exception) { /* cancellation/timeouts while stopping */ }
        if (!_crashed) await JobMaster.ReleaseAllAsync().ConfigureAwait(false);
        foreach (var job in Runtime.Jobs.All)
            if (job.Kind != JobKind.QueryWorker) job.SetWorkerCount(0);
        try { await Runtime.Store.CloseLocksAsync().ConfigureAwait(false); } catch (Exception) { /* store closing */ }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed class JobHostSlot
    {
        public JobHost? Host { get; set; }
    }
}

internal static class StatsExtensions
{
    public static void Increment(this ConcurrentDictionary<string, long> d, string name, long by = 1) =>
        d.AddOrUpdate(name, by, (_, v) => v + by);
}

/// <summary>
/// Workers of one job: <see cref="JobInfo.Desired"/> loops (follows !want), each running up to
/// <c>parallelism</c> items at once from the local queue.
/// </summary>
internal sealed class WorkerPool
{
    private readonly JobHost _host;
    private readonly LocalQueue _queue;
    private readonly Func<Claim, CancellationToken, Task> _handler;
    private readonly int _parallelism;
    private readonly List<(CancellationTokenSource Stop, Task Loop)> _workers = new();
    private readonly ConcurrentDictionary<Task, bool> _inFlight = new();
    private readonly object _gate = new();

    private readonly bool _reportWorkers;

    public WorkerPool(JobHost host, JobInfo info, LocalQueue queue, Func<Claim, CancellationToken, Task> handler, int parallelism, bool reportWorkers = true)
    {
        _reportWorkers = reportWorkers;
        _host = host;
        Info = info;
        _queue = queue;
        _handler = handler;
        _parallelism = Math.Max(1, parallelism);
    }

    public JobInfo Info { get; }

    public bool ReportsWorkers => _reportWorkers;

    /// <summary>Ends every worker loop (items in flight finish); <see cref="Resync"/> starts them again.</summary>
    public void StopWorkers()
    {
        lock (_gate)
        {
            foreach (var w in _workers) w.Stop.Cancel();
            _workers.Clear();
            if (_reportWorkers) Info.SetWorkerCount(0);
        }
    }

    public void Resync() => Sync();

    public void Start()
    {
        Info.DesiredChanged += _ => Sync();
        Sync();
    }

    private void Sync()
    {
        lock (_gate)
        {
            if (_host.Stopping.IsCancellationRequested) return;
            int desired = _host.Runtime.Jobs.EffectiveDesired(Info);
            while (_workers.Count < desired)
            {
                var stop = CancellationTokenSource.CreateLinkedTokenSource(_host.Stopping);
                int index = _workers.Count;
                _workers.Add((stop, Task.Run(() => LoopAsync(index, stop.Token))));
            }
            while (_workers.Count > desired)
            {
                var w = _workers[^1];
                _workers.RemoveAt(_workers.Count - 1);
                w.Stop.Cancel();
            }
            if (_reportWorkers) Info.SetWorkerCount(_workers.Count);
        }
        if (_host.Runtime.Jobs.EffectiveDesired(Info) > 0) _host.JobMaster.Wake();
    }

    private async Task LoopAsync(int index, CancellationToken workerStop)
    {
        using var slots = new SemaphoreSlim(_parallelism, _parallelism);
        while (!workerStop.IsCancellationRequested)
        {
            Claim c;
            try
            {
                await slots.WaitAsync(workerStop).ConfigureAwait(false);
                try
                {
                    // kill -STOP of this worker's pid (!jobs) pauses it before its next item.
                    await Info.WaitWhilePausedAsync(index, workerStop).ConfigureAwait(false);
                }
                catch
                {
                    slots.Release();
                    throw;
                }
                try
                {
                    c = await _queue.TakeAsync(workerStop).ConfigureAwait(false);
                }
                catch
                {
                    slots.Release();
                    throw;
                }
            }
            catch (OperationCanceledException) { break; }
            var t = RunOneAsync(c, slots);
            _inFlight[t] = true;
            _ = t.ContinueWith(done => _inFlight.TryRemove(done, out _), TaskScheduler.Default);
        }
        // A worker removed by !want lets its items finish; wait for them before it disappears.
        while (!_inFlight.IsEmpty && !_host.Stopping.IsCancellationRequested)
            await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task RunOneAsync(Claim c, SemaphoreSlim slots)
    {
        await Task.Yield();
        try
        {
            await _handler(c, _host.Stopping).ConfigureAwait(false);
            _host.JobMaster.Done(c);
        }
        catch (OperationCanceledException) when (_host.Stopping.IsCancellationRequested)
        {
            // stopping: the claim stays held and is handed back (or expires after a crash)
        }
        catch (Exception)
        {
            _host.JobMaster.Done(c); // handlers log their own failures; the row comes back after its lease
        }
        finally
        {
            try { slots.Release(); } catch (ObjectDisposedException) { }
        }
    }

    public async Task StopAsync()
    {
        List<Task> loops;
        lock (_gate) loops = _workers.Select(w => w.Loop).ToList();
        try
        {
            await Task.WhenAll(loops.Concat(_inFlight.Keys)).ConfigureAwait(false);
        }
        catch (Exception) { /* cancelled */ }
        lock (_gate) _workers.Clear();
    }
}
