using System.Diagnostics;
using System.Diagnostics.Metrics;
using MogileFS.Core.Metrics;

namespace MogileFS.StorageNode.Metrics;

/// <summary>
/// The storage node's instruments (System.Diagnostics.Metrics), one set per <see cref="StorageNodeServer"/>.
/// Recording takes no lock and allocates nothing (label values are constant strings); without a
/// status port every instrument is disabled and recording returns at once. Labels are bounded: the method from a fixed set, the status code
/// class, never a path.
/// </summary>
public sealed class StorageNodeMetrics : IDisposable
{
    public const string MeterName = "MogileFS.StorageNode";
    private static int _instances;

    public StorageNodeMetrics()
    {
        Name = LatencyHistogram.InstanceName(MeterName, ref _instances);
        Meter = new Meter(Name);
        RequestDuration = new LatencyHistogram("mogilefs_storage_request_duration_seconds",
            "Time from the end of a request head to the end of its response, by method and status",
            "method", "status", LatencyHistogram.SecondsBuckets);
        // Plain counters are fields read when scraped: one interlocked add each, cheaper than an
        // instrument lookup per request (the request histogram is the one per-request record).
        Meter.CreateObservableCounter("mogilefs.storage.received", () => Volatile.Read(ref _received), "By",
            "Request body bytes received (PUT)");
        Meter.CreateObservableCounter("mogilefs.storage.sent", () => Volatile.Read(ref _sent), "By",
            "Response bytes sent (heads and bodies)");
        Meter.CreateObservableCounter("mogilefs.storage.get.transfers", () => new[]
            {
                new Measurement<long>(Volatile.Read(ref _sendfile), new KeyValuePair<string, object?>("mode", "sendfile")),
                new Measurement<long>(Volatile.Read(ref _copy), new KeyValuePair<string, object?>("mode", "copy")),
            }, null, "GET responses by how the body was sent (sendfile or copy)");
        Meter.CreateObservableGauge("mogilefs.storage.device.capacity", () => Usage(u => u.Total), "By",
            "Size of the file system of each devN directory (usage round, every 10 s)");
        Meter.CreateObservableGauge("mogilefs.storage.device.used", () => Usage(u => u.Used), "By",
            "Space in use on the file system of each devN directory");
        Meter.CreateObservableGauge("mogilefs.storage.device.free", () => Usage(u => u.Available), "By",
            "Space available to new files on each devN directory");
    }

    public string Name { get; }
    public Meter Meter { get; }
    /// <summary>Requests by method and status: recorded per request, so not an OpenTelemetry instrument
    /// (see <see cref="LatencyHistogram"/>); the status port writes it beside the meter's instruments.</summary>
    public LatencyHistogram RequestDuration { get; }
    private long _received, _sent, _sendfile, _copy;

    /// <summary>Counts one finished request's bytes and, for a GET with a body, how it was sent.</summary>
    public void CountBytes(long sent, long received, bool? viaSendfile)
    {
        if (sent > 0) Interlocked.Add(ref _sent, sent);
        if (received > 0) Interlocked.Add(ref _received, received);
        if (viaSendfile is bool v) Interlocked.Increment(ref v ? ref _sendfile : ref _copy);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, (long Total, long Used, long Available)> _usage = new();

    /// <summary>Open HTTP connections, read when scraped.</summary>
    public void ObserveConnections(Func<int> count) =>
        Meter.CreateObservableGauge("mogilefs.storage.connections", count, null, "Open HTTP connections");

    /// <summary>The usage writer's latest figures for dev<paramref name="devid"/>, in bytes.</summary>
    public void SetDeviceUsage(int devid, long total, long used, long available) => _usage[devid] = (total, used, available);

    private IEnumerable<Measurement<long>> Usage(Func<(long Total, long Used, long Available), long> pick)
    {
        foreach (var (dev, u) in _usage)
            yield return new Measurement<long>(pick(u), new KeyValuePair<string, object?>("devid", dev.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }


    /// <summary>Records one finished request.</summary>
    /// <param name="method">One of a fixed set of constant strings (GET, HEAD, PUT, DELETE, other).</param>
    /// <param name="status">The response's status code (0: none was sent).</param>
    /// <param name="elapsedTicks">How long it took, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</param>
    public void RecordRequest(string method, int status, long elapsedTicks)
    {
        RequestDuration.RecordElapsed(method, StatusLabel(status), elapsedTicks);
    }

    /// <summary>The status code as a label (<see cref="LatencyHistogram.StatusLabel"/>).</summary>
    internal static string StatusLabel(int status) => LatencyHistogram.StatusLabel(status);

    /// <summary>Turns recording of the request histogram on and returns what writes it (for the status port).</summary>
    public Action<System.Text.StringBuilder> ExportRequests() => RequestDuration.Export();

    public void Dispose() => Meter.Dispose();
}
