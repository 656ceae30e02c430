using System.Globalization;
using MogileFS.Core.Model;
using MogileFS.Core.Protocol;
using MogileFS.Tracker.Metadata;

namespace MogileFS.Tracker.Dashboard;

/// <summary>
/// An operator action the dashboard offers, each one a mogadm command: mark a device
/// (<c>mogadm device mark</c> = set_state), start or stop fsck (<c>mogadm fsck start|stop</c>), change a
/// class's mindevcount (<c>mogadm class modify --mindevcount</c> = update_class). Parsed from the
/// confirm page's query or the POSTed form, checked against the current metadata, and described in
/// words for the confirm step.
/// </summary>
internal sealed record DashboardAction(string Op, string Command, (string Name, string Value)[] Args, string Description, string? Warning)
{
    public static readonly string[] DeviceStates = ["alive", "down", "readonly", "drain", "dead"];

    /// <summary>The canonical text the CSRF token is bound to.</summary>
    public string Canonical => Op + "?" + string.Join("&", Args.Select(a => a.Name + "=" + Uri.EscapeDataString(a.Value)));

    /// <summary>Parses and validates; on failure returns null and a message for the operator.</summary>
    public static DashboardAction? Parse(Func<string, string?> get, MetadataSnapshot snap, out string error)
    {
        error = "";
        switch (get("op"))
        {
            case "device_state":
            {
                if (!int.TryParse(get("devid"), NumberStyles.None, CultureInfo.InvariantCulture, out int devid) || !snap.TryGetDevice(devid, out var dev))
                {
                    error = "No such device.";
                    return null;
                }
                var state = get("state") ?? "";
                if (!DeviceStates.Contains(state))
                {
                    error = "The state must be one of " + string.Join(", ", DeviceStates) + ".";
                    return null;
                }
                if (!snap.TryGetHost(dev.HostId, out var host))
                {
                    error = "The device's host is not registered.";
                    return null;
                }
                string? warn = state switch
                {
                    "dead" => "Dead is permanent: the tracker forgets every copy on this device and re-replicates its files from other copies. A dead device can never be marked alive again.",
                    "drain" => "Drain moves every file off this device to other devices; it stays readable meanwhile.",
                    "down" => "Down stops all reads and writes on this device; files with no other copy become unreadable until it is back.",
                    _ => null,
                };
                return new DashboardAction("device_state", "set_state",
                    [("host", host.Name), ("device", devid.ToString(CultureInfo.InvariantCulture)), ("state", state)],
                    $"Mark device dev{devid} on host {ByteString.ToDisplayText(host.Name)} (now {dev.StatusText}) as {state}.", warn);
            }
            case "fsck_start":
                return new DashboardAction("fsck_start", "fsck_start", [], "Start (or resume) the file system check (fsck).",
                    "fsck reads every file's copies from the storage nodes; it adds load to them until it finishes.");
            case "fsck_stop":
                return new DashboardAction("fsck_stop", "fsck_stop", [], "Stop the running file system check (fsck). It can be resumed later.", null);
            case "class_mindevcount":
            {
                var domain = get("domain") is { } dt ? ByteString.FromText(dt) : "";
                var klass = get("class") is { } ct ? ByteString.FromText(ct) : "";
                if (!snap.TryGetDomain(domain, out var d))
                {
                    error = "No such domain.";
                    return null;
                }
                if (!snap.TryGetClass(d.Id, klass, out var c))
                {
                    error = "No such class in that domain.";
                    return null;
                }
                if (!int.TryParse(get("mindevcount"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n is < 1 or > 255)
                {
                    error = "mindevcount must be a whole number from 1 to 255.";
                    return null;
                }
                string? warn = n > c.MinDevCount
                    ? "Raising it makes the tracker copy every file of this class until each has that many copies."
                    : n < c.MinDevCount ? "Lowering it does not delete existing copies; new files get fewer." : null;
                return new DashboardAction("class_mindevcount", "update_class",
                    [("domain", d.Name), ("class", c.Name), ("mindevcount", n.ToString(CultureInfo.InvariantCulture))],
                    $"Change the mindevcount of class {ByteString.ToDisplayText(c.Name)} in domain {ByteString.ToDisplayText(d.Name)} from {c.MinDevCount} to {n}.", warn);
            }
            default:
                error = "Unknown action.";
                return null;
        }
    }

    /// <summary>Form fields that reproduce this action (hidden inputs of the confirm page), as text.</summary>
    public IEnumerable<(string Name, string Value)> FormFields()
    {
        yield return ("op", Op);
        switch (Op)
        {
            case "device_state":
                yield return ("devid", Args[1].Value);
                yield return ("state", Args[2].Value);
                break;
            case "class_mindevcount":
                yield return ("domain", ByteString.ToDisplayText(Args[0].Value));
                yield return ("class", ByteString.ToDisplayText(Args[1].Value));
                yield return ("mindevcount", Args[2].Value);
                break;
        }
    }
}
