using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MogileFS.StorageNode.Metrics;

/// <summary>
/// The storage node's instruments (System.Diagnostics.Metrics), one set per <see cref="StorageNodeServer"/>.
/// Recording takes no lock and allocates nothing (tags are a stack <see cref="TagList"/> of
/// constant strings); without a listener (no status port) every instrument is disabled and
/// recording returns at once. Labels are bounded: the method from a fixed set, the status code
/// class, never a path.
/// </summary>
public sealed class StorageNodeMetrics : IDisposable
{
    public const string MeterName = "MogileFS.StorageNode";
    private static int _instances;

    public StorageNodeMetrics()
    {
        int n = Interlocked.Increment(ref _instances);
        Name = n == 1 ? MeterName : $"{MeterName}.{n}";
        Meter = new Meter(Name);
        RequestDuration = Meter.CreateHistogram<double>("mogilefs.storage.request.duration", "s",
            "Time from the end of a request head to the end of its response, by method and status");
        BytesReceived = Meter.CreateCounter<long>("mogilefs.storage.received", "By", "Request body bytes stored (PUT)");
        BytesSent = Meter.CreateCounter<long>("mogilefs.storage.sent", "By", "Response body bytes sent (GET)");
        Transfers = Meter.CreateCounter<long>("mogilefs.storage.get.transfers", null,
            "GET responses by how the body was sent (sendfile or copy)");
    }

    public string Name { get; }
    public Meter Meter { get; }
    public Histogram<double> RequestDuration { get; }
    public Counter<long> BytesReceived { get; }
    public Counter<long> BytesSent { get; }
    public Counter<long> Transfers { get; }

    /// <summary>Records one finished request.</summary>
    public void RecordRequest(string method, int status, long startTimestamp)
    {
        if (!RequestDuration.Enabled) return;
        RequestDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds,
            new TagList { { "method", MethodLabel(method) }, { "status", StatusLabel(status) } });
    }

    private static readonly string[] Methods = ["GET", "HEAD", "PUT", "DELETE", "MKCOL", "OPTIONS"];

    internal static string MethodLabel(string method)
    {
        foreach (var m in Methods) if (string.Equals(m, method, StringComparison.Ordinal)) return m;
        return "other";
    }

    private static readonly string[] Statuses = MakeStatuses();

    private static string[] MakeStatuses()
    {
        var a = new string[600];
        for (int i = 100; i < 600; i++) a[i] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return a;
    }

    /// <summary>The status code as a cached string (100-599), else "other".</summary>
    internal static string StatusLabel(int status) => status is >= 100 and < 600 ? Statuses[status] : "other";

    public void Dispose() => Meter.Dispose();
}
