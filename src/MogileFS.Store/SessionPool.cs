using System.Collections.Concurrent;

namespace MogileFS.Store;

/// <summary>
/// A bounded pool of open sessions. Sessions are created on demand up to <c>max</c>; a caller that
/// finds none idle waits on the semaphore. Unhealthy sessions are closed, freeing their slot, so a
/// database that went away is reconnected on the next use.
/// </summary>
internal sealed class SessionPool : IAsyncDisposable
{
    private readonly ConcurrentStack<StoreSession> _idle = new();
    private readonly SemaphoreSlim _slots;
    private readonly Func<CancellationToken, ValueTask<StoreSession>> _open;
    private volatile bool _disposed;

    public SessionPool(int max, Func<CancellationToken, ValueTask<StoreSession>> open)
    {
        _slots = new SemaphoreSlim(max, max);
        _open = open;
    }

    public async ValueTask<StoreSession> RentAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_slots.Wait(0)) await _slots.WaitAsync(ct).ConfigureAwait(false);
        if (_idle.TryPop(out var s)) return s;
        try
        {
            return await _open(ct).ConfigureAwait(false);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    public void Return(StoreSession s, bool healthy)
    {
        if (healthy && !_disposed) _idle.Push(s);
        else _ = s.DisposeAsync().AsTask().ContinueWith(static _ => { }, TaskScheduler.Default);
        _slots.Release();
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_idle.TryPop(out var s))
        {
            try { await s.DisposeAsync().ConfigureAwait(false); } catch { /* closing anyway */ }
        }
    }
}
