using System.Globalization;
using System.Text;

namespace MogileFS.Drills.Storm;

/// <summary>
/// Error windows from the event files. A window opens at the start of the first failed request
/// and closes at the first acknowledged store after the last error of its burst; errors less
/// than <c>mergeGapMs</c> apart belong to one burst even if some stores succeeded between them
/// (with many clients, one may fail while another gets through). Also the longest stretch with no
/// acknowledged store at all, which catches requests that hang instead of failing.
/// </summary>
public sealed record Window(long StartMs, long EndMs, int Errors, bool Closed)
{
    public double Seconds => (EndMs - StartMs) / 1000.0;
}

public sealed record Summary(int Ok, int Failed, IReadOnlyList<Window> Windows, double LongestGapSeconds,
    long FirstMs, long LastMs, double P50Ms, double P99Ms, double MaxMs)
{
    public double MaxWindowSeconds => Windows.Count == 0 ? 0 : Windows.Max(w => w.Seconds);
}

public static class Report
{
    public static Summary Compute(string dir, long mergeGapMs = 1000)
        => Compute(EventLog.Read(Path.Combine(dir, "acked.tsv")), EventLog.Read(Path.Combine(dir, "errors.tsv")), mergeGapMs);

    public static Summary Compute(List<string[]> acked, List<string[]> errors, long mergeGapMs)
    {
        var ok = acked.Select(f => (End: L(f[0]), Start: L(f[1]))).OrderBy(e => e.End).ToList();
        var err = errors.Select(f => (End: L(f[0]), Start: L(f[1]))).OrderBy(e => e.End).ToList();
        var okEnds = ok.Select(e => e.End).ToArray();

        var windows = new List<Window>();
        int i = 0;
        while (i < err.Count)
        {
            long start = err[i].Start, lastErr = err[i].End;
            int n = 1; i++;
            while (i < err.Count && err[i].End - lastErr < mergeGapMs)
            {
                start = Math.Min(start, err[i].Start);
                lastErr = err[i].End; n++; i++;
            }
            // first acknowledged store that finished after the last error of the burst
            int k = Array.BinarySearch(okEnds, lastErr + 1);
            if (k < 0) k = ~k;
            bool closed = k < okEnds.Length;
            windows.Add(new Window(start, closed ? okEnds[k] : lastErr, n, closed));
        }

        long gap = 0;
        for (int j = 1; j < okEnds.Length; j++) gap = Math.Max(gap, okEnds[j] - okEnds[j - 1]);
        var lat = ok.Select(e => (double)(e.End - e.Start)).OrderBy(x => x).ToArray();
        long first = Math.Min(ok.Count > 0 ? ok[0].Start : long.MaxValue, err.Count > 0 ? err.Min(e => e.Start) : long.MaxValue);
        long last = Math.Max(ok.Count > 0 ? ok[^1].End : 0, err.Count > 0 ? err[^1].End : 0);
        return new Summary(ok.Count, err.Count, windows, gap / 1000.0, first == long.MaxValue ? 0 : first, last,
            Pct(lat, 0.50), Pct(lat, 0.99), lat.Length == 0 ? 0 : lat[^1]);
    }

    private static double Pct(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static long L(string s) => long.Parse(s, CultureInfo.InvariantCulture);

    public static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    public static string Format(Summary s, string label)
    {
        var b = new StringBuilder();
        double secs = Math.Max(0.001, (s.LastMs - s.FirstMs) / 1000.0);
        b.Append(CultureInfo.InvariantCulture, $"{label}: stores ok {s.Ok}, failed {s.Failed} ({s.Ok / secs:0.#}/s over {secs:0.#} s); ");
        b.Append(CultureInfo.InvariantCulture, $"latency p50 {s.P50Ms:0} ms, p99 {s.P99Ms:0} ms, max {s.MaxMs:0} ms; ");
        b.AppendLine(CultureInfo.InvariantCulture, $"longest gap between acknowledged stores {s.LongestGapSeconds:0.000} s");
        if (s.Windows.Count == 0) b.AppendLine($"{label}: no error window (no store failed)");
        foreach (var w in s.Windows)
            b.AppendLine(CultureInfo.InvariantCulture,
                $"{label}: error window {Time(w.StartMs)} -> {Time(w.EndMs)} UTC: {w.Seconds:0.000} s, {w.Errors} failed stores{(w.Closed ? "" : " (no store succeeded after it)")}");
        return b.ToString();
    }

    /// <summary>Shell-readable figures (<c>summary.env</c>) for the drill scripts.</summary>
    public static string Env(Summary s) => string.Create(CultureInfo.InvariantCulture,
        $"OK={s.Ok}\nFAILED={s.Failed}\nWINDOWS={s.Windows.Count}\nMAX_WINDOW={s.MaxWindowSeconds:0.000}\n" +
        $"LONGEST_GAP={s.LongestGapSeconds:0.000}\nP99_MS={s.P99Ms:0}\nMAX_MS={s.MaxMs:0}\n");
}
