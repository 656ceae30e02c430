using System.Data.Common;
using System.Threading.Channels;

namespace MogileFS.Store;

/// <summary>
/// Group commit for a store that writes through one connection (SQLite). Callers of
/// <see cref="MetadataStore.WriteAsync{TState,T}"/> queue their bodies; one loop takes everything queued,
/// opens one write transaction, runs each body inside its own savepoint, commits once and only then
/// answers every caller. A body that fails with an error of its own (a duplicate key, a command
/// error) is rolled back to its savepoint and only its caller sees the error; the others commit.
/// </summary>
/// <remarks>
/// What it trades: a commit writes every page the transaction changed to the WAL (and, with
/// synchronous=FULL, syncs it), so N bodies that touch the same tables and index pages cost one set
/// of page writes instead of N, and the write connection changes hands once per batch instead of once
/// per body. A body waits at most for the batch in front of it. When the shared transaction cannot
/// begin or commit (the database locked by another process, an I/O error) or a body breaks the
/// connection, nothing of the batch is committed and every body not yet answered runs again in a
/// transaction of its own (<see cref="MetadataStore.WriteAloneAsync{TState,T}"/>, with its retries and
/// its write bound), so errors reach callers exactly as without grouping. Bodies must already be
/// re-runnable up to their commit (the rule of <see cref="MetadataStore.WriteAsync{TState,T}"/>).
/// </remarks>
internal sealed class GroupCommit
{
    /// <summary>Most bodies in one transaction: bounds how long the write lock is held at a time.</summary>
    internal const int MaxBatch = 64;

    private readonly MetadataStore _store;
    private readonly Action<StoreSession, string> _exec;
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    /// <param name="exec">Runs one SQL statement on the session inside the write transaction (SAVEPOINT, RELEASE, ROLLBACK TO).</param>
    public GroupCommit(MetadataStore store, Action<StoreSession, string> exec)
    {
        _store = store;
        _exec = exec;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Transactions committed and bodies they carried (for tests and benchmarks).</summary>
    public long Commits => Interlocked.Read(ref _commits);
    public long Bodies => Interlocked.Read(ref _bodies);
    private long _commits, _bodies;

    public ValueTask<T> RunAsync<TState, T>(TState state, Func<StoreSession, TState, CancellationToken, ValueTask<T>> body, long started, CancellationToken ct)
    {
        var item = new Item<TState, T>(state, body, started, ct);
        if (!_queue.Writer.TryWrite(item)) return _store.WriteAloneAsync(state, body, started, ct); // shutting down
        return new ValueTask<T>(item.Result.Task);
    }

    /// <summary>Stops taking bodies; those queued run first.</summary>
    public async Task StopAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task LoopAsync()
    {
        var batch = new List<Item>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var item))
            {
                if (item.Cancellation.IsCancellationRequested) item.Fail(new OperationCanceledException(item.Cancellation));
                else if (_store.Options.WriteTimeout > TimeSpan.Zero && _store.Remaining(item.Started) <= TimeSpan.Zero)
                    item.Fail(new StoreBusyException($"database busy: no write connection free within {_store.Options.WriteTimeout.TotalSeconds:0.###} s"));
                else batch.Add(item);
            }
            if (batch.Count == 0) continue;
            try
            {
                if (batch.Count == 1) await batch[0].RunAloneAsync(_store).ConfigureAwait(false);
                else if (!await RunBatchAsync(batch).ConfigureAwait(false))
                {
                    // Nothing of the batch was committed: each body again, alone, with its own retries.
                    var alone = new List<Task>(batch.Count);
                    foreach (var item in batch) if (!item.Answered) alone.Add(item.RunAloneAsync(_store));
                    await Task.WhenAll(alone).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                foreach (var item in batch) if (!item.Answered) item.Fail(e); // never leave a caller waiting
            }
        }
    }

    /// <summary>One transaction for the batch. False when it was rolled back as a whole (then no caller
    /// has been answered but those whose bodies failed on their own).</summary>
    private async Task<bool> RunBatchAsync(List<Item> batch)
    {
        StoreSession s;
        try
        {
            s = await _store.RentForWriteAsync(batch[0].Started, CancellationToken.None).ConfigureAwait(false);
        }
        catch (StoreBusyException)
        {
            return false;
        }
        bool healthy = true;
        try
        {
            try
            {
                await _store.BeginWriteAsync(s, _store.Remaining(batch[0].Started), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is DbException or StoreUnavailableException)
            {
                healthy = await _store.RollbackWriteAsync(s).ConfigureAwait(false);
                return false;
            }
            int done = 0;
            foreach (var item in batch)
            {
                _exec(s, "SAVEPOINT g");
                try
                {
                    await item.RunAsync(s).ConfigureAwait(false);
                    _exec(s, "RELEASE g");
                    done++;
                }
                catch (Exception e) when (e is not DbException && !_store.IsBrokenConnection(e) || e is DbException && _store.IsDuplicateKey(e))
                {
                    // The body's own error: undo its statements only, answer it now, go on with the others.
                    _exec(s, "ROLLBACK TO g");
                    _exec(s, "RELEASE g");
                    item.Fail(e);
                }
                catch (Exception)
                {
                    // Busy, I/O or a broken connection: give up the shared transaction.
                    healthy = await _store.RollbackWriteAsync(s).ConfigureAwait(false);
                    return false;
                }
            }
            try
            {
                await _store.CommitWriteAsync(s, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                healthy = await _store.RollbackWriteAsync(s).ConfigureAwait(false);
                return false;
            }
            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _bodies, done);
            if (!await s.RunAfterWriteAsync().ConfigureAwait(false)) healthy = false;
            foreach (var item in batch) if (!item.Answered) item.Succeed();
            return true;
        }
        catch (Exception)
        {
            // A savepoint statement itself failed: the connection is in doubt.
            healthy = false;
            try { await _store.RollbackWriteAsync(s).ConfigureAwait(false); } catch { /* dropped below */ }
            return false;
        }
        finally
        {
            _store.ReturnWriter(s, healthy);
        }
    }

    private abstract class Item
    {
        protected Item(long started, CancellationToken ct)
        {
            Started = started;
            Cancellation = ct;
        }

        public long Started { get; }
        public CancellationToken Cancellation { get; }
        public bool Answered { get; protected set; }

        /// <summary>Runs the body in the shared transaction and keeps its result until the commit.</summary>
        public abstract ValueTask RunAsync(StoreSession s);
        public abstract void Succeed();
        public abstract void Fail(Exception e);
        public abstract Task RunAloneAsync(MetadataStore store);
    }

    private sealed class Item<TState, T>(TState state, Func<StoreSession, TState, CancellationToken, ValueTask<T>> body, long started, CancellationToken ct)
        : Item(started, ct)
    {
        private T _value = default!;

        public TaskCompletionSource<T> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask RunAsync(StoreSession s) => _value = await body(s, state, Cancellation).ConfigureAwait(false);

        public override void Succeed()
        {
            Answered = true;
            Result.TrySetResult(_value);
        }

        public override void Fail(Exception e)
        {
            Answered = true;
            if (e is OperationCanceledException oce) Result.TrySetCanceled(oce.CancellationToken);
            else Result.TrySetException(e);
        }

        public override async Task RunAloneAsync(MetadataStore store)
        {
            try
            {
                _value = await store.WriteAloneAsync(state, body, Started, Cancellation).ConfigureAwait(false);
                Succeed();
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }
    }
}
