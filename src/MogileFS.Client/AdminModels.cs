namespace MogileFS.Client;

/// <summary>A class of a domain as <c>get_domains</c> reports it.</summary>
/// <param name="Name">Class name (<c>default</c> always exists).</param>
/// <param name="MinDevCount">Minimum number of copies.</param>
/// <param name="ReplPolicy">Replication policy string (<c>MultipleHosts()</c> when unset).</param>
/// <param name="HashType">Hash type: <c>MD5</c>, <c>SHA-1</c> or <c>NONE</c>.</param>
public sealed record ClassInfo(string Name, int MinDevCount, string ReplPolicy, string HashType);

/// <summary>A domain with its classes.</summary>
/// <param name="Name">Domain name.</param>
/// <param name="Classes">Its classes, by name.</param>
public sealed record DomainInfo(string Name, IReadOnlyDictionary<string, ClassInfo> Classes);

/// <summary>A storage host (<c>get_hosts</c>).</summary>
/// <param name="HostId">Host id.</param>
/// <param name="HostName">Host name.</param>
/// <param name="Status"><c>alive</c>, <c>down</c>, <c>readonly</c> or <c>dead</c>.</param>
/// <param name="HostIp">IP address.</param>
/// <param name="HttpPort">mogstored HTTP port.</param>
/// <param name="HttpGetPort">Read-only port, when set.</param>
/// <param name="AltIp">Alternate IP, when set.</param>
/// <param name="AltMask">Network mask that selects the alternate IP, when set.</param>
public sealed record HostInfo(int HostId, string HostName, string Status, string HostIp, int HttpPort,
    int? HttpGetPort, string? AltIp, string? AltMask);

/// <summary>A device (<c>get_devices</c>).</summary>
/// <param name="DevId">Device id.</param>
/// <param name="HostId">Host id.</param>
/// <param name="Status"><c>alive</c>, <c>readonly</c>, <c>drain</c>, <c>down</c> or <c>dead</c>.</param>
/// <param name="Weight">Weight (default 100).</param>
/// <param name="MbTotal">Capacity in MB (0 when unknown).</param>
/// <param name="MbUsed">Used MB (0 when unknown).</param>
/// <param name="MbFree">Free MB, when known.</param>
/// <param name="ObservedState"><c>writeable</c>, <c>readable</c>, <c>unreachable</c> or empty.</param>
/// <param name="Utilization">I/O utilisation reported by the node, or empty.</param>
/// <param name="RejectBadMd5"><c>1</c>, <c>0</c> or empty.</param>
public sealed record DeviceInfo(int DevId, int HostId, string Status, int Weight, long MbTotal, long MbUsed,
    long? MbFree, string ObservedState, string Utilization, string RejectBadMd5);

/// <summary>A file as <c>list_fids</c> reports it.</summary>
/// <param name="Fid">File id.</param>
/// <param name="Domain">Domain name.</param>
/// <param name="Class">Class name.</param>
/// <param name="Key">Key.</param>
/// <param name="Length">Length in bytes.</param>
/// <param name="DevCount">Recorded copies.</param>
public sealed record FidInfo(long Fid, string Domain, string Class, string Key, long Length, int DevCount);

/// <summary>One fsck log row.</summary>
/// <param name="LogId">Log id (ascending).</param>
/// <param name="UTime">Unix time.</param>
/// <param name="Fid">File id.</param>
/// <param name="EvCode">Event code (<c>MISS</c>, <c>NOPA</c>, ...).</param>
/// <param name="DevId">Device id, when the event concerns one.</param>
public sealed record FsckLogRow(long LogId, long UTime, long Fid, string EvCode, int? DevId);

/// <summary>Fields for creating or updating a host. <see langword="null"/> fields are not sent.</summary>
public sealed class HostSettings
{
    /// <summary>IP address (required to create).</summary>
    public string? Ip { get; set; }
    /// <summary>mogstored HTTP port (required to create; mogadm defaults it to 7500).</summary>
    public int? Port { get; set; }
    /// <summary>Separate read port.</summary>
    public int? GetPort { get; set; }
    /// <summary>Alternate IP.</summary>
    public string? AltIp { get; set; }
    /// <summary>Netmask selecting the alternate IP.</summary>
    public string? AltMask { get; set; }
    /// <summary><c>alive</c>, <c>down</c>, <c>readonly</c> or <c>dead</c>.</summary>
    public string? Status { get; set; }
}

/// <summary>A read-slave database entry (<c>slave_&lt;key&gt;</c> server setting).</summary>
/// <param name="Key">Slave key.</param>
/// <param name="Dsn">DBI DSN.</param>
/// <param name="Username">User name.</param>
/// <param name="Password">Password.</param>
public sealed record SlaveInfo(string Key, string Dsn, string Username, string Password);
