using System.Diagnostics;

namespace MogileFS.Tools.Common;

/// <summary>
/// A one-line progress bar with percentage, rate and ETA on stderr, shown only when a person
/// is watching (stdout and stderr are terminals); otherwise it does nothing, so scripts and
/// pipes see no extra output.
/// </summary>
public sealed class ProgressBar : IProgress<long>, IDisposable
{
    private readonly string _label;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _enabled;
    private readonly object _lock = new();
    private long _total = -1;
    private long _done;
    private long _lastDrawMs = -1000;
    private bool _drawn;
    private int _lastLength;

    public ProgressBar(string label, long? total, bool enabled)
    {
        _label = label;
        _total = total ?? -1;
        _enabled = enabled;
    }

    public static bool Interactive =>
        !Console.IsOutputRedirected && !Console.IsErrorRedirected
        && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");

    public void SetTotal(long total) { lock (_lock) _total = total; }

    public void Report(long value)
    {
        if (!_enabled) return;
        lock (_lock)
        {
            _done = value;
            long now = _clock.ElapsedMilliseconds;
            if (now - _lastDrawMs < 100) return;
            _lastDrawMs = now;
            Draw(final: false);
        }
    }

    public void Complete()
    {
        if (!_enabled) return;
        lock (_lock)
        {
            if (_total >= 0) _done = Math.Max(_done, _total);
            Draw(final: true);
            Console.Error.WriteLine();
            _drawn = false;
        }
    }

    private void Draw(bool final)
    {
        double secs = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        double rate = _done / secs;
        int width = 30;
        string line;
        if (_total > 0)
        {
            double frac = Math.Clamp((double)_done / _total, 0, 1);
            int fill = (int)(frac * width);
            var bar = new string('=', fill) + (fill < width ? ">" + new string(' ', width - fill - 1) : "");
            string eta = final ? $"in {Time(secs)}" : rate > 0 ? $"ETA {Time((_total - _done) / rate)}" : "ETA --:--";
            line = $"{_label} {frac * 100,3:0}% [{bar}] {Size(_done)}/{Size(_total)} {Size((long)rate)}/s {eta}";
        }
        else
        {
            line = $"{_label} {Size(_done)} {Size((long)rate)}/s {(final ? "in " + Time(secs) : "")}";
        }
        int cols = 0;
        try { cols = Console.WindowWidth; } catch { }
        if (cols > 10 && line.Length >= cols) line = line[..(cols - 1)];
        Console.Error.Write(Frame(line, _lastLength));
        _lastLength = line.Length;
        _drawn = true;
    }

    /// <summary>
    /// What redraws the bar: back to the line start, the new text, and blanks over whatever is
    /// left of a longer previous text (it once left "265.6 MiB/s in 0:010").
    /// </summary>
    public static string Frame(string line, int previousLength) => "\r" + line.PadRight(previousLength);

    private static string Time(double s)
    {
        var t = TimeSpan.FromSeconds(Math.Min(s, 359999));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
    }

    public static string Size(long b)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = b; int u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? $"{b} B" : $"{v:0.0} {units[u]}";
    }

    public void Dispose()
    {
        if (_enabled && _drawn) { Console.Error.WriteLine(); _drawn = false; }
    }
}
