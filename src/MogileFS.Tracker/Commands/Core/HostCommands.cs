using MogileFS.Core.Model;
using MogileFS.Core.Protocol;
using MogileFS.Store;

namespace MogileFS.Tracker.Commands.Core;

/// <summary>get_hosts, create_host, update_host, delete_host (§7.24-7.27).</summary>
public static class HostCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("get_hosts", GetHosts);
        t.Add("create_host", ctx => CreateOrUpdateAsync(ctx, ctx.Args.IsTrue("update")), CommandFlags.WaitsForMonitor);
        t.Add("update_host", ctx => CreateOrUpdateAsync(ctx, true), CommandFlags.WaitsForMonitor);
        t.Add("delete_host", DeleteHostAsync, CommandFlags.WaitsForMonitor);
    }

    private static ValueTask GetHosts(CommandContext ctx)
    {
        var snap = ctx.Snapshot;
        bool filter = ctx.Args.Has("hostid");
        double want = ctx.Args.Num("hostid");
        var r = ctx.Reply;
        int n = 0;
        foreach (var h in snap.Hosts)
        {
            if (filter && h.Id != want) continue;
            n++;
            r.Add("host", n, "_hostid", h.Id);
            r.Add("host", n, "_status", h.StatusText);
            r.Add("host", n, "_hostname", h.Name);
            r.Add("host", n, "_hostip", h.Ip);
            r.Add("host", n, "_http_port", h.HttpPort?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            r.Add("host", n, "_http_get_port", h.HttpGetPort?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            r.Add("host", n, "_altip", h.AltIp);
            r.Add("host", n, "_altmask", h.AltMask);
        }
        r.Add("hosts", n);
        return ValueTask.CompletedTask;
    }

    private static async ValueTask CreateOrUpdateAsync(CommandContext ctx, bool update)
    {
        var a = ctx.Args;
        var name = a.Get("host");
        if (!Perl.IsTrue(name)) throw new CommandException("no_host");
        var existing = await Lookups.HostAsync(ctx, name!).ConfigureAwait(false);
        var status = a.Get("status");
        if (update)
        {
            if (existing is null) throw new CommandException("host_not_found");
        }
        else
        {
            if (existing is not null) throw new CommandException("host_exists");
            if (!a.IsTrue("ip")) throw new CommandException("no_ip");
            if (!a.IsTrue("port")) throw new CommandException("no_port");
            if (!Perl.IsTrue(status)) status = "down";
        }
        if (Perl.IsTrue(status) && !States.TryParseHost(status, out _)) throw new CommandException("unknown_state");

        var u = new HostUpdate(
            Status: Perl.IsTrue(status) ? status : null,
            Ip: a.Get("ip"),
            Port: a.Get("port"),
            GetPort: a.Get("getport"),
            AltIp: a.Get("altip"),
            AltMask: a.Get("altmask"));
        int hostid;
        if (update)
        {
            hostid = existing!.Id;
            await ctx.Store.UpdateHostAsync(hostid, u, ctx.Cancellation).ConfigureAwait(false);
        }
        else
        {
            try
            {
                hostid = await ctx.Store.CreateHostAsync(name!, a.Get("ip"), u, ctx.Cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (ctx.Store.IsDuplicateKey(e) && e.Message.Contains("hostname", StringComparison.OrdinalIgnoreCase))
            {
                throw new CommandException("host_exists"); // created concurrently through another connection/tracker
            }
        }
        ctx.Reply.Add("hostid", hostid).Add("hostname", name);
    }

    private static async ValueTask DeleteHostAsync(CommandContext ctx)
    {
        var name = ctx.Args.GetOrEmpty("host");
        var host = name.Length == 0 ? null : await Lookups.HostAsync(ctx, name).ConfigureAwait(false);
        if (host is null) throw new CommandException("unknown_host");
        if (await ctx.Store.HostHasDevicesAsync(host.Id, ctx.Cancellation).ConfigureAwait(false)) throw new CommandException("host_not_empty");
        await ctx.Store.DeleteHostAsync(host.Id, ctx.Cancellation).ConfigureAwait(false);
    }
}
