using System.Diagnostics;
using System.Globalization;
using System.Text;
using MogileFS.Core.Metrics;

namespace MogileFS.Tracker.Tests.Core;

/// <summary>The request histogram the status port writes itself (issue 13's hot-path cost).</summary>
public sealed class LatencyHistogramTests
{
    private static long Ago(double seconds) => Stopwatch.GetTimestamp() - (long)(seconds * Stopwatch.Frequency);

    private static Dictionary<string, double> Parse(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#'))
            .ToDictionary(l => l[..l.LastIndexOf(' ')], l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    [Fact]
    public void Records_nothing_until_enabled_and_writes_nothing_when_empty()
    {
        var h = new LatencyHistogram("x_seconds", "help", "command", "result", [0.001, 1]);
        h.Record("noop", "ok", Ago(0));
        Assert.Equal(0, h.Count("noop", "ok"));
        var sb = new StringBuilder();
        h.WriteTo(sb);
        Assert.Equal("", sb.ToString());
    }

    [Fact]
    public void Writes_cumulative_buckets_sum_and_count_per_label_pair()
    {
        var h = new LatencyHistogram("x_seconds", "Time \"taken\"", "command", "result", [0.001, 1]) { Enabled = true };
        h.Record("get_paths", "ok", Ago(0.0001));
        h.Record("get_paths", "ok", Ago(0.5));
        h.Record("get_paths", "ok", Ago(2));
        h.Record("get_paths", "unknown_key", Ago(0.0002));
        var sb = new StringBuilder();
        h.WriteTo(sb);
        string text = sb.ToString();

        Assert.StartsWith("# HELP x_seconds Time \"taken\"\n# TYPE x_seconds histogram\n", text);
        var v = Parse(text);
        Assert.Equal(1, v["x_seconds_bucket{command=\"get_paths\",result=\"ok\",le=\"0.001\"}"]);
        Assert.Equal(2, v["x_seconds_bucket{command=\"get_paths\",result=\"ok\",le=\"1\"}"]);
        Assert.Equal(3, v["x_seconds_bucket{command=\"get_paths\",result=\"ok\",le=\"+Inf\"}"]);
        Assert.Equal(3, v["x_seconds_count{command=\"get_paths\",result=\"ok\"}"]);
        Assert.InRange(v["x_seconds_sum{command=\"get_paths\",result=\"ok\"}"], 2.5, 3.5);
        Assert.Equal(1, v["x_seconds_count{command=\"get_paths\",result=\"unknown_key\"}"]);
        // Series come sorted, each family once.
        Assert.True(text.IndexOf("result=\"ok\"", StringComparison.Ordinal) < text.IndexOf("result=\"unknown_key\"", StringComparison.Ordinal));
        Assert.Single(text.Split('\n'), l => l.StartsWith("# TYPE", StringComparison.Ordinal));
    }

    [Fact]
    public void Counts_every_record_from_many_threads()
    {
        var h = new LatencyHistogram("x_seconds", "h", "a", "b", LatencyHistogram.SecondsBuckets) { Enabled = true };
        Parallel.For(0, 8, _ =>
        {
            for (int i = 0; i < 50_000; i++) h.Record("noop", "ok", Stopwatch.GetTimestamp());
        });
        Assert.Equal(400_000, h.Count("noop", "ok"));
    }

    [Fact]
    public void Label_sets_are_bounded_and_values_escaped()
    {
        var h = new LatencyHistogram("x_seconds", "h", "a", "b", [1]) { Enabled = true };
        for (int i = 0; i < LatencyHistogram.MaxSeries + 100; i++)
            h.Record("c" + i.ToString(CultureInfo.InvariantCulture), "ok", Stopwatch.GetTimestamp());
        h.Record("q\"uote\\", "ok", Stopwatch.GetTimestamp());
        Assert.Equal(101, h.Count("other", "other"));
        var sb = new StringBuilder();
        h.WriteTo(sb);
        Assert.Equal(LatencyHistogram.MaxSeries + 1, sb.ToString().Split('\n').Count(l => l.StartsWith("x_seconds_count{", StringComparison.Ordinal)));
    }

    [Fact]
    public void Escapes_label_values()
    {
        var h = new LatencyHistogram("x_seconds", "h", "a", "b", [1]) { Enabled = true };
        h.Record("q\"uote\\", "new\nline", Stopwatch.GetTimestamp());
        var sb = new StringBuilder();
        h.WriteTo(sb);
        Assert.Contains("x_seconds_count{a=\"q\\\"uote\\\\\",b=\"new\\nline\"} 1\n", sb.ToString());
    }
}
