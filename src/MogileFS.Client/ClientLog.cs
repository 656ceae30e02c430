using Microsoft.Extensions.Logging;

namespace MogileFS.Client;

/// <summary>The client's log messages (category <c>MogileFS.Client</c>; event ids 100+).</summary>
internal static partial class ClientLog
{
    [LoggerMessage(100, LogLevel.Warning, "MogileFS tracker {Tracker} failed during {Command}: {Error}")]
    public static partial void TrackerFailed(ILogger logger, string tracker, string command, string error);
}
