using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MogileFS.TestSupport;

/// <summary>
/// Keeps the log lines of servers started by a test in memory (warnings and above by default),
/// so a failing test can show what the tracker or storage node complained about.
/// </summary>
public sealed class CapturingLoggerProvider(LogLevel minimum = LogLevel.Warning) : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private const int MaxLines = 2000;

    public IReadOnlyCollection<string> Lines => _lines;

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(b => b.SetMinimumLevel(minimum).AddProvider(this));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public string Dump(int last = 100) => string.Join(Environment.NewLine, _lines.TakeLast(last));

    public void Dispose() { }

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > MaxLines && _lines.TryDequeue(out _)) { }
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string shortCategory = category[(category.LastIndexOf('.') + 1)..];
            owner.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {shortCategory}: {formatter(state, exception)}"
                + (exception != null ? " | " + exception.GetType().Name + ": " + exception.Message : ""));
        }
    }

    private LogLevel MinimumLevel => minimum;
}
