namespace MogileFS.Hosting;

/// <summary>
/// Something a server process runs beside its own listeners for its whole life, such as the
/// metrics/health HTTP endpoint the observability issue adds. It is started once the server is
/// listening (before the pid file is written and the launcher is told "ready") and disposed when
/// the process stops.
/// </summary>
public interface IProcessEndpoint : IAsyncDisposable
{
    /// <summary>Starts listening; an exception stops the process start-up like a listener error.</summary>
    Task StartAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The seam where process-wide endpoints plug into mogilefsd and mogstored: both executables
/// create one, <see cref="StartAsync"/> it after their server has started and dispose it on the
/// way out. Nothing is registered yet; the observability issue adds its endpoint with
/// <see cref="Add"/> (configured from the same flags and file as the rest of the process).
/// </summary>
public sealed class ProcessEndpoints : IAsyncDisposable
{
    private readonly List<IProcessEndpoint> _endpoints = [];
    private readonly List<IProcessEndpoint> _started = [];

    public void Add(IProcessEndpoint endpoint) => _endpoints.Add(endpoint);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var e in _endpoints)
        {
            await e.StartAsync(cancellationToken).ConfigureAwait(false);
            _started.Add(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = _started.Count - 1; i >= 0; i--) await _started[i].DisposeAsync().ConfigureAwait(false);
        _started.Clear();
    }
}
