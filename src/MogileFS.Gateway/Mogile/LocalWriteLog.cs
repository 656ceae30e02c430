using Microsoft.Extensions.Logging;

namespace MogileFS.Gateway.Mogile;

/// <summary>Log messages of local writes (event ids 1560-1569; docs/s3.md, "Copies on this host").</summary>
internal static partial class LocalWriteLog
{
    [LoggerMessage(1560, LogLevel.Warning, "local write {Url}: {Error}; writing it over HTTP")]
    public static partial void WriteFallback(ILogger log, string url, string error);

    [LoggerMessage(1561, LogLevel.Warning, "local write failed: {Error}")]
    public static partial void WriteFailed(ILogger log, string error);
}
