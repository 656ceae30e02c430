using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Mogadm;

/// <summary><c>mogadm device list|summary|add|mark|modify|next</c>.</summary>
internal static class DeviceCommands
{
    public static async Task<int> RunAsync(MogadmContext c)
    {
        using var admin = c.Admin();
        switch (c.Verb)
        {
            case "add":
            {
                try { await admin.GetHostsAsync(null, c.Cancel); }
                catch (MogileFSException e) { throw MogadmProgram.FailText("no_hosts", e); }
                var devid = c.Arg("devid") ?? "";
                if (devid.Length == 0 || !devid.All(char.IsAsciiDigit) || !int.TryParse(devid, out var id))
                    throw c.HelpDie("devid should be numeric");
                var state = c.Arg("status") is { Length: > 0 } s ? s : "alive";
                try { await admin.CreateDeviceAsync(c.Arg("hostname")!, id, state, c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail("Error adding device: " + e.Message); }
                return c.Ok("Device added.");
            }
            case "mark":
            {
                await WarnOnDrainAsync(c, admin);
                try { await admin.SetDeviceStateAsync(c.Arg("hostname")!, DevId(c), c.Arg("status")!, c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail("Error updating device: " + e.Message); }
                return c.Ok("Device updated.");
            }
            case "modify":
            {
                await WarnOnDrainAsync(c, admin);
                try
                {
                    // As MogileFS::Admin->update_device: only values that are set and non-zero are sent.
                    if (c.Arg("status") is { Length: > 0 } st && st != "0")
                        await admin.SetDeviceStateAsync(c.Arg("hostname")!, DevId(c), st, c.Cancel);
                    if (c.Arg("weight") is { } w && int.TryParse(w, out var weight) && weight != 0)
                        await admin.SetDeviceWeightAsync(c.Arg("hostname")!, DevId(c), weight, c.Cancel);
                }
                catch (MogileFSException e) { throw MogadmContext.Fail("Error updating device: " + e.Message); }
                return c.Ok("Device updated.");
            }
            case "list":
            case "summary":
            {
                IReadOnlyList<HostInfo> hosts;
                IReadOnlyList<DeviceInfo> devs;
                try { hosts = await admin.GetHostsAsync(null, c.Cancel); }
                catch (MogileFSException e) { throw MogadmProgram.FailText("no_hosts", e); }
                try { devs = await admin.GetDevicesAsync(null, c.Cancel); }
                catch (MogileFSException e) { throw MogadmProgram.FailText("no_devices", e); }
                var hostname = c.Arg("hostname");
                if (c.Verb == "list") List(c, hosts, devs, hostname);
                else Summary(c, hosts, devs, hostname);
                return c.Ok();
            }
            case "next":
            {
                IReadOnlyList<DeviceInfo> devs;
                try { devs = await admin.GetDevicesAsync(null, c.Cancel); }
                catch (MogileFSException e) { throw MogadmProgram.FailText("no_devices", e); }
                if (devs.Count == 0) throw MogadmProgram.FailText("no_devices");
                c.Out.Write($"{devs.Max(d => d.DevId) + 1}\n");
                return c.Ok();
            }
        }
        throw new UsageException(MogadmUsage.TopUsage());
    }

    private static int DevId(MogadmContext c) =>
        int.TryParse(c.Arg("devid"), out var d) ? d : throw c.HelpDie("devid should be numeric");

    private static async Task WarnOnDrainAsync(MogadmContext c, MogileFSAdmin admin)
    {
        if (c.Arg("status") != "drain") return;
        string? moves = null;
        try { moves = await admin.GetServerSettingAsync("drain_moves_files", c.Cancel); }
        catch (MogileFSException) { } // the note below is then the safe one
        if (moves == "1")
            c.Out.Write("***NOTE***: drain_moves_files is on: the files of this device are copied elsewhere and then\n" +
                        "removed from it ('mogadm device list' shows it emptying).\n");
        else
            c.Out.Write("***NOTE***: a 'drain' device takes no new files but keeps the ones it has. To move them\n" +
                        "off, run 'mogadm settings set drain_moves_files 1' once (see docs/fsck-rebalance.md).\n");
    }

    private static void List(MogadmContext c, IReadOnlyList<HostInfo> hosts, IReadOnlyList<DeviceInfo> devs, string? hostname)
    {
        bool all = c.Arg("all") != null;
        foreach (var h in MogadmProgram.PerlStringSort(hosts, h => h.HostId))
        {
            if (hostname != null && hostname != h.HostName) continue;
            c.Out.Write($"{h.HostName} [{h.HostId}]: {h.Status}\n");
            c.Out.Write($"{"",7}  {"",-7} {"used(G)",10} {"free(G)",10} {"total(G)",10} {"weight(%)",10}\n");
            foreach (var d in MogadmProgram.PerlStringSort(devs.Where(d => d.HostId == h.HostId), d => d.DevId))
            {
                if (d.Status == "dead" && !all) continue;
                double total = d.MbTotal / 1024.0, used = d.MbUsed / 1024.0, free = total - used;
                c.Out.Write($"{"dev" + d.DevId,7}: {d.Status,7} {used,10:F3} {free,10:F3} {total,10:F3} {(uint)Math.Max(0, d.Weight),10}\n");
            }
            c.Out.Write("\n");
        }
    }

    private static void Summary(MogadmContext c, IReadOnlyList<HostInfo> hosts, IReadOnlyList<DeviceInfo> devs, string? hostname)
    {
        var show = (c.Arg("status") is { Length: > 0 } s ? s : "alive,readonly,drain").Split(',').ToHashSet();
        c.Out.Write($"{"Hostname",-15} {"HostID",6} {"Status",7}  {"used(G)",8} {"free(G)",8} {"total(G)",8} {"%Used",8}\n");
        foreach (var h in MogadmProgram.PerlStringSort(hosts, h => h.HostId))
        {
            if (hostname != null && hostname != h.HostName) continue;
            double total = 0, used = 0;
            foreach (var d in devs.Where(d => d.HostId == h.HostId && show.Contains(d.Status)))
            {
                total += d.MbTotal / 1024.0;
                used += d.MbUsed / 1024.0;
            }
            double free = total - used;
            c.Out.Write($"{h.HostName,-15} [{h.HostId,4}]: {h.Status,6}");
            c.Out.Write($"  {used,8:F3} {free,8:F3} {total,8:F3} ");
            if (total != 0) c.Out.Write($"{100 * used / total,8:F2}");
            c.Out.Write("\n");
        }
    }
}
