using System.Net;
using Microsoft.Extensions.Logging;
using MogileFS.Tracker.Configuration;

namespace MogileFS.Tracker;

/// <summary>The tracker: opens the database, loads the caches, listens on every <c>listen</c> address.</summary>
public sealed class TrackerServer : IAsyncDisposable
{
    private readonly TrackerOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TrackerServer(TrackerOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _loggerFactory = loggerFactory;
    }

    /// <summary>Opens the DB (schema check unless NoSchemaCheck), binds all listen addresses, returns when listening.</summary>
    public Task StartAsync(CancellationToken ct = default) => throw new NotImplementedException("TODO: tracker core deliverable 2");

    public IReadOnlyList<IPEndPoint> EndPoints { get; private set; } = Array.Empty<IPEndPoint>();

    /// <summary>Completes on StopAsync or !shutdown.</summary>
    public Task Completion => _completion.Task;

    public Task StopAsync()
    {
        _completion.TrySetResult();
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
