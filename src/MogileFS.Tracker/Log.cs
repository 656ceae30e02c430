using Microsoft.Extensions.Logging;

namespace MogileFS.Tracker;

/// <summary>Source-generated log messages of the tracker core. Event ids: 1xx server, 2xx commands, 3xx metadata.</summary>
internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Information, "Tracker listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, System.Net.EndPoint endPoint);

    [LoggerMessage(101, LogLevel.Information, "Tracker stopping")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(102, LogLevel.Debug, "Connection from {Remote} ended: {Reason}")]
    public static partial void ConnectionEnded(ILogger logger, System.Net.EndPoint? remote, string reason);

    [LoggerMessage(103, LogLevel.Warning, "Accept failed: {Message}")]
    public static partial void AcceptFailed(ILogger logger, string message, Exception e);

    [LoggerMessage(104, LogLevel.Warning, "Closing connection from {Remote}: {Reason}")]
    public static partial void ClosingConnection(ILogger logger, System.Net.EndPoint? remote, string reason);

    [LoggerMessage(200, LogLevel.Error, "Error running command '{Command}': {Message}")]
    public static partial void CommandFailed(ILogger logger, string command, string message, Exception e);

    [LoggerMessage(201, LogLevel.Warning, "Database unavailable while running '{Command}': {Message}")]
    public static partial void DatabaseUnavailable(ILogger logger, string command, string message);

    [LoggerMessage(202, LogLevel.Information, "Command '{Command}' answered 'ERR failure' (as 2.73): {Reason}")]
    public static partial void CommandRefused(ILogger logger, string command, string reason);

    [LoggerMessage(300, LogLevel.Warning, "Metadata refresh failed: {Message}")]
    public static partial void MetadataRefreshFailed(ILogger logger, string message, Exception e);

    [LoggerMessage(900, LogLevel.Warning, "{Text}")]
    public static partial void DashboardAction(ILogger logger, string text);
}
