using MogileFS.Tracker.Jobs;

namespace MogileFS.Tracker.Commands.Core;

/// <summary>
/// Validates a replication policy string before <c>create_class</c>/<c>update_class</c> store it, as 2.73
/// does: the LEADING policy expression must be one the replicator can build (trailing text is accepted
/// and stored as given). It is the replicator's own parser (<see cref="ReplicationPolicy.TryParse"/>), so
/// a stored policy is never one replication then refuses: <c>MultipleHosts</c>, <c>MultipleDevices</c>,
/// <c>Union</c>, and the network policies <c>HostsPerNetwork(zone=N, …)</c> and <c>MultipleNetworks(N)</c>
/// that 2.73 gets from the MogileFS::Network plugin; a <c>MogileFS::ReplicationPolicy::</c> prefix is allowed.
/// </summary>
public static class ReplPolicySyntax
{
    /// <summary>Null when valid, else the error text for <c>ERR invalid_replpolicy</c>.</summary>
    public static string? Validate(string policy)
    {
        if (string.IsNullOrWhiteSpace(policy)) return $"Failed to parse policy string: {policy} (no policy name)";
        return ReplicationPolicy.TryParse(policy, out _, out var error) ? null : error;
    }
}
