using System.Net;
using System.Net.Sockets;
using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Mogadm;

/// <summary><c>mogadm host list|add|modify|mark|delete</c>.</summary>
internal static class HostCommands
{
    public static async Task<int> RunAsync(MogadmContext c)
    {
        using var admin = c.Admin();
        switch (c.Verb)
        {
            case "list":
            {
                IReadOnlyList<HostInfo> hosts;
                try { hosts = await admin.GetHostsAsync(null, c.Cancel); }
                catch (MogileFSException e) { throw MogadmProgram.FailText("no_hosts", e); }
                foreach (var h in MogadmProgram.PerlStringSort(hosts, h => h.HostId))
                {
                    c.Out.Write($"{h.HostName} [{h.HostId}]: {h.Status}\n");
                    (string, string?)[] data =
                    [
                        ("IP", $"{h.HostIp}:{h.HttpPort}"), ("Alt IP", h.AltIp), ("Alt Mask", h.AltMask),
                        ("GET Port", h.HttpGetPort is { } gp and not 0 ? gp.ToString() : null),
                    ];
                    foreach (var (k, v) in data)
                        if (!string.IsNullOrEmpty(v) && v != "0") c.Out.Write($"  {k + ":",-10}{v}\n");
                    c.Out.Write("\n");
                }
                return c.Ok();
            }
            case "add":
            {
                IReadOnlyList<HostInfo> hosts;
                try { hosts = await admin.GetHostsAsync(null, c.Cancel); }
                catch (MogileFSException e) { throw MogadmProgram.FailText("no_hosts", e); }
                var name = c.Arg("hostname");
                if (string.IsNullOrEmpty(name)) throw c.HelpDie("No hostname");
                if (hosts.Any(h => h.HostName == name)) throw MogadmContext.Fail("Host already exists.");
                var ip = c.Arg("ip");
                if (string.IsNullOrEmpty(ip))
                {
                    try
                    {
                        var addrs = await Dns.GetHostAddressesAsync(name, AddressFamily.InterNetwork, c.Cancel);
                        ip = addrs.FirstOrDefault()?.ToString();
                    }
                    catch (SocketException) { ip = null; }
                    if (ip is null) throw MogadmProgram.FailText("host_add_no_ip");
                }
                var settings = Settings(c);
                settings.Ip = ip;
                settings.Port ??= 7500;
                if (string.IsNullOrEmpty(settings.Status)) settings.Status = "down";
                try { await admin.CreateHostAsync(name, settings, c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail("Failure creating host: " + e.Message); }
                return c.Ok("Host has been created.");
            }
            case "modify":
            {
                try { await admin.UpdateHostAsync(c.Arg("hostname")!, Settings(c), c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail("Failure modifying host: " + e.Message); }
                return c.Ok("Host has been modified.");
            }
            case "mark":
            {
                try { await admin.UpdateHostAsync(c.Arg("hostname")!, new HostSettings { Status = c.Arg("status") }, c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail("Failure updating host status: " + e.Message); }
                return c.Ok("Host status updated.");
            }
            case "delete":
            {
                try { await admin.DeleteHostAsync(c.Arg("hostname")!, c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail("Failure deleting host: " + e.Message); }
                return c.Ok("Host has been deleted.");
            }
        }
        throw new UsageException(MogadmUsage.TopUsage());
    }

    private static HostSettings Settings(MogadmContext c) => new()
    {
        Ip = c.Arg("ip"),
        Port = c.Arg("port") is { } p ? int.Parse(p) : null,
        GetPort = c.Arg("getport") is { } g ? int.Parse(g) : null,
        AltIp = c.Arg("altip"),
        AltMask = c.Arg("altmask"),
        Status = c.Arg("status"),
    };
}
