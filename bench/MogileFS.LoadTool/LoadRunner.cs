using System.Diagnostics;

namespace MogileFS.LoadTool;

internal sealed record RunResult(string Command, int Concurrency, long Ops, long Errors, double Seconds, double P50Ms, double P99Ms, double MaxMs, string? FirstError)
{
    public double OpsPerSecond => Ops / Seconds;
}

/// <summary>
/// One measured run: N connections, each sending its next request as soon as the previous reply has
/// arrived (closed loop, no pipelining). Latency is send-to-reply per request; requests started
/// during the warm-up are not counted.
/// </summary>
internal static class LoadRunner
{
    public static async Task<RunResult> RunAsync(LoadSettings s, string command, int concurrency)
    {
        bool store = command == "store";
        var make = store ? null : Workloads.For(command, s);
        using var http = store ? new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) : null;
        var connections = new LineConnection[concurrency];
        for (int i = 0; i < concurrency; i++) connections[i] = await LineConnection.ConnectAsync(s.Tracker);
        long warmupEnd = Stopwatch.GetTimestamp() + (long)(s.WarmupSeconds * Stopwatch.Frequency);
        long end = warmupEnd + (long)(s.DurationSeconds * Stopwatch.Frequency);
        var latencies = new List<long>[concurrency];
        long errors = 0;
        string? firstError = null;

        var tasks = Enumerable.Range(0, concurrency).Select(async conn =>
        {
            await Task.Yield();
            var mine = latencies[conn] = new List<long>(100_000);
            var random = new Random(conn * 7919 + 1);
            var c = connections[conn];
            for (long i = 0; ; i++)
            {
                long start = Stopwatch.GetTimestamp();
                if (start >= end) break;
                string? error;
                if (store) error = await Workloads.StoreAsync(c, http!, s, conn, i);
                else
                {
                    var reply = await c.RequestAsync(make!(conn, i, random));
                    error = reply.Length >= 2 && reply.Span[0] == 'O' && reply.Span[1] == 'K' ? null : System.Text.Encoding.UTF8.GetString(reply.Span);
                }
                long took = Stopwatch.GetTimestamp() - start;
                if (start < warmupEnd) continue;
                if (error == null) mine.Add(took);
                else
                {
                    Interlocked.Increment(ref errors);
                    firstError ??= error;
                }
            }
        }).ToArray();
        await Task.WhenAll(tasks);
        foreach (var c in connections) c.Dispose();

        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double Pct(double p) => all.Length == 0 ? double.NaN : Ms(all[Math.Min(all.Length - 1, (int)(p * all.Length))]);
        return new RunResult(command, concurrency, all.Length, errors, s.DurationSeconds, Pct(0.50), Pct(0.99),
            all.Length == 0 ? double.NaN : Ms(all[^1]), firstError);
    }
}
