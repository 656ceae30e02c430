using Microsoft.Extensions.Logging;

namespace MogileFS.Hosting.Logging;

/// <summary>Where and how a server process logs (config keys <c>log_target</c>, <c>log_file</c>,
/// <c>log_format</c>; docs/metrics.md).</summary>
public sealed class LogSettings
{
    /// <summary>Program name in every line and the syslog ident (mogilefsd, mogstored).</summary>
    public required string Program { get; init; }

    /// <summary>stderr, stdout, syslog or file; empty: file when <see cref="File"/> is set, else
    /// syslog when daemonized (as 2.73), else stderr.</summary>
    public string Target { get; set; } = "";

    /// <summary>The log file (appended to; rotate with copytruncate).</summary>
    public string? File { get; set; }

    /// <summary>text (one line per message) or json (one object per line).</summary>
    public string Format { get; set; } = "text";

    public LogLevel Level { get; set; } = LogLevel.Information;

    /// <summary>Whole stack traces (debug) instead of the exception's type and message.</summary>
    public bool StackTraces { get; set; }

    public static readonly string[] Targets = ["stderr", "stdout", "syslog", "file"];
    public static readonly string[] Formats = ["text", "json"];

    /// <summary>Null when the settings are usable, else what is wrong (names the key).</summary>
    public string? Problem()
    {
        if (Target.Length > 0 && !Targets.Contains(Target))
            return $"Invalid value '{Target}' for log_target: expected stderr, stdout, syslog or file";
        if (!Formats.Contains(Format)) return $"Invalid value '{Format}' for log_format: expected text or json";
        if (Target == "file" && string.IsNullOrEmpty(File)) return "log_target = file needs log_file = <path>";
        return null;
    }

    /// <summary>The target actually used.</summary>
    public string EffectiveTarget(bool daemonized) =>
        Target.Length > 0 ? Target : !string.IsNullOrEmpty(File) ? "file" : daemonized ? "syslog" : "stderr";
}

/// <summary>The logger factories of the executables.</summary>
public static class ProcessLogging
{
    /// <summary>
    /// The logging of mogilefsd and mogstored: lines in the one format of
    /// <see cref="LineLoggerProvider"/> (text or JSON) to stderr, stdout or a file, or syslog
    /// datagrams as 2.73 sends them.
    /// </summary>
    /// <exception cref="IOException">The log file cannot be opened.</exception>
    public static ILoggerFactory Create(LogSettings s, bool daemonized)
    {
        ILoggerProvider provider = s.EffectiveTarget(daemonized) switch
        {
            "syslog" => new SyslogLoggerProvider(s.Level, s.Program),
            "stdout" => new LineLoggerProvider(Console.Out, false, s.Program, s.Format == "json", s.Level, s.StackTraces),
            "file" => new LineLoggerProvider(OpenFile(s.File!), true, s.Program, s.Format == "json", s.Level, s.StackTraces),
            _ => new LineLoggerProvider(Console.Error, false, s.Program, s.Format == "json", s.Level, s.StackTraces),
        };
        // Added with AddProvider so that disposing the factory disposes the provider, which
        // writes out the lines still queued.
        var factory = new LoggerFactory([], new LoggerFilterOptions { MinLevel = s.Level });
        factory.AddProvider(provider);
        return factory;
    }

    private static StreamWriter OpenFile(string path)
    {
        try
        {
            var fs = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            return new StreamWriter(fs, new System.Text.UTF8Encoding(false)) { AutoFlush = false };
        }
        catch (Exception e) when (e is UnauthorizedAccessException or DirectoryNotFoundException or IOException)
        {
            throw new IOException($"Cannot open log_file {path}: {e.Message}", e);
        }
    }
}
