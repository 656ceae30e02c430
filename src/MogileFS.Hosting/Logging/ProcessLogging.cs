using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace MogileFS.Hosting.Logging;

/// <summary>The logger factories of the executables.</summary>
public static class ProcessLogging
{
    /// <summary>
    /// mogilefsd's logging: <paramref name="target"/> is <c>stderr</c>, <c>stdout</c> or
    /// <c>syslog</c> (empty: syslog when daemonized, else stderr); lines like 2.73's screen log,
    /// or syslog with <paramref name="ident"/>. <paramref name="debug"/> ≥ 1 logs debug messages
    /// and stack traces.
    /// </summary>
    public static ILoggerFactory Lines(string? target, bool daemonized, int debug, string ident)
    {
        var level = debug >= 1 ? LogLevel.Debug : LogLevel.Information;
        string chosen = target is { Length: > 0 } t ? t : daemonized ? "syslog" : "stderr";
        ILoggerProvider provider = chosen switch
        {
            "syslog" => new SyslogLoggerProvider(level, ident),
            "stdout" => new LineLoggerProvider(Console.Out, level, debug >= 1),
            _ => new LineLoggerProvider(Console.Error, level, debug >= 1),
        };
        return LoggerFactory.Create(b => b.ClearProviders().SetMinimumLevel(level).AddProvider(provider));
    }

    /// <summary>
    /// mogstored's logging: single-line console messages with a timestamp on stderr, at the
    /// level named by <paramref name="levelVariable"/> (default Information); a full queue drops
    /// messages rather than blocking a request.
    /// </summary>
    public static ILoggerFactory TimestampedConsole(string levelVariable) => LoggerFactory.Create(b => b
        .SetMinimumLevel(Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable(levelVariable), true, out var lvl) ? lvl : LogLevel.Information)
        .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss "; })
        .AddConsole(o =>
        {
            o.LogToStandardErrorThreshold = LogLevel.Trace;
            o.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite;
        }));
}
