namespace MogileFS.Tracker.Server;

/// <summary>
/// The "query workers" of 2.73 as a concurrency limit: at most <see cref="Limit"/> queries run at
/// once (query_jobs, changed by <c>!want N queryworker</c>); the rest wait FIFO and are listed by
/// <c>!queue</c>. The fast path (a slot is free) takes one short lock and allocates nothing.
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
            lock (_gate)
            {
                _limit = Math.Max(1, value);
                WakeLocked();
            }
        }
    }

    public int Running { get { lock (_gate) return _running; } }
    public int Pending { get { lock (_gate) return _waiting.Count; } }

    /// <summary>Incremented each time a query had to wait (!stats times_out_of_qworkers).</summary>
    public long TimesOutOfWorkers;

    /// <summary>Requests a slot. Completes synchronously when one is free; otherwise queues FIFO.</summary>
    public ValueTask AcquireAsync(string clientIp, ReadOnlySpan<byte> line, CancellationToken ct)
    {
        Waiter w;
        lock (_gate)
        {
            if (_running < _limit && _waiting.Count == 0)
            {
                _running++;
                return ValueTask.CompletedTask;
            }
            w = new Waiter(clientIp, MogileFS.Core.Protocol.ByteString.FromBytes(line));
            w.Node = _waiting.AddLast(w);
            TimesOutOfWorkers++;
        }
        if (ct.CanBeCanceled)
        {
            w.Registration = ct.Register(static o =>
            {
                var (self, waiter) = ((QueryScheduler, Waiter))o!;
                self.Cancel(waiter);
            }, (this, w));
        }
        return new ValueTask(w.Task);
    }

    private void Cancel(Waiter w)
    {
        lock (_gate)
        {
            if (w.Node?.List == null) return;
            _waiting.Remove(w.Node);
        }
        w.TrySetCanceled();
    }

    public void Release()
    {
        lock (_gate)
        {
            _running--;
            WakeLocked();
        }
    }

    private void WakeLocked()
    {
        while (_running < _limit && _waiting.First is { } first)
        {
            _waiting.RemoveFirst();
            _running++;
            var w = first.Value;
            w.Registration.Dispose();
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

    private sealed class Waiter : TaskCompletionSource
    {
        public Waiter(string ip, string line) : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            ClientIp = ip;
            Line = line;
        }

        public string ClientIp { get; }
        public string Line { get; }
        public LinkedListNode<Waiter>? Node;
        public CancellationTokenRegistration Registration;
    }
}
