using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MogileFS.StorageNode.IoStat;
using Microsoft.Extensions.Logging;

namespace MogileFS.StorageNode.Usage;

/// <summary>
/// Writes <c>&lt;docroot&gt;/devN/usage</c> for every device directory (storage-node.md §4):
/// a round at start and then every <see cref="StorageNodeOptions.UsageInterval"/>. Figures
/// come from <c>df -P -l -k</c> like 2.73 (so the <c>device</c> value, trailing spaces
/// included, is the same), with statvfs figures as a fallback if df is unavailable.
/// The file is rewritten in place so readers never see it missing.
/// </summary>
internal sealed partial class UsageWriter : IAsyncDisposable
{
    private readonly StorageNodeOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _cts = new();
    private Task? _loop;

    public UsageWriter(StorageNodeOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    /// <summary>Where each round's figures also go (disk free per device on /metrics).</summary>
    public Metrics.StorageNodeMetrics? Metrics { get; init; }

    public void Start() => _loop = Task.Run(() => LoopAsync(_cts.Token));

    private async Task LoopAsync(CancellationToken ct)
    {
        try
        {
            using var timer = new PeriodicTimer(_options.UsageInterval);
            do
            {
                await RunRoundAsync(ct).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>One round over all devN directories present now.</summary>
    public async Task RunRoundAsync(CancellationToken ct = default)
    {
        var devices = IoStatMonitor.MapDevices(_options.DocRoot);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var (dev, _) in devices)
        {
            string path = Path.Combine(_options.DocRoot, "dev" + dev.ToString(CultureInfo.InvariantCulture));
            try
            {
                var u = await DfAsync(path, dev, ct).ConfigureAwait(false) ?? StatFs(path);
                if (u == null) continue; // 2.73: no line from df (e.g. a network file system) → no file
                if (_options.UsageViaDu)
                {
                    long? du = await DuAsync(path, ct).ConfigureAwait(false);
                    if (du != null) u = u with { Used = du.Value };
                }
                WriteInPlace(Path.Combine(u.Disk, "usage"), Format(u, now));
                Metrics?.SetDeviceUsage(dev, u.Total * 1024, u.Used * 1024, u.Available * 1024);
            }
            catch (OperationCanceledException) { throw; }
            catch (Exception ex)
            {
                Log.UsageFailed(_logger, path, ex.Message);
            }
        }
    }

    internal sealed record UsageInfo(string Device, long Total, long Used, long Available, string Use, string Disk);

    /// <summary>The seven keys, sorted, "key: value\n".</summary>
    internal static string Format(UsageInfo u, long time)
    {
        var sb = new StringBuilder();
        sb.Append("available: ").Append(u.Available.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("device: ").Append(u.Device).Append('\n');
        sb.Append("disk: ").Append(u.Disk).Append('\n');
        sb.Append("time: ").Append(time.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("total: ").Append(u.Total.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("use: ").Append(u.Use).Append('\n');
        sb.Append("used: ").Append(u.Used.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return sb.ToString();
    }

    [GeneratedRegex(@"^(.+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.+)\s+(.+)$")]
    private static partial Regex DfLine();

    [GeneratedRegex(@"dev(\d+)/?$")]
    private static partial Regex DevSuffix();

    /// <summary>Parses df -P -l -k output as 2.73 did (greedy device capture, total = used + available).</summary>
    internal static UsageInfo? ParseDf(string output, string devPath, int devNum)
    {
        var lines = output.Split('\n');
        bool halve = lines.Length > 0 && lines[0].Contains("512-blocks", StringComparison.Ordinal);
        UsageInfo? last = null;
        foreach (var raw in lines.Skip(1))
        {
            var line = raw.TrimEnd('\r');
            var m = DfLine().Match(line);
            if (!m.Success) continue;
            long used = long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            long avail = long.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture);
            if (halve) { used /= 2; avail /= 2; }
            string mount = m.Groups[6].Value;
            var dm = DevSuffix().Match(mount);
            string disk = dm.Success && dm.Groups[1].Value == devNum.ToString(CultureInfo.InvariantCulture) ? mount : devPath;
            last = new UsageInfo(m.Groups[1].Value, used + avail, used, avail, m.Groups[5].Value, disk);
        }
        return last;
    }

    private async Task<UsageInfo?> DfAsync(string path, int dev, CancellationToken ct)
    {
        string? output = await RunAsync("df", ["-P", "-l", "-k", path], ct).ConfigureAwait(false);
        if (output == null) return null;
        return ParseDf(output, path, dev);
    }

    private static async Task<long?> DuAsync(string path, CancellationToken ct)
    {
        string? output = await RunAsync("du", ["-k", "-c", "-s", path], ct).ConfigureAwait(false);
        if (output == null) return null;
        var m = Regex.Match(output, @"^(\d+)");
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    private static async Task<string?> RunAsync(string file, string[] args, CancellationToken ct)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (p == null) return null;
            var stderr = p.StandardError.ReadToEndAsync(ct);
            string output = await p.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
            await p.WaitForExitAsync(ct).ConfigureAwait(false);
            await stderr.ConfigureAwait(false);
            return output;
        }
        catch (OperationCanceledException) { throw; }
        catch (Exception) { return null; }
    }

    /// <summary>Fallback without df: statvfs through DriveInfo, device from /proc/self/mounts.</summary>
    private static UsageInfo? StatFs(string path)
    {
        try
        {
            var di = new DriveInfo(path);
            long total = di.TotalSize / 1024, free = di.TotalFreeSpace / 1024, avail = di.AvailableFreeSpace / 1024;
            long used = total - free;
            long pct = used + avail == 0 ? 0 : (long)Math.Ceiling(used * 100.0 / (used + avail));
            string mount = di.RootDirectory.FullName.TrimEnd('/');
            string device = "none";
            foreach (var l in File.ReadLines("/proc/self/mounts"))
            {
                var f = l.Split(' ');
                if (f.Length > 1 && f[1] == (mount.Length == 0 ? "/" : mount)) device = f[0];
            }
            string disk = Regex.IsMatch(mount, @"dev\d+$") ? mount : path;
            return new UsageInfo(device, used + avail, used, avail, pct.ToString(CultureInfo.InvariantCulture) + "%", disk);
        }
        catch (Exception) { return null; }
    }

    /// <summary>Rewrite without ever removing the file: overwrite, pad with LF to the old
    /// length, then truncate (as 2.73). Mode 0666 minus umask when created.</summary>
    internal static void WriteInPlace(string path, string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var fso = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
        };
        if (!OperatingSystem.IsWindows())
            fso.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead |
                                 UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        using var fs = new FileStream(path, fso);
        long old = fs.Length;
        fs.Write(bytes);
        if (old > bytes.Length)
        {
            var pad = new byte[old - bytes.Length];
            Array.Fill(pad, (byte)'\n');
            fs.Write(pad);
        }
        fs.Flush();
        fs.SetLength(bytes.Length);
    }

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
