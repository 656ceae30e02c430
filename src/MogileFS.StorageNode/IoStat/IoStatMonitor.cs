using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MogileFS.StorageNode.SideChannel;
using Microsoft.Extensions.Logging;

namespace MogileFS.StorageNode.IoStat;

/// <summary>
/// Per-device utilisation for <c>watch</c> subscribers (storage-node.md §6). Each report is
/// one line <c>N\tUTIL\n</c> per <c>devN</c> directory, sorted by N, then <c>.\n</c>.
/// By default the figures come from /proc/diskstats (the busy-time counter, exactly what
/// <c>iostat -x</c> prints as %util), sampled every second — no iostat process needed.
/// With <see cref="StorageNodeOptions.IoStatCommand"/> (env MOG_IOSTAT_CMD) that command is
/// run and parsed like 2.73 did, restarted when it exits.
/// </summary>
internal sealed partial class IoStatMonitor : IAsyncDisposable
{
    private readonly StorageNodeOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<SideChannelConnection, byte> _subscribers = new();
    private readonly CancellationTokenSource _cts = new();
    private Task? _loop;

    public IoStatMonitor(StorageNodeOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    public void Subscribe(SideChannelConnection c) => _subscribers[c] = 0;

    public void Unsubscribe(SideChannelConnection c) => _subscribers.TryRemove(c, out _);

    public void Start()
    {
        _loop = string.IsNullOrWhiteSpace(_options.IoStatCommand)
            ? Task.Run(() => DiskStatsLoopAsync(_cts.Token))
            : Task.Run(() => CommandLoopAsync(_options.IoStatCommand!, _cts.Token));
    }

    private void Publish(IReadOnlyList<(int Dev, string Util)> lines)
    {
        if (_subscribers.IsEmpty) return;
        var sb = new StringBuilder();
        foreach (var (dev, util) in lines) sb.Append(dev).Append('\t').Append(util).Append('\n');
        sb.Append(".\n");
        var bytes = Encoding.ASCII.GetBytes(sb.ToString());
        foreach (var s in _subscribers.Keys) s.PushWatchReport(bytes);
    }

    /// <summary>devN directories of the docroot with their whole-disk device numbers.</summary>
    internal static List<(int Dev, string? DiskId)> MapDevices(string docroot)
    {
        var result = new List<(int, string?)>();
        IEnumerable<string> dirs;
        try { dirs = Directory.EnumerateDirectories(docroot); }
        catch (Exception) { return result; }
        foreach (var dir in dirs)
        {
            var name = Path.GetFileName(dir);
            if (!DevDirRegex().IsMatch(name)) continue;
            if (!int.TryParse(name.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int n)) continue;
            string? id = null;
            if (Native.Libc.Stat(dir, out var st) == 0) id = WholeDisk(st.DevMajor, st.DevMinor);
            result.Add((n, id));
        }
        result.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return result;
    }

    [GeneratedRegex(@"^dev\d+$")]
    internal static partial Regex DevDirRegex();

    /// <summary>"major:minor" of the whole disk holding a partition (as 2.73 did through /proc/partitions).</summary>
    private static string WholeDisk(uint major, uint minor)
    {
        string id = $"{major}:{minor}";
        try
        {
            string sys = $"/sys/dev/block/{id}";
            if (File.Exists(Path.Combine(sys, "partition")))
            {
                var parentDev = Path.Combine(Path.GetFullPath(Path.Combine(ResolvedDir(sys), "..")), "dev");
                if (File.Exists(parentDev)) return File.ReadAllText(parentDev).Trim();
            }
        }
        catch (Exception) { }
        return id;
    }

    private static string ResolvedDir(string path)
    {
        var di = new DirectoryInfo(path);
        return di.ResolveLinkTarget(true)?.FullName ?? di.FullName;
    }

    private async Task DiskStatsLoopAsync(CancellationToken ct)
    {
        Dictionary<string, long> prevTicks = [];
        long prevTime = 0;
        var timer = new PeriodicTimer(_options.IoStatInterval);
        try
        {
            do
            {
                var devices = MapDevices(_options.DocRoot);
                var ticks = ReadDiskStats();
                long now = Stopwatch.GetTimestamp();
                if (prevTime != 0)
                {
                    double ms = Stopwatch.GetElapsedTime(prevTime, now).TotalMilliseconds;
                    var lines = new List<(int, string)>(devices.Count);
                    foreach (var (dev, id) in devices)
                    {
                        string util = "-";
                        if (id != null && ticks.TryGetValue(id, out long t) && prevTicks.TryGetValue(id, out long p) && ms > 0)
                            util = Math.Clamp((t - p) / ms * 100.0, 0, 100).ToString("0.00", CultureInfo.InvariantCulture);
                        lines.Add((dev, util));
                    }
                    Publish(lines);
                }
                prevTicks = ticks;
                prevTime = now;
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) { }
        catch (Exception ex) { Log.IoStatFailed(_logger, ex.Message); }
    }

    /// <summary>"major:minor" → milliseconds spent doing I/O (field 10 of /proc/diskstats).</summary>
    internal static Dictionary<string, long> ReadDiskStats()
    {
        var d = new Dictionary<string, long>();
        try
        {
            foreach (var line in File.ReadLines("/proc/diskstats"))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 13) continue;
                if (long.TryParse(f[12], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks))
                    d[$"{f[0]}:{f[1]}"] = ticks;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return d;
    }

    [GeneratedRegex(@"^\s*(\S+)\s.*?([\d.]+)\s*$")]
    private static partial Regex IoStatLine();

    private async Task CommandLoopAsync(string command, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var devices = MapDevices(_options.DocRoot);
            Process? p = null;
            try
            {
                p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                });
            }
            catch (Exception ex) { Log.IoStatFailed(_logger, ex.Message); }
            if (p == null)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false); } catch (OperationCanceledException) { }
                continue;
            }
            try
            {
                _ = p.StandardError.ReadToEndAsync(ct);
                var current = new Dictionary<string, string>();
                bool inReport = false;
                while (await p.StandardOutput.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
                {
                    var m = IoStatLine().Match(line);
                    if (m.Success)
                    {
                        string? id = DeviceIdOfName(m.Groups[1].Value);
                        if (id != null) current[id] = m.Groups[2].Value;
                        inReport = true;
                        continue;
                    }
                    if (!inReport) continue;
                    var lines = devices.Select(d => (d.Dev, d.DiskId != null && current.TryGetValue(d.DiskId, out var u) ? u : "-")).ToList();
                    Publish(lines);
                    current.Clear();
                    inReport = false;
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception ex) { Log.IoStatFailed(_logger, ex.Message); }
            finally
            {
                try { if (!p.HasExited) p.Kill(true); } catch (Exception) { }
                p.Dispose();
            }
            try { await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
    }

    private static readonly ConcurrentDictionary<string, string?> NameCache = new();

    /// <summary>iostat device name → "major:minor" (2.73 used the rdev of /dev/NAME).</summary>
    private static string? DeviceIdOfName(string name) => NameCache.GetOrAdd(name, static n =>
    {
        try
        {
            var f = $"/sys/class/block/{n.Replace('/', '!')}/dev";
            return File.Exists(f) ? File.ReadAllText(f).Trim() : null;
        }
        catch (Exception) { return null; }
    });

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        if (_loop != null)
        {
            try { await _loop.ConfigureAwait(false); } catch (Exception) { }
        }
        _cts.Dispose();
    }
}
