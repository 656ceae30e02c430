using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using MogileFS.Client;

namespace MogileFS.Drills.Storm;

/// <summary>
/// Checks every acknowledged key of one or more event files: the tracker knows it (file_info)
/// with the stored length, and it can be fetched with the stored bytes. With <c>--check-count</c>
/// it also counts the copies on devices that can serve them (device not dead/down, host not dead
/// or down and not named in <c>--exclude-hosts</c>) against the class's mindevcount, and with
/// <c>--wait</c> polls until every file has its count, reporting how long that took.
/// </summary>
public sealed class Verifier(Options o)
{
    public async Task<int> RunAsync()
    {
        var files = o.Acked.Count > 0 ? o.Acked : [Path.Combine(o.Out, "acked.tsv")];
        var keys = new Dictionary<string, int>();
        foreach (var f in files)
            foreach (var row in EventLog.Read(f))
                if (row.Length >= 5 && int.TryParse(row[4], NumberStyles.None, CultureInfo.InvariantCulture, out int size))
                    keys[row[3]] = size;
        using var client = new MogileFSClient(o.ClientOptions());
        using var admin = new MogileFSAdmin(o.ClientOptions());
        Console.WriteLine($"verify: {keys.Count} acknowledged keys from {string.Join(", ", files)}");

        var lost = new ConcurrentBag<string>();
        var bad = new ConcurrentBag<string>();
        var unreadable = new ConcurrentBag<string>();
        var infos = new ConcurrentDictionary<string, MogileFileInfo>();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = o.Parallel }, async (kv, ct) =>
        {
            var (key, size) = (kv.Key, kv.Value);
            MogileFileInfo? info;
            try { info = await client.FileInfoAsync(key, includeDevices: true, ct); }
            catch (MogileFSException e) { unreadable.Add($"{key}: file_info: {e.Message}"); return; }
            if (info is null) { lost.Add($"{key}: unknown to the tracker"); return; }
            if (info.Length != size) { bad.Add($"{key}: length {info.Length}, stored {size}"); return; }
            infos[key] = info;
            try
            {
                var got = await client.GetBytesAsync(key, ct);
                if (!got.AsSpan().SequenceEqual(Content.For(key, size))) bad.Add($"{key}: content differs from what was stored");
            }
            catch (MogileFSException e) { unreadable.Add($"{key}: fetch: {e.Message}"); }
        });

        foreach (var line in lost.Concat(bad).Concat(unreadable).Take(20)) Console.WriteLine("verify: " + line);
        int good = keys.Count - lost.Count - bad.Count - unreadable.Count;
        Console.WriteLine($"verify: {good} ok, {lost.Count} lost (unknown to the tracker), {bad.Count} wrong length or content, {unreadable.Count} unreadable");
        var env = string.Create(CultureInfo.InvariantCulture,
            $"VERIFIED={keys.Count}\nVERIFY_OK={good}\nLOST={lost.Count}\nBAD={bad.Count}\nUNREADABLE={unreadable.Count}\n");

        int rc = lost.IsEmpty && bad.IsEmpty && unreadable.IsEmpty ? 0 : 1;
        if (o.CheckCount)
        {
            var (missing, seconds) = await WaitForCountsAsync(client, admin, infos.Keys.ToList());
            env += string.Create(CultureInfo.InvariantCulture, $"BELOW_COUNT={missing}\nRECOVERY_SECONDS={seconds:0.0}\n");
            if (missing > 0) rc = 1;
        }
        File.WriteAllText(Path.Combine(o.Out, "verify.env"), env);
        return rc;
    }

    private async Task<(int Missing, double Seconds)> WaitForCountsAsync(MogileFSClient client, MogileFSAdmin admin, List<string> keys)
    {
        var sw = Stopwatch.StartNew();
        var pending = keys;
        var excluded = o.ExcludeHosts.ToHashSet(StringComparer.Ordinal);
        while (true)
        {
            var domains = await admin.GetDomainsAsync();
            var classes = domains.TryGetValue(o.Domain, out var d) ? d.Classes : new Dictionary<string, ClassInfo>();
            var hosts = (await admin.GetHostsAsync()).ToDictionary(h => h.HostId);
            var usable = (await admin.GetDevicesAsync())
                .Where(dev => dev.Status is "alive" or "readonly" or "drain"
                              && hosts.TryGetValue(dev.HostId, out var h) && h.Status is "alive" or "readonly"
                              && !excluded.Contains(h.HostName))
                .Select(dev => dev.DevId).ToHashSet();
            var still = new ConcurrentBag<string>();
            var sample = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = o.Parallel }, async (key, ct) =>
            {
                try
                {
                    var info = await client.FileInfoAsync(key, includeDevices: true, ct);
                    int want = info is not null && classes.TryGetValue(info.Class, out var c) ? c.MinDevCount : 2;
                    int have = info?.DevIds?.Count(usable.Contains) ?? 0;
                    if (have < want) { still.Add(key); if (sample.Count < 3) sample.Add($"{key}: {have} of {want} copies"); }
                }
                catch (MogileFSException) { still.Add(key); }
            });
            pending = still.ToList();
            double since = o.SinceMs > 0 ? (EventLog.NowMs() - o.SinceMs) / 1000.0 : sw.Elapsed.TotalSeconds;
            if (pending.Count == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"verify: all {keys.Count} files have their class's copy count on usable devices, {since:0.0} s {(o.SinceMs > 0 ? "after the event" : "after the check started")}"));
                return (0, since);
            }
            if (sw.Elapsed.TotalSeconds >= o.Wait)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"verify: {pending.Count} files still below their class's copy count after {sw.Elapsed.TotalSeconds:0} s, e.g. {string.Join("; ", sample)}"));
                return (pending.Count, since);
            }
            if (o.Verbose) Console.WriteLine($"verify: {pending.Count} files below their count, e.g. {string.Join("; ", sample)}");
            await Task.Delay(1000);
        }
    }
}
