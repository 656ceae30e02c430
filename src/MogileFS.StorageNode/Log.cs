using Microsoft.Extensions.Logging;

namespace MogileFS.StorageNode;

/// <summary>Storage-node log messages. Event ids 3000–3099 (3 = the storage-node issue).</summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Information, "mogstored listening: HTTP {HttpEndPoint}, side channel {MgmtEndPoint}, docroot {DocRoot}")]
    public static partial void Started(ILogger logger, System.Net.EndPoint httpEndPoint, System.Net.EndPoint mgmtEndPoint, string docRoot);

    [LoggerMessage(3001, LogLevel.Information, "Stopping ({Mode}); {Connections} HTTP connections open")]
    public static partial void Stopping(ILogger logger, string mode, int connections);

    [LoggerMessage(3002, LogLevel.Information, "Stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(3003, LogLevel.Warning, "Graceful stop timed out; aborting {Connections} connections (their uploads are discarded)")]
    public static partial void GraceExpired(ILogger logger, int connections);

    [LoggerMessage(3010, LogLevel.Warning, "HTTP connection limit {MaxConns} reached; refusing {Remote} with 503")]
    public static partial void TooManyConnections(ILogger logger, int maxConns, System.Net.EndPoint? remote);

    [LoggerMessage(3016, LogLevel.Warning, "More than {Limit} HTTP connections from {Address}; refusing with 503")]
    public static partial void TooManyConnectionsFromAddress(ILogger logger, int limit, System.Net.IPAddress? address);

    [LoggerMessage(3017, LogLevel.Information, "Closing the connection of {Address}: {Reason}")]
    public static partial void SlowClientClosed(ILogger logger, System.Net.IPAddress? address, string reason);

    [LoggerMessage(3011, LogLevel.Debug, "HTTP connection {Remote} failed")]
    public static partial void ConnectionError(ILogger logger, System.Net.EndPoint? remote, Exception ex);

    [LoggerMessage(3012, LogLevel.Warning, "Upload to {Path} failed: {Error}")]
    public static partial void UploadFailed(ILogger logger, string path, string error);

    [LoggerMessage(3013, LogLevel.Information, "Upload to {Path} aborted by the client after {Bytes} bytes; nothing kept")]
    public static partial void UploadAborted(ILogger logger, string path, long bytes);

    [LoggerMessage(3014, LogLevel.Warning, "Refused path escaping the docroot: {Target}")]
    public static partial void EscapeRefused(ILogger logger, string target);

    [LoggerMessage(3015, LogLevel.Error, "Accept loop failed")]
    public static partial void AcceptFailed(ILogger logger, Exception ex);

    [LoggerMessage(3020, LogLevel.Warning, "Usage round failed for {Device}: {Error}")]
    public static partial void UsageFailed(ILogger logger, string device, string error);

    [LoggerMessage(3021, LogLevel.Warning, "iostat: {Error}")]
    public static partial void IoStatFailed(ILogger logger, string error);

    [LoggerMessage(3030, LogLevel.Debug, "Side-channel connection {Remote} failed")]
    public static partial void SideChannelError(ILogger logger, System.Net.EndPoint? remote, Exception ex);

    [LoggerMessage(3040, LogLevel.Information, "{Method} {Path} {Status} sent={Sent} received={Received} ms={Ms:0.###} client={Client}")]
    public static partial void Access(ILogger logger, string method, string path, int status, long sent, long received, double ms, System.Net.IPAddress? client);

    [LoggerMessage(3031, LogLevel.Information, "Side-channel shutdown command from {Remote}")]
    public static partial void ShutdownCommand(ILogger logger, System.Net.EndPoint? remote);

    [LoggerMessage(3018, LogLevel.Warning, "Join into {Path} failed: {Error}; nothing kept")]
    public static partial void JoinFailed(ILogger logger, string path, string error);
}
