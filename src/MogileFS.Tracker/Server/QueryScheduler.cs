namespace MogileFS.Tracker.Server;

/// <summary>
/// The "query workers" of 2.73 as a concurrency limit: at most <see cref="Limit"/> queries run at
/// once (query_jobs, changed by <c>!want N queryworker</c>); the rest wait FIFO and are listed by
/// <c>!queue</c>. The fast path (a slot is free) takes one short lock and allocates nothing.
///
/// Ownership of a slot is decided under the lock by whoever takes a waiter off the queue: a grant
/// (<see cref="Release"/> or a raised limit) makes the slot the waiter's, a cancellation removes
/// the waiter without one. A caller that gives up on a waiter calls <see cref="Abandon"/>, which
/// returns the slot if it was granted in the meantime, so no slot is ever left without an owner
/// (issue 17: a waiter granted after its connection died held its slot forever).
/// </summary>
public sealed class QueryScheduler
{
    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _waiting = new();
    private int _running;
    private int _limit;

    public QueryScheduler(int limit) => _limit = Math.Max(1, limit);

    public int Limit
    {
        get { lock (_gate) return _limit; }
        set
        {
            List<Waiter>? granted;
            lock (_gate)
            {
                _limit = Math.Max(1, value);
                granted = GrantLocked();
            }
            Complete(granted);
        }
    }

    public int Running { get { lock (_gate) return _running; } }
    public int Pending { get { lock (_gate) return _waiting.Count; } }

    /// <summary>Incremented each time a query had to wait (!stats times_out_of_qworkers).</summary>
    public long TimesOutOfWorkers;

    /// <summary>Takes a slot if one is free and nobody is waiting.</summary>
    public bool TryAcquire()
    {
        lock (_gate)
        {
            if (_running >= _limit || _waiting.Count != 0) return false;
            _running++;
            return true;
        }
    }

    /// <summary>Queues for a slot (FIFO). The waiter's <see cref="Waiter.Task"/> completes when the
    /// slot is granted (it may already be); cancelling <paramref name="ct"/> removes a waiter that
    /// was not granted yet. Whoever stops waiting early must call <see cref="Abandon"/>.</summary>
    public Waiter Enqueue(string clientIp, ReadOnlySpan<byte> line, CancellationToken ct)
    {
        var w = new Waiter(clientIp, MogileFS.Core.Protocol.ByteString.FromBytes(line));
        List<Waiter>? granted;
        lock (_gate)
        {
            w.Node = _waiting.AddLast(w);
            TimesOutOfWorkers++;
            granted = GrantLocked();
        }
        Complete(granted);
        if (ct.CanBeCanceled && !w.Task.IsCompleted)
        {
            w.Registration = ct.UnsafeRegister(static o =>
            {
                var (self, waiter) = ((QueryScheduler, Waiter))o!;
                self.Cancel(waiter);
            }, (this, w));
        }
        return w;
    }

    /// <summary>Requests a slot. Completes synchronously when one is free; otherwise queues FIFO.
    /// A caller that may stop waiting before the task completes must use <see cref="Enqueue"/>.</summary>
    public ValueTask AcquireAsync(string clientIp, ReadOnlySpan<byte> line, CancellationToken ct) =>
        TryAcquire() ? ValueTask.CompletedTask : new ValueTask(Enqueue(clientIp, line, ct).Task);

    private void Cancel(Waiter w)
    {
        lock (_gate)
        {
            if (w.State != WaiterState.Queued) return;
            _waiting.Remove(w.Node!);
            w.State = WaiterState.Cancelled;
        }
        w.TrySetCanceled();
    }

    /// <summary>The caller no longer wants <paramref name="w"/>: a queued waiter leaves the queue,
    /// a granted slot is released. Safe to call more than once.</summary>
    public void Abandon(Waiter w)
    {
        List<Waiter>? granted = null;
        lock (_gate)
        {
            switch (w.State)
            {
                case WaiterState.Queued:
                    _waiting.Remove(w.Node!);
                    w.State = WaiterState.Cancelled;
                    break;
                case WaiterState.Granted:
                    w.State = WaiterState.Released;
                    _running--;
                    granted = GrantLocked();
                    break;
                default:
                    return;
            }
        }
        w.Registration.Unregister();
        w.TrySetCanceled();
        Complete(granted);
    }

    /// <summary>Marks a granted waiter as running its query: from now on the caller releases the
    /// slot with <see cref="Release"/>, and <see cref="Abandon"/> does nothing.</summary>
    public void Claim(Waiter w)
    {
        lock (_gate)
        {
            if (w.State == WaiterState.Granted) w.State = WaiterState.Released;
        }
        w.Registration.Unregister();
    }

    public void Release()
    {
        List<Waiter>? granted;
        lock (_gate)
        {
            _running--;
            granted = GrantLocked();
        }
        Complete(granted);
    }

    private List<Waiter>? GrantLocked()
    {
        List<Waiter>? granted = null;
        while (_running < _limit && _waiting.First is { } first)
        {
            _waiting.RemoveFirst();
            _running++;
            first.Value.State = WaiterState.Granted;
            (granted ??= new List<Waiter>(1)).Add(first.Value);
        }
        return granted;
    }

    // Outside the lock: completing runs no continuation inline (RunContinuationsAsynchronously),
    // and unregistering must not wait for a cancellation callback that waits for the lock.
    private static void Complete(List<Waiter>? granted)
    {
        if (granted == null) return;
        foreach (var w in granted)
        {
            w.Registration.Unregister();
            w.TrySetResult();
        }
    }

    /// <summary>The waiting queries, oldest first: (client ip, request line).</summary>
    public List<(string Ip, string Line)> Snapshot()
    {
        lock (_gate)
        {
            var l = new List<(string, string)>(_waiting.Count);
            foreach (var w in _waiting) l.Add((w.ClientIp, w.Line));
            return l;
        }
    }

    internal enum WaiterState : byte { Queued, Granted, Released, Cancelled }

    public sealed class Waiter : TaskCompletionSource
    {
        internal Waiter(string ip, string line) : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            ClientIp = ip;
            Line = line;
        }

        public string ClientIp { get; }
        public string Line { get; }
        internal LinkedListNode<Waiter>? Node;
        internal CancellationTokenRegistration Registration;
        internal WaiterState State;
    }
}
