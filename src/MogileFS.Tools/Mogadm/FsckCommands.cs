using System.Globalization;
using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Mogadm;

/// <summary><c>mogadm fsck start|stop|reset|clearlog|status|printlog|taillog</c>.</summary>
internal static class FsckCommands
{
    public static async Task<int> RunAsync(MogadmContext c)
    {
        using var admin = c.Admin();
        try
        {
            switch (c.Verb)
            {
                case "start": await admin.FsckStartAsync(c.Cancel); return c.Ok("fsck started");
                case "stop": await admin.FsckStopAsync(c.Cancel); return c.Ok("fsck stopped");
                case "reset":
                    await admin.FsckResetAsync(c.Arg("policy-only") != null,
                        long.TryParse(c.Arg("startpos"), out var sp) && sp != 0 ? sp : null, c.Cancel);
                    return c.Ok("fsck stopped"); // sic: 2.30 prints this after a reset
                case "clearlog": await admin.FsckClearLogAsync(c.Cancel); return c.Ok("fsck log cleared");
                case "printlog": return await LogDump(c, admin, 0, follow: false);
                case "taillog":
                {
                    IReadOnlyDictionary<string, string> st;
                    try { st = await admin.FsckStatusAsync(c.Cancel); }
                    catch (MogileFSException e) { throw MogadmContext.Fail($"can't get fsck status ({e.Message})"); }
                    long max = long.TryParse(st.GetValueOrDefault("max_logid"), out var m) ? m : 0;
                    return await LogDump(c, admin, max - 20, follow: true);
                }
                case "status": return await Status(c, admin);
            }
        }
        catch (MogileFSException e) { throw MogadmContext.Fail(e.Message); }
        throw new UsageException(MogadmUsage.TopUsage());
    }

    private static async Task<int> LogDump(MogadmContext c, MogileFSAdmin admin, long after, bool follow)
    {
        const string Fmt = "{0,-20} {1,5} {2,13} {3,10}\n";
        c.Out.Write(string.Format(CultureInfo.InvariantCulture, Fmt, "unixtime", "event", "fid", "devid"));
        while (true)
        {
            var rows = await admin.FsckLogRowsAsync(after, c.Cancel);
            if (rows.Count == 0)
            {
                if (!follow) return 0;
                await c.Out.FlushAsync();
                await Task.Delay(TimeSpan.FromSeconds(5), c.Cancel);
                continue;
            }
            foreach (var r in rows)
            {
                c.Out.Write(string.Format(CultureInfo.InvariantCulture, Fmt, r.UTime, r.EvCode, r.Fid,
                    r.DevId is { } d and not 0 ? d.ToString(CultureInfo.InvariantCulture) : "-"));
                after = r.LogId;
            }
        }
    }

    private static async Task<int> Status(MogadmContext c, MogileFSAdmin admin)
    {
        IReadOnlyDictionary<string, string> status;
        try { status = await admin.FsckStatusAsync(c.Cancel); }
        catch (MogileFSException e) { throw MogadmContext.Fail($"can't get fsck status ({e.Message})"); }
        // Fields mogadm reads are "known"; every other pair (num_<CODE> counters, ...) is listed after.
        var known = new HashSet<string>(StringComparer.Ordinal) { "current_time", "max_logid" };
        string St(string k) { known.Add(k); return status.GetValueOrDefault(k) ?? ""; }
        double Num(string k) => double.TryParse(St(k), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;
        bool Truthy(string s) => s.Length > 0 && s != "0";
        void Line(string k, string v) => c.Out.Write($"{k,11}: {v}\n");

        c.Out.Write("\n");
        var host = St("host");
        Line("Running", Truthy(St("running")) ? $"Yes (on {host})" : "No");
        double endFid = Num("end_fid");
        double ratio = endFid != 0 ? Num("max_fid_checked") / endFid : 0;
        Line("Status", $"{St("max_fid_checked")} / {St("end_fid")} ({(100 * ratio).ToString("0.00", CultureInfo.InvariantCulture)}%)");
        double elapsed = 0;
        if (Truthy(St("start_time")))
        {
            double stop = Num("stop_time");
            elapsed = (stop != 0 ? stop : Num("current_time")) - Num("start_time");
        }
        static string AsTime(double s) => s < 60 ? $"{(long)s}s" : $"{(long)(s / 60)}m";
        double perSec = elapsed != 0 ? Num("max_fid_checked") / elapsed : 0;
        var perSecText = (long)Math.Round(perSec, 1, MidpointRounding.ToEven);
        Line("Time", $"{AsTime(elapsed)} ({perSecText} fids/s; {AsTime(perSec != 0 ? (Num("end_fid") - Num("max_fid_checked")) / perSec : 0)} remain)");
        Line("Check Type", Truthy(St("policy_only")) ? "Repl policy only (skip file checks)" : "Normal (check policy + files)");
        var unknown = status.Keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            c.Out.Write("\n");
            foreach (var k in unknown) Line($"[{k}]", status[k]);
        }
        c.Out.Write("\n");
        return 0;
    }
}
