using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using MogileFS.Store;
using MogileFS.Tracker.Configuration;
using MogileFS.Tracker.Metadata;

namespace MogileFS.Tracker.Runtime;

/// <summary>
/// Tracker-wide services shared by commands, admin commands and background jobs. One per
/// <see cref="TrackerServer"/> (tests run several trackers in one process: keep per-tracker state
/// here, e.g. via <see cref="Feature{T}"/>, never in statics).
/// </summary>
public sealed class TrackerRuntime
{
    private readonly ConcurrentDictionary<Type, object> _features = new();

    public TrackerRuntime(TrackerOptions options, MetadataStore store, ILoggerFactory loggerFactory,
        MogileFS.Tracker.Storage.IStorageNodeClient storageNodes, TimeProvider? clock = null)
    {
        Options = options;
        Store = store;
        LoggerFactory = loggerFactory;
        Clock = clock ?? TimeProvider.System;
        StorageNodes = storageNodes;
        QueryLogger = loggerFactory.CreateLogger("MogileFS.Tracker.Query");
        Metadata = new MetadataCache(store, options.DefaultMinDevCount, Clock, loggerFactory.CreateLogger("MogileFS.Tracker.Metadata"));
        StartedAt = Clock.GetUtcNow();
        Jobs = new JobRegistry(options);
        Jobs.Spawning += (job, had, making) =>
            Errors.Publish($"Job {job.Name} has only {had}, wants {job.Desired}, making {making}.");
    }

    public TrackerOptions Options { get; }
    public MetadataStore Store { get; }
    public ILoggerFactory LoggerFactory { get; }
    public ILogger QueryLogger { get; }
    public TimeProvider Clock { get; }
    public MetadataCache Metadata { get; }
    public DeviceObservations Observations { get; } = new();
    public MonitorState Monitor { get; } = new();
    public JobRegistry Jobs { get; }
    public ErrorStream Errors { get; } = new();

    /// <summary>The tracker's instruments (the server's own; a runtime made alone gets a private set).</summary>
    public TrackerMetrics Metrics { get => _metrics ??= new TrackerMetrics(); init => _metrics = value; }
    private TrackerMetrics? _metrics;
    public MogileFS.Tracker.Storage.IStorageNodeClient StorageNodes { get; }
    public DateTimeOffset StartedAt { get; }

    /// <summary>This machine's host name (fsck_host, rebal_host).</summary>
    public string HostName { get; } = System.Net.Dns.GetHostName();

    /// <summary>Cancelled when the tracker stops.</summary>
    public CancellationToken Stopping { get; internal set; }

    /// <summary>Per-tracker state of a command family or job, created on first use.</summary>
    public T Feature<T>() where T : class, new() => (T)_features.GetOrAdd(typeof(T), static _ => new T());

    /// <summary>Per-tracker state created by a factory on first use.</summary>
    public T Feature<T>(Func<TrackerRuntime, T> factory) where T : class =>
        (T)_features.GetOrAdd(typeof(T), _ => factory(this));
}
