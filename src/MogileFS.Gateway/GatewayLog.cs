using Microsoft.Extensions.Logging;

namespace MogileFS.Gateway;

/// <summary>The gateway's log messages (event ids 1500-1599).</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(1500, LogLevel.Information, "moggateway listening on {Address}")]
    public static partial void Listening(ILogger log, string address);

    [LoggerMessage(1501, LogLevel.Warning, "trackers unavailable: {Message}")]
    public static partial void TrackerUnavailable(ILogger log, string message);

    [LoggerMessage(1502, LogLevel.Error, "{Operation} {Bucket}/{Key} failed")]
    public static partial void RequestFailed(ILogger log, Exception e, string operation, string? bucket, string? key);

    [LoggerMessage(1503, LogLevel.Warning, "storage node {Url}: {Error}")]
    public static partial void StorageFailed(ILogger log, string url, string error);

    [LoggerMessage(1504, LogLevel.Warning, "cleaning up after a failed upload of fid {Fid}: {Error}")]
    public static partial void CleanupFailed(ILogger log, long fid, string error);

    [LoggerMessage(1505, LogLevel.Information, "swept {Count} S3 metadata rows of files that no longer exist")]
    public static partial void Swept(ILogger log, int count);

    [LoggerMessage(1506, LogLevel.Warning, "sweeping S3 metadata failed: {Error}")]
    public static partial void SweepFailed(ILogger log, string error);

    [LoggerMessage(1507, LogLevel.Warning, "local copy {Url}: {Error}; reading it over HTTP")]
    public static partial void LocalCopyFailed(ILogger log, string url, string error);
}
