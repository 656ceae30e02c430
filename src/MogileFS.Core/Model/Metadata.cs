namespace MogileFS.Core.Model;

// Rows of the metadata tables as the tracker uses them. Names and other protocol strings are
// byte strings (see MogileFS.Core.Protocol.ByteString).

/// <summary>A domain (table domain).</summary>
public sealed record DomainInfo(int Id, string Name);

/// <summary>
/// A class (table class). <see cref="IsImplicit"/> marks the virtual "default" class (classid 0)
/// that every domain has when no row exists (mindevcount = default_mindevcount).
/// </summary>
public sealed record ClassInfo(int DomainId, int ClassId, string Name, int MinDevCount, string? ReplPolicy, HashType HashType, bool IsImplicit = false)
{
    public const string DefaultName = "default";

    /// <summary>Policy string as get_domains shows it: stored value, or MultipleHosts() when unset.</summary>
    public string EffectiveReplPolicy => string.IsNullOrEmpty(ReplPolicy) ? "MultipleHosts()" : ReplPolicy;
}

/// <summary>A host (table host). <see cref="StatusText"/> is the stored string (may be unknown/garbage).</summary>
public sealed record HostInfo(int Id, string Name, string? StatusText, string? Ip, int? HttpPort, int? HttpGetPort, string? AltIp, string? AltMask)
{
    /// <summary>Parsed status; unknown strings behave as down.</summary>
    public HostState Status => States.TryParseHost(StatusText, out var s) ? s : HostState.Down;

    /// <summary>Port for reads: http_get_port, else http_port (storage URL rules §6.4). As 2.73's
    /// <c>http_get_port || http_port</c>, a stored 0 counts as unset: <c>create_host ...&amp;getport=0</c> (or
    /// pymogile's <c>getport=None</c>, which numifies to 0) must not send readers to port 0.</summary>
    public int ReadPort => HttpGetPort is { } g && g != 0 ? g : WritePort;

    /// <summary>Port for writes (PUT/DELETE/MKCOL).</summary>
    public int WritePort => HttpPort ?? 7500;
}

/// <summary>A device (table device).</summary>
public sealed record DeviceInfo(int Id, int HostId, string? StatusText, int? Weight, long? MbTotal, long? MbUsed, long? MbAsOf)
{
    /// <summary>Parsed status; unknown strings behave as down.</summary>
    public DeviceState Status => States.TryParseDevice(StatusText, out var s) ? s : DeviceState.Down;

    /// <summary>mb_total - mb_used when both known.</summary>
    public long? MbFree => MbTotal is { } t && MbUsed is { } u ? t - u : null;

    /// <summary>1 - used/total, or 0 when unknown.</summary>
    public double PercentFree => MbTotal is { } t && t > 0 && MbUsed is { } u ? 1.0 - (double)u / t : 0.0;
}
