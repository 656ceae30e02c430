using System.Collections.Concurrent;

namespace MogileFS.Store;

/// <summary>
/// A bounded pool of open sessions. Sessions are created on demand up to <c>max</c>; a caller that
/// finds none idle waits on the semaphore. Unhealthy sessions are closed, freeing their slot, so a
/// database that went away is reconnected on the next use. <see cref="Invalidate"/> (a failover was
/// seen) retires every session opened before it: idle ones are closed when next met, busy ones when
/// they come back, so no request is handed a connection to the old server.
/// </summary>
internal sealed class SessionPool : IAsyncDisposable
{
    private readonly ConcurrentStack<StoreSession> _idle = new();
    private readonly SemaphoreSlim _slots;
    private readonly Func<CancellationToken, ValueTask<StoreSession>> _open;
    private volatile bool _disposed;
    private int _generation;

    public SessionPool(int max, Func<CancellationToken, ValueTask<StoreSession>> open)
    {
        _slots = new SemaphoreSlim(max, max);
        _open = open;
    }

    public async ValueTask<StoreSession> RentAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_slots.Wait(0)) await _slots.WaitAsync(ct).ConfigureAwait(false);
        int generation = Volatile.Read(ref _generation);
        while (_idle.TryPop(out var s))
        {
            if (s.Generation == generation) return s;
            _ = s.DisposeAsync().AsTask().ContinueWith(static _ => { }, TaskScheduler.Default);
        }
        try
        {
            var fresh = await _open(ct).ConfigureAwait(false);
            fresh.Generation = generation;
            return fresh;
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    public void Return(StoreSession s, bool healthy)
    {
        if (healthy && !_disposed && s.Generation == Volatile.Read(ref _generation)) _idle.Push(s);
        else _ = s.DisposeAsync().AsTask().ContinueWith(static _ => { }, TaskScheduler.Default);
        _slots.Release();
    }

    /// <summary>Retires every session opened so far (see the class remarks).</summary>
    public void Invalidate() => Interlocked.Increment(ref _generation);

    /// <summary>Whether <paramref name="s"/> was opened after the last <see cref="Invalidate"/>.</summary>
    public bool IsCurrent(StoreSession s) => s.Generation == Volatile.Read(ref _generation);

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_idle.TryPop(out var s))
        {
            try { await s.DisposeAsync().ConfigureAwait(false); } catch { /* closing anyway */ }
        }
    }
}
