using System.Data.Common;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using MogileFS.Cli.mogilefsd.Logging;
using MogileFS.Store;
using MogileFS.Store.Schema;
using MogileFS.Tracker;
using MogileFS.Tracker.Configuration;

namespace MogileFS.Cli.mogilefsd;

/// <summary>
/// The mogilefsd process (config.md §1.5): configuration, the root check, --daemonize, logging,
/// the pidfile, signals. Exit codes: 0 after SIGTERM/SIGINT/!shutdown, 1 when it cannot start.
/// </summary>
internal static class TrackerHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        bool child = Daemon.IsChild;
        if (child) Daemon.Detach();
        var stderr = Console.Error;

        TrackerOptions options;
        try
        {
            options = TrackerConfigLoader.Load(args, child ? TextWriter.Null : stderr);
        }
        catch (TrackerConfigException e)
        {
            return Fail(stderr, e.Message + (e.Detail != null ? "\n" + e.Detail : ""));
        }
        if (options.ShowHelp)
        {
            Console.Out.WriteLine(TrackerConfigLoader.Usage);
            return 0;
        }
        if (PreflightError(options) is { } preflight) return Fail(stderr, preflight);

        if (options.Daemonize && !child)
            return await Daemon.SpawnAndWaitAsync(args, stderr);

        if (child)
        {
            MakePathsAbsolute(options);
            Directory.SetCurrentDirectory("/");
        }
        using var loggerFactory = CreateLoggerFactory(options, child);
        var log = loggerFactory.CreateLogger("mogilefsd");
        log.LogInformation("beginning run");

        using var stopRequested = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; Signal(stopRequested, log, "SIGTERM"); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; Signal(stopRequested, log, "SIGINT"); });

        await using var server = new TrackerServer(options, loggerFactory);
        try
        {
            await server.StartAsync(stopRequested.Token);
        }
        catch (OperationCanceledException) when (stopRequested.IsCancellationRequested)
        {
            Daemon.Report("mogilefsd was stopped while starting");
            return 0;
        }
        catch (Exception e)
        {
            string message = StartupError(e, options) ?? $"mogilefsd failed to start: {e.GetType().Name}: {e.Message}";
            // On the terminal the message is printed below; log it only where it would not show.
            if (child || options.LogTarget == "syslog")
                log.LogError(options.Debug >= 1 ? e : null, "{Message}", message.Replace("\n", " "));
            Daemon.Report(message);
            return child ? 1 : Fail(stderr, message);
        }

        if (options.PidFile != null && !WritePidFile(options.PidFile, out string? pidError))
        {
            string message = $"Couldn't write pidfile {options.PidFile}: {pidError}; ending run";
            if (child || options.LogTarget == "syslog") log.LogError("{Message}", message);
            Daemon.Report(message);
            await server.StopAsync();
            return child ? 1 : Fail(stderr, message);
        }
        Daemon.Report(null);

        using (stopRequested.Token.Register(() => _ = server.StopAsync()))
            await server.Completion;
        await server.StopAsync();
        if (options.PidFile != null) RemovePidFile(options.PidFile);
        log.LogInformation("ending run");
        return 0;
    }

    private static int Fail(TextWriter stderr, string message)
    {
        Daemon.Report(message);
        stderr.WriteLine(message);
        return 1;
    }

    private static void Signal(CancellationTokenSource stop, ILogger log, string name)
    {
        log.LogInformation("ending run due to {Signal}", name);
        try { stop.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>What stops the tracker before it touches the database.</summary>
    internal static string? PreflightError(TrackerOptions options)
    {
        foreach (var plugin in options.Plugins)
            return $"Unable to load {plugin}: plugins (MogileFS::Plugin::{plugin}) are not supported by this implementation";
        if (Native.RunningAsRoot && options.User != "root")
            return "mogilefsd cannot be run as root";
        try
        {
            DatabaseDsn.Parse(options.DbDsn).EnsureSupported();
        }
        catch (Exception e) when (e is DatabaseDsnException or DatabaseNotSupportedException)
        {
            return e.Message;
        }
        return null;
    }

    private static string? StartupError(Exception e, TrackerOptions options) => e switch
    {
        SchemaVersionException => e.Message + "\n\nPlease run mogdbsetup to upgrade your schema.",
        DatabaseNotSupportedException or DatabaseDsnException => e.Message,
        DbException or TimeoutException or InvalidOperationException { InnerException: DbException } =>
            $"Error: unable to establish connection with your MogileFS database ({options.DbDsn}): {e.Message}\n" +
            "Check db_dsn, db_user and db_pass (or --dsn, --dbuser, --dbpass); if the database has not been set up yet, run mogdbsetup.",
        SocketException s => $"Error creating socket ({string.Join(", ", options.Listen)}): {s.Message}",
        FormatException => $"Bad listen address ({string.Join(", ", options.Listen)}): {e.Message}",
        _ => null,
    };

    // After setsid and chdir("/"), relative paths from the command line would point elsewhere.
    private static void MakePathsAbsolute(TrackerOptions options)
    {
        if (options.PidFile != null) options.PidFile = Path.GetFullPath(options.PidFile, Daemon.StartDirectory);
        var dsn = DatabaseDsn.Parse(options.DbDsn);
        if (dsn.Kind == DatabaseKind.Sqlite && dsn.Database is { } file && file != ":memory:" && !Path.IsPathRooted(file))
            options.DbDsn = "DBI:SQLite:" + Path.GetFullPath(file, Daemon.StartDirectory);
    }

    private static ILoggerFactory CreateLoggerFactory(TrackerOptions options, bool daemonized)
    {
        var level = options.Debug >= 1 ? LogLevel.Debug : LogLevel.Information;
        string target = options.LogTarget is { Length: > 0 } t ? t : daemonized ? "syslog" : "stderr";
        ILoggerProvider provider = target switch
        {
            "syslog" => new SyslogLoggerProvider(level),
            "stdout" => new LineLoggerProvider(Console.Out, level, options.Debug >= 1),
            _ => new LineLoggerProvider(Console.Error, level, options.Debug >= 1),
        };
        return LoggerFactory.Create(b => b.ClearProviders().SetMinimumLevel(level).AddProvider(provider));
    }

    /// <summary>Writes "&lt;pid&gt;\n" (as 2.73). The file is replaced atomically so a reader never sees it half-written.</summary>
    internal static bool WritePidFile(string path, out string? error)
    {
        try
        {
            string tmp = path + ".tmp" + Environment.ProcessId;
            File.WriteAllText(tmp, Environment.ProcessId + "\n");
            File.Move(tmp, path, overwrite: true);
            error = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e switch
            {
                DirectoryNotFoundException or FileNotFoundException => "No such file or directory",
                UnauthorizedAccessException => "Permission denied",
                _ => e.Message,
            };
            return false;
        }
    }

    /// <summary>Removes the pidfile if it still names this process.</summary>
    internal static void RemovePidFile(string path)
    {
        try
        {
            if (File.Exists(path) && File.ReadAllText(path).Trim() == Environment.ProcessId.ToString())
                File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
