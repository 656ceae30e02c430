using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using MogileFS.Client;

namespace MogileFS.Drills.Storm;

/// <summary>
/// N clients store small files under unique keys as fast as they can, until the duration is
/// over, SIGTERM/SIGINT arrives or the stop file appears. Every acknowledged store and every error
/// goes to the event files with its time. Optional readers fetch random acknowledged keys the
/// whole time and log every read that fails or returns wrong bytes (<c>read-errors.tsv</c>).
/// A store in flight when the run is told to stop is finished, not abandoned.
/// </summary>
public sealed class StormRunner(Options o)
{
    private readonly List<(string Key, int Size)> _acked = [];
    private readonly Lock _ackedLock = new();
    private long _ok, _failed, _reads, _readErrors;

    public async Task<int> RunAsync()
    {
        Directory.CreateDirectory(o.Out);
        using var acked = new EventLog(Path.Combine(o.Out, "acked.tsv"));
        using var errors = new EventLog(Path.Combine(o.Out, "errors.tsv"));
        using var readErrors = new EventLog(Path.Combine(o.Out, "read-errors.tsv"));
        using var client = new MogileFSClient(o.ClientOptions());

        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        if (o.Duration > 0) stop.CancelAfter(TimeSpan.FromSeconds(o.Duration));
        var stopFile = o.StopFile is { } sf ? Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (File.Exists(sf)) { stop.Cancel(); break; }
                try { await Task.Delay(100, stop.Token); } catch (OperationCanceledException) { }
            }
        }) : Task.CompletedTask;

        string prefix = o.Prefix ?? $"storm-{DateTime.UtcNow:yyyyMMddHHmmss}-{Environment.ProcessId}";
        Console.WriteLine($"storm: {o.Clients} clients, {o.Size}-byte files, trackers {string.Join(",", o.Trackers)}, domain {o.Domain}" +
                          $"{(o.Class is null ? "" : ", class " + o.Class)}, keys {prefix}/<client>/<n>, events in {o.Out}");
        File.WriteAllText(Path.Combine(o.Out, "storm.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

        var t0 = EventLog.NowMs();
        var progress = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(o.ProgressSeconds), stop.Token); } catch (OperationCanceledException) { break; }
                long ok = Interlocked.Read(ref _ok), failed = Interlocked.Read(ref _failed);
                long reads = Interlocked.Read(ref _reads), readErrs = Interlocked.Read(ref _readErrors);
                double t = (EventLog.NowMs() - t0) / 1000.0;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"storm: t={t:0.0}s ok={ok} failed={failed}{(o.Readers > 0 ? $" reads={reads} read_errors={readErrs}" : "")}"));
            }
        });

        var writers = Enumerable.Range(1, o.Clients).Select(c => Task.Run(async () =>
        {
            for (long n = 1; !stop.IsCancellationRequested; n++)
            {
                string key = $"{prefix}/{c}/{n}";
                var data = Content.For(key, o.Size);
                long start = EventLog.NowMs();
                try
                {
                    // No cancellation token: a store in flight at stop time is finished, so its outcome is known.
                    var r = await client.StoreAsync(key, new MemoryStream(data, writable: false),
                        new StoreOptions { Class = o.Class, MinCopies = o.MinCopies, MinCopiesTimeout = TimeSpan.FromSeconds(o.MinCopiesTimeout) }).ConfigureAwait(false);
                    acked.Write(EventLog.NowMs(), start, c, key, o.Size, r.Fid);
                    Interlocked.Increment(ref _ok);
                    lock (_ackedLock) _acked.Add((key, o.Size));
                }
                catch (MogileFSException e)
                {
                    errors.Write(EventLog.NowMs(), start, c, key, e.ErrorCode, e.Message);
                    Interlocked.Increment(ref _failed);
                    try { await Task.Delay(o.ErrorPauseMs, stop.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
                }
            }
        })).ToArray();

        var readers = Enumerable.Range(1, o.Readers).Select(r => Task.Run(async () =>
        {
            var rnd = new Random(r);
            while (!stop.IsCancellationRequested)
            {
                (string Key, int Size) item;
                lock (_ackedLock)
                {
                    if (_acked.Count == 0) item = default;
                    else item = _acked[rnd.Next(_acked.Count)];
                }
                if (item.Key is null) { await Task.Delay(20).ConfigureAwait(false); continue; }
                long start = EventLog.NowMs();
                try
                {
                    var got = await client.GetBytesAsync(item.Key).ConfigureAwait(false);
                    if (!got.AsSpan().SequenceEqual(Content.For(item.Key, item.Size)))
                        throw new MogileFSException("bad_content", $"{got.Length} bytes, not the {item.Size} bytes stored");
                    Interlocked.Increment(ref _reads);
                }
                catch (MogileFSException e)
                {
                    readErrors.Write(EventLog.NowMs(), start, r, item.Key, e.ErrorCode, e.Message);
                    Interlocked.Increment(ref _readErrors);
                }
            }
        })).ToArray();

        await Task.WhenAll(writers).ConfigureAwait(false);
        await Task.WhenAll(readers).ConfigureAwait(false);
        await progress.ConfigureAwait(false);
        await stopFile.ConfigureAwait(false);

        var s = Report.Compute(o.Out, o.MergeGapMs);
        Console.Write(Report.Format(s, "storm"));
        if (o.Readers > 0)
            Console.WriteLine($"storm: reads ok {Interlocked.Read(ref _reads)}, failed {Interlocked.Read(ref _readErrors)}");
        long totalReads = Interlocked.Read(ref _reads), totalReadErrors = Interlocked.Read(ref _readErrors);
        File.WriteAllText(Path.Combine(o.Out, "summary.env"), Report.Env(s) +
            string.Create(CultureInfo.InvariantCulture, $"READS={totalReads}\nREAD_ERRORS={totalReadErrors}\n"));
        return 0;
    }
}
