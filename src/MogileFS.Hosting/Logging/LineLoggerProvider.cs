using System.Globalization;
using Microsoft.Extensions.Logging;

namespace MogileFS.Hosting.Logging;

/// <summary>
/// Foreground logging: one line per message, <c>[Sat Nov 22 05:00:06 2026] message</c> like
/// 2.73's screen log, to stderr (or stdout with <c>log_target = stdout</c>).
/// </summary>
internal sealed class LineLoggerProvider(TextWriter writer, LogLevel minimum, bool stackTraces) : ILoggerProvider
{
    private readonly object _gate = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
        lock (_gate) writer.Flush();
    }

    internal static string PerlLocalTime(DateTime t) =>
        string.Create(CultureInfo.InvariantCulture, $"{t:ddd MMM} {t.Day,2} {t:HH:mm:ss yyyy}");

    private void Write(LogLevel level, string message, Exception? e)
    {
        string line = $"[{PerlLocalTime(DateTime.Now)}] {(level >= LogLevel.Warning ? level.ToString().ToLowerInvariant() + ": " : "")}{message}";
        if (e != null) line += stackTraces ? Environment.NewLine + e : $" ({e.GetType().Name}: {e.Message})";
        lock (_gate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    private sealed class Logger(LineLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            owner.Write(logLevel, formatter(state, exception), exception);
        }
    }

    private readonly LogLevel _minimum = minimum;
}
