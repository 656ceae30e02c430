using Microsoft.Extensions.Logging;

namespace MogileFS.Tracker.Jobs;

/// <summary>Source-generated log messages of the background jobs. Event ids: 40x host, 41x monitor,
/// 42x job master, 43x replicate, 44x delete, 45x reaper and tempfiles.</summary>
internal static partial class JobLog
{
    [LoggerMessage(400, LogLevel.Information, "Background jobs starting (monitor first, workers after its first round)")]
    public static partial void Starting(ILogger logger);

    [LoggerMessage(401, LogLevel.Error, "Background job {Job} failed: {Message}")]
    public static partial void JobFailed(ILogger logger, string job, string message, Exception e);

    [LoggerMessage(402, LogLevel.Information, "Message for {Job} workers: {Message}")]
    public static partial void MessageReceived(ILogger logger, string job, string message);

    [LoggerMessage(410, LogLevel.Warning, "Port {Port} not listening on {Ip} ({Url})?  Error was: {Error}")]
    public static partial void PortNotListening(ILogger logger, int port, string ip, string url, string error);

    [LoggerMessage(411, LogLevel.Warning, "Timeout contacting {Ip} for dev{DevId}: host marked unreachable ({Error})")]
    public static partial void HostUnreachable(ILogger logger, string ip, int devId, string error);

    [LoggerMessage(412, LogLevel.Warning, "dev{DevId} reports used = {Used}, total = {Total}, content-length: {Length}, error?")]
    public static partial void BadUsage(ILogger logger, int devId, string used, string total, int length);

    [LoggerMessage(413, LogLevel.Information, "dev{DevId} observed {State}")]
    public static partial void DeviceStateChanged(ILogger logger, int devId, string state);

    [LoggerMessage(414, LogLevel.Warning, "Monitor round failed: {Message}")]
    public static partial void RoundFailed(ILogger logger, string message, Exception e);

    [LoggerMessage(416, LogLevel.Error, "dev{DevId} not used: {Url} says {Reason}. Fix the host/device registration, or delete that file if the directory really is to be reused")]
    public static partial void DeviceMarkerMismatch(ILogger logger, int devId, string url, string reason);

    [LoggerMessage(417, LogLevel.Warning, "dev{DevId}: could not write the device marker {Url} (status {Status}); the device is used without it")]
    public static partial void DeviceMarkerNotWritten(ILogger logger, int devId, string url, int status);

    [LoggerMessage(415, LogLevel.Debug, "iostat watcher for {Ip}: {Message}")]
    public static partial void IoStatProblem(ILogger logger, string ip, string message);

    [LoggerMessage(420, LogLevel.Warning, "Job master pass failed: {Message}")]
    public static partial void JobMasterFailed(ILogger logger, string message, Exception e);

    [LoggerMessage(430, LogLevel.Warning, "Replication of fid {Fid} failed: {Reason} {Detail}")]
    public static partial void ReplicationFailed(ILogger logger, long fid, string reason, string detail);

    [LoggerMessage(431, LogLevel.Warning, "Copy of fid {Fid} from dev{Source} to dev{Dest} failed: {Error}")]
    public static partial void CopyFailed(ILogger logger, long fid, int source, int dest, string error);

    [LoggerMessage(432, LogLevel.Error, "Replicate item for fid {Fid} failed: {Message}")]
    public static partial void ReplicateItemFailed(ILogger logger, long fid, string message, Exception e);

    [LoggerMessage(433, LogLevel.Information, "fid {Fid}: removed surplus copy on dev{DevId}")]
    public static partial void SurplusRemoved(ILogger logger, long fid, int devId);

    [LoggerMessage(440, LogLevel.Warning, "Delete of fid {Fid} on dev{DevId} failed: {Error}")]
    public static partial void DeleteFailed(ILogger logger, long fid, int devId, string error);

    [LoggerMessage(441, LogLevel.Error, "Delete item for fid {Fid} failed: {Message}")]
    public static partial void DeleteItemFailed(ILogger logger, long fid, string message, Exception e);

    [LoggerMessage(442, LogLevel.Warning, "Not deleting fid {Fid}: a file owns it again (queue row dropped)")]
    public static partial void DeleteSkippedLive(ILogger logger, long fid);

    [LoggerMessage(450, LogLevel.Information, "Reaper: dev{DevId} re-queued {Count} fids")]
    public static partial void Reaped(ILogger logger, int devId, int count);

    [LoggerMessage(451, LogLevel.Information, "dev{DevId} is no longer dead to reaper")]
    public static partial void NoLongerDead(ILogger logger, int devId);

    [LoggerMessage(452, LogLevel.Information, "Tempfile reaper: {Count} stale uploads reaped")]
    public static partial void TempfilesReaped(ILogger logger, int count);

    [LoggerMessage(454, LogLevel.Warning, "dev{DevId} (host {HostId}) unreachable for {Seconds} s or more: marked dead (server setting auto_mark_dead_after); its files will be re-replicated")]
    public static partial void AutoDeadMarked(ILogger logger, int devId, int hostId, long seconds);

    [LoggerMessage(455, LogLevel.Warning, "{Count} devices unreachable past auto_mark_dead_after, but only {Reachable} of {Hosts} hosts are reachable from this tracker: not marking them dead")]
    public static partial void AutoDeadHeld(ILogger logger, int count, int reachable, int hosts);

    [LoggerMessage(453, LogLevel.Warning, "{Job} pass failed: {Message}")]
    public static partial void PassFailed(ILogger logger, string job, string message, Exception e);
}
