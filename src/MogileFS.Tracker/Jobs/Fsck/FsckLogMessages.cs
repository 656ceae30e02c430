using Microsoft.Extensions.Logging;

namespace MogileFS.Tracker.Jobs.Fsck;

/// <summary>Source-generated log messages of fsck, the scrubber and rebalance. Event ids 6xx.</summary>
internal static partial class FsckLogMessages
{
    [LoggerMessage(600, LogLevel.Warning, "fsck: {Message}")]
    public static partial void FsckError(ILogger logger, string message);

    [LoggerMessage(601, LogLevel.Debug, "fsck: fid {Fid} checked: {Outcome}")]
    public static partial void FidChecked(ILogger logger, long fid, string outcome);

    [LoggerMessage(602, LogLevel.Information, "fsck: injection finished at fid {Fid}")]
    public static partial void InjectionFinished(ILogger logger, long fid);

    [LoggerMessage(603, LogLevel.Error, "fsck: pass failed: {Message}")]
    public static partial void PassFailed(ILogger logger, string message, Exception e);

    [LoggerMessage(610, LogLevel.Information, "rebalance: {Message}")]
    public static partial void Rebalance(ILogger logger, string message);

    [LoggerMessage(611, LogLevel.Warning, "rebalance: {Message}")]
    public static partial void RebalanceError(ILogger logger, string message);

    [LoggerMessage(620, LogLevel.Information, "scrub: {Message}")]
    public static partial void Scrub(ILogger logger, string message);

    [LoggerMessage(621, LogLevel.Warning, "scrub: {Message}")]
    public static partial void ScrubError(ILogger logger, string message);
}
