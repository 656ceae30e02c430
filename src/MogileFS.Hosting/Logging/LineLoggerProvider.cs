using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace MogileFS.Hosting.Logging;

/// <summary>
/// The one log line format of mogilefsd and mogstored (docs/metrics.md, "Logs"):
/// <c>2026-12-04T14:42:43.512+00:00 info  mogilefsd[812] Tracker: message</c> — timestamp with
/// offset, level, program[pid], component (the logger category without "MogileFS."), message
/// (which carries its key fields as key=value or in words) — or the same as one JSON object per
/// line with every structured field as a property.
/// Lines go through a bounded queue to one writer thread, so a slow terminal or disk never holds
/// up a request; if the queue is full a line is dropped and the drop is reported later.
/// </summary>
internal sealed class LineLoggerProvider : ILoggerProvider
{
    private const int QueueLength = 16384;
    private readonly Channel<string> _queue = Channel.CreateBounded<string>(new BoundedChannelOptions(QueueLength)
    {
        FullMode = BoundedChannelFullMode.Wait, SingleReader = true, // TryWrite fails when full: the line is dropped and counted
    });
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly string _program;
    private readonly bool _json;
    private readonly LogLevel _minimum;
    private readonly bool _stackTraces;
    private readonly Thread _thread;
    private readonly int _pid = Environment.ProcessId;
    private long _dropped;

    public LineLoggerProvider(TextWriter writer, bool ownsWriter, string program, bool json, LogLevel minimum, bool stackTraces)
    {
        _writer = writer;
        _ownsWriter = ownsWriter;
        _program = program;
        _json = json;
        _minimum = minimum;
        _stackTraces = stackTraces;
        _thread = new Thread(WriteLoop) { IsBackground = true, Name = "log writer" };
        _thread.Start();
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, Component(categoryName));

    internal static string Component(string category) =>
        category.StartsWith("MogileFS.", StringComparison.Ordinal) ? category["MogileFS.".Length..] : category;

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _thread.Join(TimeSpan.FromSeconds(3));
        if (_ownsWriter) _writer.Dispose();
    }

    private void WriteLoop()
    {
        var reader = _queue.Reader;
        try
        {
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (reader.TryRead(out var line)) _writer.Write(line);
                long dropped = Interlocked.Exchange(ref _dropped, 0);
                if (dropped > 0)
                    _writer.Write(Format(LogLevel.Warning, "Logging", $"{dropped} log lines dropped (the log could not keep up)", null, null));
                _writer.Flush();
            }
        }
        catch (Exception) { /* the log target went away (closed terminal, full disk): nothing left to tell */ }
    }

    private void Enqueue(string line)
    {
        if (!_queue.Writer.TryWrite(line)) Interlocked.Increment(ref _dropped);
    }

    internal static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        _ => "crit",
    };

    internal static string Timestamp(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);

    internal string Format(LogLevel level, string component, string message, Exception? e,
        IReadOnlyList<KeyValuePair<string, object?>>? fields)
    {
        var now = DateTimeOffset.Now;
        if (!_json)
        {
            var sb = new StringBuilder(96 + message.Length);
            sb.Append(Timestamp(now)).Append(' ').Append(LevelName(level).PadRight(5)).Append(' ')
              .Append(_program).Append('[').Append(_pid).Append("] ").Append(component).Append(": ")
              .Append(message.ReplaceLineEndings(" "));
            if (e != null)
            {
                if (_stackTraces) sb.Append(Environment.NewLine).Append(e);
                else sb.Append(" (").Append(e.GetType().Name).Append(": ").Append(e.Message.ReplaceLineEndings(" ")).Append(')');
            }
            return sb.Append('\n').ToString();
        }
        var buffer = new ArrayBufferWriter<byte>(256 + message.Length);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("time", Timestamp(now));
            w.WriteString("level", LevelName(level));
            w.WriteString("program", _program);
            w.WriteNumber("pid", _pid);
            w.WriteString("component", component);
            w.WriteString("msg", message);
            if (fields != null)
                foreach (var (k, v) in fields)
                {
                    if (k == "{OriginalFormat}" || k is "time" or "level" or "program" or "pid" or "component" or "msg") continue;
                    switch (v)
                    {
                        case null: w.WriteNull(k); break;
                        case int or long or short or byte or uint or ulong: w.WriteNumber(k, Convert.ToInt64(v, CultureInfo.InvariantCulture)); break;
                        case double d when double.IsFinite(d): w.WriteNumber(k, d); break;
                        case bool b: w.WriteBoolean(k, b); break;
                        default: w.WriteString(k, Convert.ToString(v, CultureInfo.InvariantCulture)); break;
                    }
                }
            if (e != null) w.WriteString("error", _stackTraces ? e.ToString() : $"{e.GetType().Name}: {e.Message}");
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    private sealed class Logger(LineLoggerProvider owner, string component) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            owner.Enqueue(owner.Format(logLevel, component, formatter(state, exception), exception,
                owner._json ? state as IReadOnlyList<KeyValuePair<string, object?>> : null));
        }
    }
}
