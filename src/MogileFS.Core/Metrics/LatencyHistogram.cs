using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace MogileFS.Core.Metrics;

/// <summary>
/// A request-latency histogram with two labels, written in the Prometheus text format by the
/// status port's <c>/metrics</c> (next to what the OpenTelemetry exporter writes for every other
/// instrument). It exists because it is recorded once per request on the hot paths of the tracker
/// and the storage node: the OpenTelemetry SDK's histogram sorts and looks up the tag set and takes
/// a lock per measurement, which measured ~1 µs a request under 64 connections on 2 cores (10% of a
/// noop). Here a measurement is a dictionary lookup of constant strings, a bucket search over
/// <see cref="Stopwatch"/> ticks and two interlocked adds into a per-processor stripe, so cores do
/// not fight over one cache line. Nothing is recorded until <see cref="Enabled"/> is set (a status
/// port exports it). Label sets are bounded: past <see cref="MaxSeries"/> new values become "other".
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Series kept at most; more label pairs are counted under "other".</summary>
    public const int MaxSeries = 4096;

    private readonly string _name, _help, _label1, _label2;
    private readonly double[] _bounds;
    private readonly long[] _boundTicks;
    private readonly string[] _le;
    private readonly int _stride, _stripeMask;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Series>> _rows = new(StringComparer.Ordinal);
    private int _series;

    /// <param name="name">Prometheus metric name without suffixes, e.g. <c>mogilefs_tracker_request_duration_seconds</c>.</param>
    /// <param name="help">The <c># HELP</c> text.</param>
    /// <param name="label1">Name of the first label.</param>
    /// <param name="label2">Name of the second label.</param>
    /// <param name="boundsSeconds">Upper bounds of the buckets, ascending, in seconds (+Inf is added).</param>
    public LatencyHistogram(string name, string help, string label1, string label2, double[] boundsSeconds)
    {
        _name = name;
        _help = help;
        _label1 = label1;
        _label2 = label2;
        _bounds = boundsSeconds;
        _boundTicks = boundsSeconds.Select(b => (long)(b * Stopwatch.Frequency)).ToArray();
        _le = boundsSeconds.Select(b => b.ToString("R", CultureInfo.InvariantCulture)).Append("+Inf").ToArray();
        // Per stripe: one count per bucket (+Inf last) and the sum of ticks, padded to whole cache lines.
        _stride = (boundsSeconds.Length + 2 + 7) & ~7;
        int stripes = 1;
        while (stripes < Math.Min(Environment.ProcessorCount, 16)) stripes <<= 1;
        _stripeMask = stripes - 1;
    }

    /// <summary>Latency buckets (seconds) of request histograms: 100 µs to 30 s.</summary>
    public static readonly double[] SecondsBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    /// <summary>False until something exports the histogram; while false <see cref="Record"/> returns at once.</summary>
    public bool Enabled { get; set; }

    /// <summary>Turns recording on and returns what writes the histogram (for a status port's <c>/metrics</c>).</summary>
    public Action<StringBuilder> Export()
    {
        Enabled = true;
        return WriteTo;
    }

    private static readonly string[] Statuses = Enumerable.Range(0, 600).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>An HTTP status code as a label value: a cached string for 100-599, "none" for 0 (no response), else "other".</summary>
    public static string StatusLabel(int status) => status is >= 100 and < 600 ? Statuses[status] : status == 0 ? "none" : "other";

    /// <summary>
    /// The name of a process's meter: <paramref name="meterName"/> for the first instance, numbered for the next ones
    /// (tests run several trackers, nodes or gateways in one process, each with a meter of its own).
    /// </summary>
    public static string InstanceName(string meterName, ref int instances)
    {
        int n = Interlocked.Increment(ref instances);
        return n == 1 ? meterName : $"{meterName}.{n}";
    }

    /// <summary>Records one request that started at <paramref name="startTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>).
    /// The label values must come from a bounded set of strings (command names, status codes).</summary>
    public void Record(string value1, string value2, long startTimestamp)
    {
        if (!Enabled) return;
        RecordElapsed(value1, value2, Stopwatch.GetTimestamp() - startTimestamp);
    }

    /// <summary>Records one request that took <paramref name="elapsedTicks"/> <see cref="Stopwatch"/> ticks
    /// (for callers that read the clock anyway: a clock read costs more than the rest of a record).</summary>
    public void RecordElapsed(string value1, string value2, long elapsedTicks)
    {
        if (!Enabled) return;
        GetSeries(value1, value2).Add(elapsedTicks < 0 ? 0 : elapsedTicks, this);
    }

    private Series GetSeries(string value1, string value2)
    {
        if (_rows.TryGetValue(value1, out var row) && row.TryGetValue(value2, out var s)) return s;
        return AddSeries(value1, value2);
    }

    private Series AddSeries(string value1, string value2)
    {
        if (Volatile.Read(ref _series) >= MaxSeries)
        {
            value1 = "other";
            value2 = "other";
            if (_rows.TryGetValue(value1, out var full) && full.TryGetValue(value2, out var o)) return o;
        }
        var row = _rows.GetOrAdd(value1, _ => new ConcurrentDictionary<string, Series>(StringComparer.Ordinal));
        return row.GetOrAdd(value2, _ =>
        {
            Interlocked.Increment(ref _series);
            return new Series(new long[_stride * (_stripeMask + 1)]);
        });
    }

    private sealed class Series(long[] cells)
    {
        public readonly long[] Cells = cells;

        public void Add(long ticks, LatencyHistogram h)
        {
            var bounds = h._boundTicks;
            int b = 0;
            while (b < bounds.Length && ticks > bounds[b]) b++;
            int offset = (Thread.GetCurrentProcessorId() & h._stripeMask) * h._stride;
            Interlocked.Increment(ref Cells[offset + b]);
            Interlocked.Add(ref Cells[offset + bounds.Length + 1], ticks);
        }
    }

    /// <summary>Appends the histogram in the Prometheus text exposition format (version 0.0.4);
    /// nothing when no request was recorded.</summary>
    public void WriteTo(StringBuilder sb)
    {
        var series = new List<(string V1, string V2, Series S)>();
        foreach (var (v1, row) in _rows)
            foreach (var (v2, s) in row)
                series.Add((v1, v2, s));
        if (series.Count == 0) return;
        series.Sort((a, b) =>
        {
            int c = string.CompareOrdinal(a.V1, b.V1);
            return c != 0 ? c : string.CompareOrdinal(a.V2, b.V2);
        });

        var inv = CultureInfo.InvariantCulture;
        sb.Append("# HELP ").Append(_name).Append(' ').Append(_help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
        sb.Append("# TYPE ").Append(_name).Append(" histogram\n");
        int nb = _bounds.Length + 1;
        var counts = new long[nb];
        foreach (var (v1, v2, s) in series)
        {
            Array.Clear(counts);
            long sumTicks = 0;
            for (int stripe = 0; stripe <= _stripeMask; stripe++)
            {
                int offset = stripe * _stride;
                for (int b = 0; b < nb; b++) counts[b] += Volatile.Read(ref s.Cells[offset + b]);
                sumTicks += Volatile.Read(ref s.Cells[offset + nb]);
            }
            string labels = $"{_label1}=\"{Escape(v1)}\",{_label2}=\"{Escape(v2)}\"";
            long cumulative = 0;
            for (int b = 0; b < nb; b++)
            {
                cumulative += counts[b];
                sb.Append(_name).Append("_bucket{").Append(labels).Append(",le=\"").Append(_le[b]).Append("\"} ")
                  .Append(cumulative.ToString(inv)).Append('\n');
            }
            sb.Append(_name).Append("_sum{").Append(labels).Append("} ")
              .Append(((double)sumTicks / Stopwatch.Frequency).ToString("R", inv)).Append('\n');
            sb.Append(_name).Append("_count{").Append(labels).Append("} ").Append(cumulative.ToString(inv)).Append('\n');
        }
    }

    /// <summary>The count of one series (tests, the dashboard); 0 when it was never recorded.</summary>
    public long Count(string value1, string value2)
    {
        if (!_rows.TryGetValue(value1, out var row) || !row.TryGetValue(value2, out var s)) return 0;
        long n = 0;
        int nb = _bounds.Length + 1;
        for (int stripe = 0; stripe <= _stripeMask; stripe++)
            for (int b = 0; b < nb; b++) n += Volatile.Read(ref s.Cells[stripe * _stride + b]);
        return n;
    }

    private static string Escape(string v) =>
        v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
