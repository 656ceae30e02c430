using System.Globalization;
using System.Text.RegularExpressions;
using MogileFS.Client;

namespace MogileFS.Tools.Mogadm;

/// <summary>
/// <c>mogadm check</c>: asks every tracker for hosts and devices, fetches <c>/</c> from every alive
/// host and <c>/dev&lt;N&gt;/usage</c> from every device that is not dead, and prints a table.
/// </summary>
internal static partial class CheckCommand
{
    [GeneratedRegex(@"\A\d+(\.\d+)?\z")]
    private static partial Regex Number();

    public static async Task<int> RunAsync(MogadmContext c)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        IReadOnlyList<HostInfo>? hosts = null;
        IReadOnlyList<DeviceInfo>? devices = null;
        var w = c.Out;
        w.Write("Checking trackers...\n");
        foreach (var t in c.Trackers)
        {
            w.Write($"  {t} ... ");
            await w.FlushAsync();
            try
            {
                using var admin = c.Admin(t);
                var h = await admin.GetHostsAsync(null, c.Cancel);
                var d = await admin.GetDevicesAsync(null, c.Cancel);
                hosts = h; devices = d;
                w.Write("OK\n");
            }
            catch (MogileFSException) { w.Write("REQUEST FAILURE (is the tracker up?)\n"); }
            catch (ArgumentException) { w.Write("INITIAL FAILURE (bad configuration?)\n"); }
        }
        if (hosts is null || devices is null) throw MogadmProgram.FailText("no_hosts");
        w.Write("\n");

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
        async Task<string?> Get(string url)
        {
            try
            {
                using var r = await http.GetAsync(url, c.Cancel);
                return r.IsSuccessStatusCode ? await r.Content.ReadAsStringAsync(c.Cancel) : null;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return null; }
        }

        w.Write("Checking hosts...\n");
        var urls = new List<(int HostId, string Url)>();
        foreach (var h in hosts.OrderBy(h => h.HostId))
        {
            w.Write($"  [{h.HostId,2}] {h.HostName} ... ");
            await w.FlushAsync();
            if (h.Status == "alive")
            {
                var url = $"http://{h.HostIp}:{h.HttpPort}/";
                if (await Get(url) != null) { w.Write("OK\n"); urls.Add((h.HostId, url)); }
                else w.Write($"REQUEST FAILURE FETCHING: {url}\n");
            }
            else w.Write($"skipping; status = {h.Status}\n");
        }
        if (urls.Count == 0) throw MogadmProgram.FailText("no_devices");
        w.Write("\n");

        w.Write("Checking devices...\n");
        w.Write($"  host device      {"size(G)",10} {"used(G)",10} {"free(G)",10} {"use% ",7}  {"ob state",7}   {"I/O%",4}\n");
        w.Write("  ---- ------------ ---------- ---------- ---------- ------ ---------- -----\n");
        double sumTotal = 0, sumUsed = 0, sumAvail = 0;
        foreach (var (hostId, url) in urls)
        {
            foreach (var dev in devices.Where(d => d.HostId == hostId).OrderBy(d => d.DevId))
            {
                var status = dev.Status.Length > 0 ? dev.Status : "??";
                if (status == "dead") continue;
                w.Write($"  [{hostId,2}] {"dev" + dev.DevId,-7}");
                var usageUrl = $"{url}dev{dev.DevId}/usage";
                var usage = await Get(usageUrl);
                if (usage is null) { w.Write($"REQUEST FAILURE FETCHING: {usageUrl}\n"); continue; }
                if (usage.Length < 1) { w.Write($"USAGE FILE BROKEN OR EMPTY: {usageUrl}\n"); continue; }
                var data = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var line in usage.Split('\n'))
                {
                    var m = Regex.Match(line.TrimEnd('\r'), @"^(.*?):\s+(.*)$");
                    if (m.Success) data[m.Groups[1].Value] = m.Groups[2].Value;
                }
                double Val(string k) => data.TryGetValue(k, out var v) && Number().IsMatch(v)
                    ? double.Parse(v, CultureInfo.InvariantCulture) : 0;
                var missing = new[] { "available", "device", "disk" }.FirstOrDefault(k => !data.TryGetValue(k, out var v) || v.Length == 0 || v == "0");
                if (missing != null) { w.Write($"MISSING FIELD ({missing}) FROM USAGE FILE: {usageUrl}\n"); continue; }
                double used = Val("used") / (1024.0 * 1024), total = Val("total") / (1024.0 * 1024);
                double avail = (double.TryParse(data["available"], NumberStyles.Float, CultureInfo.InvariantCulture, out var a) ? a : 0) / (1024.0 * 1024);
                double pct = total != 0 ? 100 - avail / total * 100 : 0;
                sumUsed += used; sumAvail += avail; sumTotal += total;
                var util = Number().IsMatch(dev.Utilization)
                    ? double.Parse(dev.Utilization, CultureInfo.InvariantCulture).ToString("F1", CultureInfo.InvariantCulture) : "N/A";
                var ob = dev.ObservedState.Length > 0 ? dev.ObservedState : "?";
                w.Write($"     {total,10:F3} {used,10:F3} {avail,10:F3} {pct,6:F2}%  {ob,-7} {util,5}\n");
            }
        }
        double totalPct = sumTotal > 0 ? 100 - sumAvail / sumTotal * 100 : 0;
        w.Write("  ---- ------------ ---------- ---------- ---------- ------\n");
        w.Write($"             total:{sumTotal,10:F3} {sumUsed,10:F3} {sumAvail,10:F3} {totalPct,6:F2}%\n");
        return c.Ok();
    }
}
