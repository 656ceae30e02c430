using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace MogileFS.Hosting.Logging;

/// <summary>
/// Syslog as 2.73 opens it (ident <c>mogilefsd</c>, option <c>pid</c>, facility <c>daemon</c>):
/// RFC 3164 datagrams <c>&lt;PRI&gt;Mmm dd hh:mm:ss mogilefsd[pid]: message</c> to the local
/// syslog socket (/dev/log, or MOGILEFS_SYSLOG_SOCKET). Falls back to a stream socket when the
/// daemon listens on one; messages are dropped (never block the tracker) when nobody listens.
/// </summary>
internal sealed class SyslogLoggerProvider : ILoggerProvider
{
    private const int FacilityDaemon = 3;
    private const int MaxMessageBytes = 8000;

    private readonly object _gate = new();
    private readonly string _path;
    private readonly string _ident;
    private readonly LogLevel _minimum;
    private Socket? _socket;
    private long _retryAfterTicks;

    public SyslogLoggerProvider(LogLevel minimum, string ident = "mogilefsd", string? socketPath = null)
    {
        _minimum = minimum;
        _ident = ident;
        _path = socketPath ?? Environment.GetEnvironmentVariable("MOGILEFS_SYSLOG_SOCKET") ?? "/dev/log";
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
        lock (_gate)
        {
            _socket?.Dispose();
            _socket = null;
        }
    }

    internal static int Severity(LogLevel level) => level switch
    {
        LogLevel.Critical => 2,
        LogLevel.Error => 3,
        LogLevel.Warning => 4,
        LogLevel.Information => 6,
        _ => 7,
    };

    internal string Format(LogLevel level, string message, DateTime now)
    {
        // RFC 3164 timestamp: "Nov  2 05:00:06" (day padded with a space).
        string stamp = string.Create(CultureInfo.InvariantCulture, $"{now:MMM} {now.Day,2} {now:HH:mm:ss}");
        return $"<{FacilityDaemon * 8 + Severity(level)}>{stamp} {_ident}[{Environment.ProcessId}]: {message}";
    }

    private void Send(LogLevel level, string message)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(Format(level, message.Replace('\n', ' ').Replace('\r', ' '), DateTime.Now));
        if (bytes.Length > MaxMessageBytes) Array.Resize(ref bytes, MaxMessageBytes);
        lock (_gate)
        {
            for (int attempt = 0; attempt < 2; attempt++)
            {
                var s = Connect();
                if (s == null) return;
                try
                {
                    if (s.SocketType == SocketType.Stream)
                    {
                        s.Send(bytes);
                        s.Send([(byte)'\n']);
                    }
                    else s.Send(bytes);
                    return;
                }
                catch (SocketException)
                {
                    // syslogd restarted: reconnect once.
                    s.Dispose();
                    _socket = null;
                }
                catch (ObjectDisposedException)
                {
                    _socket = null;
                    return;
                }
            }
        }
    }

    private Socket? Connect()
    {
        if (_socket != null) return _socket;
        if (Environment.TickCount64 < _retryAfterTicks) return null;
        foreach (var type in new[] { SocketType.Dgram, SocketType.Stream })
        {
            var s = new Socket(AddressFamily.Unix, type, ProtocolType.Unspecified);
            try
            {
                s.Connect(new UnixDomainSocketEndPoint(_path));
                s.SendTimeout = 1000;
                return _socket = s;
            }
            catch (SocketException)
            {
                s.Dispose();
            }
        }
        _retryAfterTicks = Environment.TickCount64 + 5000;
        return null;
    }

    private sealed class Logger(SyslogLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string message = formatter(state, exception);
            if (exception != null) message += $" ({exception.GetType().Name}: {exception.Message})";
            owner.Send(logLevel, message);
        }
    }
}
