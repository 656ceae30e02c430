using Microsoft.Extensions.Logging;

namespace MogileFS.Tracker.Jobs;

/// <summary>
/// Tempfile reaping (schema.md §3.4, jobs.md §7 step 1), part of the delete job: uploads opened more
/// than <see cref="JobsOptions.TempfileMaxAgeSeconds"/> ago and never closed are handed to the delete
/// queue with their listed devices, so whatever was written is removed from the storage nodes. Runs
/// only where lock <c>mgfs:tempfiles</c> is free (one tracker at a time), 50 rows per batch.
/// </summary>
public sealed class TempfileReaper
{
    private readonly JobHost _host;
    private readonly ILogger _log;

    public TempfileReaper(JobHost host)
    {
        _host = host;
        _log = host.Runtime.LoggerFactory.CreateLogger("MogileFS.Tracker.Jobs.Tempfiles");
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var rt = _host.Runtime;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (rt.Jobs.EffectiveDesired(rt.Jobs.Get(MogileFS.Tracker.Runtime.JobKind.Delete)) > 0)
                    await PassAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                JobLog.PassFailed(_log, "tempfile reaper", e.Message, e);
            }
            try { await Task.Delay(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One pass; returns the number of rows reaped.</summary>
    public async Task<int> PassAsync(CancellationToken ct)
    {
        var rt = _host.Runtime;
        await using var l = await rt.Store.TryLockAsync("mgfs:tempfiles", TimeSpan.Zero, ct).ConfigureAwait(false);
        if (l is null) return 0;
        int total = 0;
        while (true)
        {
            int n = await rt.Store.ReapTempfilesAsync(_host.Options.TempfileMaxAgeSeconds, 50, ct).ConfigureAwait(false);
            total += n;
            if (n < 50) break;
        }
        if (total > 0)
        {
            JobLog.TempfilesReaped(_log, total);
            _host.JobMaster.Wake();
        }
        return total;
    }
}
