using System.Net;
using Microsoft.Extensions.Logging;
using MogileFS.Core.Model;
using MogileFS.Core.Protocol;
using MogileFS.Store;
using MogileFS.Tracker.Configuration;
using MogileFS.Tracker.Metadata;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Commands;

/// <summary>
/// Everything a query handler gets. One instance per connection, reused for each request of that
/// connection (requests of one connection run one at a time), so do not keep references to it or to
/// <see cref="Args"/> after the handler returns.
/// </summary>
public sealed class CommandContext
{
    internal CommandContext(TrackerRuntime runtime)
    {
        Runtime = runtime;
    }

    /// <summary>Tracker-wide services (store, caches, options, jobs, monitor, ...).</summary>
    public TrackerRuntime Runtime { get; }

    /// <summary>The lower-cased command name.</summary>
    public string Command { get; internal set; } = "";

    /// <summary>The decoded arguments (§3.1); callid is among them but the framework echoes it, not you.</summary>
    public RequestArgs Args { get; } = new();

    /// <summary>The reply under construction (pairs, or an error).</summary>
    public ReplyBuilder Reply { get; } = new();

    /// <summary>A key buffer for list_keys, reused across this connection's requests.</summary>
    internal KeyList KeyBuffer => _keyBuffer ??= new KeyList();
    private KeyList? _keyBuffer;

    /// <summary>The TCP peer address (IPv4-mapped addresses are unmapped).</summary>
    public IPAddress ClientIp { get; internal set; } = IPAddress.Loopback;

    /// <summary>Cancelled when the tracker stops (not when the client disconnects: side effects still happen, §2.4).</summary>
    public CancellationToken Cancellation { get; internal set; }

    public MetadataStore Store => Runtime.Store;
    public MetadataCache Metadata => Runtime.Metadata;

    /// <summary>The current metadata snapshot (immutable; take it once per request).</summary>
    public MetadataSnapshot Snapshot => Runtime.Metadata.Current;

    public TrackerOptions Options => Runtime.Options;
    public ILogger Logger => Runtime.QueryLogger;
    public TimeProvider Clock => Runtime.Clock;
    public MogileFS.Tracker.Storage.IStorageNodeClient StorageNodes => Runtime.StorageNodes;
    public DeviceObservations Observations => Runtime.Observations;

    /// <summary>The domain check of §5.3: no_domain / unreg_domain, else the domain.</summary>
    public DomainInfo RequireDomain()
    {
        var name = Args.Get("domain");
        if (string.IsNullOrEmpty(name)) throw new CommandException("no_domain");
        if (!Snapshot.TryGetDomain(name, out var d)) throw new CommandException("unreg_domain");
        return d;
    }

    /// <summary>§5.2: use the host's altip for this request?</summary>
    public bool UseAltIp(HostInfo host)
    {
        if (string.IsNullOrEmpty(host.AltIp) || string.IsNullOrEmpty(host.AltMask)) return false;
        if (Args.Get("zone") == "alt") return true;
        return NetMask.TryParse(host.AltMask, out var mask) && mask.Contains(ClientIp);
    }

    /// <summary>The IP of <paramref name="host"/> as this client should see it (hostip or altip, §5.2).</summary>
    public string HostIpFor(HostInfo host) => (UseAltIp(host) ? host.AltIp : host.Ip) ?? "";

    /// <summary>Read URL (http_get_port) of fid on device, per §6.4 and §5.2.</summary>
    public string ReadUrl(HostInfo host, int devid, long fid) => StoragePaths.Url(HostIpFor(host), host.ReadPort, devid, fid);

    /// <summary>Write URL (http_port) of fid on device.</summary>
    public string WriteUrl(HostInfo host, int devid, long fid) => StoragePaths.Url(HostIpFor(host), host.WritePort, devid, fid);

    /// <summary>Reload the metadata cache now (use after a write when the command is not flagged
    /// <see cref="CommandFlags.ChangesMetadata"/>).</summary>
    public ValueTask MetadataChangedAsync() => Runtime.Metadata.ReloadAsync(Cancellation);
}
