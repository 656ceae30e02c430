using System.Globalization;
using MogileFS.Core.Model;
using MogileFS.Core.Protocol;

namespace MogileFS.Tracker.Commands.Core;

/// <summary>get_devices, create_device, set_state, set_weight (§7.28-7.31).</summary>
public static class DeviceCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("get_devices", GetDevices);
        t.Add("create_device", CreateDeviceAsync, CommandFlags.WaitsForMonitor);
        t.Add("set_state", SetStateAsync, CommandFlags.WaitsForMonitor);
        t.Add("set_weight", SetWeightAsync, CommandFlags.WaitsForMonitor);
    }

    private static string? Num(long? v) => v?.ToString(CultureInfo.InvariantCulture);

    private static ValueTask GetDevices(CommandContext ctx)
    {
        var snap = ctx.Snapshot;
        bool filter = ctx.Args.Has("devid");
        double want = ctx.Args.Num("devid");
        var r = ctx.Reply;
        int n = 0;
        foreach (var d in snap.Devices)
        {
            if (filter && d.Id != want) continue;
            n++;
            var obs = ctx.Observations.Get(d.Id);
            r.Add("dev", n, "_devid", d.Id);
            r.Add("dev", n, "_hostid", d.HostId);
            r.Add("dev", n, "_status", d.StatusText);
            r.Add("dev", n, "_weight", Num(d.Weight));
            r.Add("dev", n, "_mb_total", Num(d.MbTotal));
            r.Add("dev", n, "_mb_used", Num(d.MbUsed));
            r.Add("dev", n, "_mb_asof", Num(d.MbAsOf));
            r.Add("dev", n, "_mb_free", Num(d.MbFree));
            r.Add("dev", n, "_observed_state", obs?.State.ToWire());
            r.Add("dev", n, "_utilization", obs?.Utilization);
            r.Add("dev", n, "_reject_bad_md5", obs?.RejectBadMd5 is { } b ? (b ? "1" : "0") : null);
        }
        r.Add("devices", n);
        return ValueTask.CompletedTask;
    }

    private static async ValueTask CreateDeviceAsync(CommandContext ctx)
    {
        var a = ctx.Args;
        var stateText = a.Get("state");
        var state = DeviceState.Alive;
        if (Perl.IsTrue(stateText) && !States.TryParseDevice(stateText, out state)) throw new CommandException("invalid_state");
        var devidText = a.Get("devid");
        if (!Perl.IsTrue(devidText) || !Perl.IsAllDigits(devidText)) throw new CommandException("invalid_devid");
        if (!int.TryParse(devidText, NumberStyles.None, CultureInfo.InvariantCulture, out var devid)) throw new CommandException("invalid_devid");

        HostInfo? host;
        var hostidText = a.Get("hostid");
        var hostname = a.Get("hostname");
        if (Perl.IsTrue(hostidText) && Perl.IsAllDigits(hostidText))
        {
            host = int.TryParse(hostidText, NumberStyles.None, CultureInfo.InvariantCulture, out var hid)
                ? await Lookups.HostAsync(ctx, hid).ConfigureAwait(false) : null;
            if (host is null) throw new CommandException("unknown_hostid");
        }
        else if (Perl.IsTrue(hostname))
        {
            host = await Lookups.HostAsync(ctx, hostname!).ConfigureAwait(false) ?? throw new CommandException("unknown_host");
        }
        else throw new CommandException("bad_args", "No hostid/hostname parameter");

        try
        {
            await ctx.Store.CreateDeviceAsync(devid, host.Id, state, ctx.Cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (ctx.Store.IsDuplicateKey(e))
        {
            throw new CommandException("existing_devid");
        }
    }

    /// <summary>Common checks of set_state / set_weight after their own bad_params test.</summary>
    private static async ValueTask<DeviceInfo> DeviceOnHostAsync(CommandContext ctx, string hostName, double devid)
    {
        var dev = devid is >= 0 and <= int.MaxValue && devid == Math.Truncate(devid)
            ? await Lookups.DeviceAsync(ctx, (int)devid).ConfigureAwait(false) : null;
        if (dev is null) throw new CommandException("no_device");
        var host = await Lookups.HostAsync(ctx, hostName).ConfigureAwait(false);
        if (host is null || host.Id != dev.HostId) throw new CommandException("host_mismatch");
        return dev;
    }

    private static async ValueTask SetStateAsync(CommandContext ctx)
    {
        var a = ctx.Args;
        var host = a.Get("host");
        double devid = a.Num("device");
        if (!Perl.IsTrue(host) || devid == 0 || !States.TryParseDevice(a.Get("state"), out var state))
            throw new CommandException("bad_params");
        var dev = await DeviceOnHostAsync(ctx, host!, devid).ConfigureAwait(false);
        if (dev.Status == DeviceState.Dead && state == DeviceState.Alive) throw new CommandException("state_too_high");
        await ctx.Store.SetDeviceStateAsync(dev.Id, state, ctx.Cancellation).ConfigureAwait(false);
    }

    private static async ValueTask SetWeightAsync(CommandContext ctx)
    {
        var a = ctx.Args;
        var host = a.Get("host");
        double devid = a.Num("device");
        double weight = a.Num("weight");
        if (!Perl.IsTrue(host) || devid == 0 || weight < 0 || double.IsNaN(weight)) throw new CommandException("bad_params");
        var dev = await DeviceOnHostAsync(ctx, host!, devid).ConfigureAwait(false);
        await ctx.Store.SetDeviceWeightAsync(dev.Id, Lookups.ToInt(weight), ctx.Cancellation).ConfigureAwait(false);
    }
}
