using Microsoft.Extensions.Logging;

namespace MogileFS.Gateway.Uploads;

/// <summary>Log messages of multipart uploads and short URLs (event ids 1550-1579 of the gateway's 1500-1599).</summary>
internal static partial class MultipartLog
{
    [LoggerMessage(1550, LogLevel.Warning, "deleting part file {Domain}/{Key} failed: {Error}")]
    public static partial void PartDeleteFailed(ILogger log, string domain, string key, string error);

    [LoggerMessage(1551, LogLevel.Information, "completed multipart upload {UploadId} into {Bucket}/{Key}: {Parts} parts, {Bytes} bytes in {Seconds:0.0} s, {How}")]
    public static partial void Completed(ILogger log, string uploadId, string bucket, string key, int parts, long bytes, double seconds, string how);

    [LoggerMessage(1552, LogLevel.Warning, "completing multipart upload {UploadId} failed: {Error}")]
    public static partial void CompleteFailed(ILogger log, string uploadId, string error);

    [LoggerMessage(1553, LogLevel.Information, "aborted {Count} multipart upload(s) older than {Days} days")]
    public static partial void Expired(ILogger log, int count, double days);

    [LoggerMessage(1554, LogLevel.Warning, "expiring multipart uploads failed: {Error}")]
    public static partial void ExpiryFailed(ILogger log, string error);

    [LoggerMessage(1555, LogLevel.Information, "storage node {Node} has no join request (answered {Status}); multipart objects on it are streamed through the gateway")]
    public static partial void JoinUnsupported(ILogger log, string node, int status);

    [LoggerMessage(1556, LogLevel.Warning, "join on {Url} failed ({Status}: {Error}); streaming the parts instead")]
    public static partial void JoinFailed(ILogger log, string url, int status, string error);
}
