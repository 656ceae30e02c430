using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MogileFS.Hosting;
using MogileFS.Hosting.Logging;
using MogileFS.Store;
using MogileFS.Store.Schema;
using MogileFS.Tracker;
using MogileFS.Tracker.Configuration;

namespace MogileFS.Cli.mogilefsd;

/// <summary>
/// The mogilefsd process (config.md §1.5): configuration, the root check, --daemonize, logging,
/// the pidfile, signals (the mechanisms are MogileFS.Hosting's; the texts are mogilefsd's).
/// Exit codes: 0 after SIGTERM/SIGINT/!shutdown, 1 when it cannot start.
/// </summary>
internal static class TrackerHost
{
    private static readonly Daemon Daemon = new("mogilefsd");

    public static async Task<int> RunAsync(string[] args)
    {
        bool child = Daemon.IsChild;
        if (child) Daemon.Detach(stdioToDevNull: true);
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
            return await LaunchDaemonAsync(args, stderr);

        if (child)
        {
            MakePathsAbsolute(options);
            if (options.LogFile != null) options.LogFile = Path.GetFullPath(options.LogFile, Daemon.StartDirectory);
            Directory.SetCurrentDirectory("/");
        }
        var logSettings = new LogSettings
        {
            Program = "mogilefsd", Target = options.LogTarget, File = options.LogFile, Format = options.LogFormat,
            Level = options.Debug >= 1 ? LogLevel.Debug : LogLevel.Information, StackTraces = options.Debug >= 1,
        };
        ILoggerFactory loggerFactoryOrNull;
        try
        {
            loggerFactoryOrNull = ProcessLogging.Create(logSettings, child);
        }
        catch (IOException e)
        {
            return Fail(stderr, e.Message);
        }
        using var loggerFactory = loggerFactoryOrNull;
        var log = loggerFactory.CreateLogger("mogilefsd");
        log.LogInformation("beginning run");

        using var stopRequested = new CancellationTokenSource();
        using var signals = new ShutdownSignals((name, _) => Signal(stopRequested, log, name));

        await using var server = new TrackerServer(options, loggerFactory);
        await using var endpoints = new ProcessEndpoints(); // metrics/health plug in here (MogileFS.Hosting)
        try
        {
            await server.StartAsync(stopRequested.Token);
            if (options.StatusListen.Length > 0)
                endpoints.Add(MogileFS.Tracker.Observability.TrackerStatus.Create(server, options.StatusListen));
            await endpoints.StartAsync(stopRequested.Token);
        }
        catch (OperationCanceledException) when (stopRequested.IsCancellationRequested)
        {
            Daemon.ReportFailure("mogilefsd was stopped while starting");
            return 0;
        }
        catch (Exception e)
        {
            string message = StartupError(e, options) ?? $"mogilefsd failed to start: {e.GetType().Name}: {e.Message}";
            // On the terminal the message is printed below; log it only where it would not show.
            if (child || logSettings.EffectiveTarget(child) is "syslog" or "file")
                log.LogError(options.Debug >= 1 ? e : null, "{Message}", message.Replace("\n", " "));
            Daemon.ReportFailure(message);
            return child ? 1 : Fail(stderr, message);
        }

        if (options.PidFile != null && !WritePidFile(options.PidFile, out string? pidError))
        {
            string message = $"Couldn't write pidfile {options.PidFile}: {pidError}; ending run";
            if (child || logSettings.EffectiveTarget(child) is "syslog" or "file") log.LogError("{Message}", message);
            Daemon.ReportFailure(message);
            await server.StopAsync();
            return child ? 1 : Fail(stderr, message);
        }
        Daemon.ReportReady();

        using (stopRequested.Token.Register(() => _ = server.StopAsync()))
            await server.Completion;
        await server.StopAsync();
        if (options.PidFile != null) PidFile.Remove(options.PidFile);
        log.LogInformation("ending run");
        return 0;
    }

    /// <summary>In the launcher: start the detached copy; print why it failed, if it did.</summary>
    private static async Task<int> LaunchDaemonAsync(string[] args, TextWriter stderr)
    {
        var launch = await Daemon.SpawnAndWaitAsync(args, TimeSpan.FromSeconds(120));
        if (launch.Ready) return 0;
        if (launch.StartError != null)
            stderr.WriteLine($"Cannot daemonize: {launch.StartError}");
        else if (launch.TimedOut)
            stderr.WriteLine($"mogilefsd (pid {launch.Pid}) did not report that it started within 120 s; see syslog.");
        else
            stderr.Write(launch.Report.Length > 0 ? launch.Report : $"mogilefsd (pid {launch.Pid}) exited during start-up; see syslog.\n");
        return 1;
    }

    private static int Fail(TextWriter stderr, string message)
    {
        Daemon.ReportFailure(message);
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
        if (ProcessFacts.RunningAsRoot && options.User != "root")
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
        MogileFS.Hosting.Status.StatusPortException => e.Message,
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

    /// <summary>Writes the pidfile; <paramref name="error"/> is the cause as strerror(3) words it.</summary>
    internal static bool WritePidFile(string path, out string? error)
    {
        try
        {
            PidFile.Write(path);
            error = null;
            return true;
        }
        catch (PidFileException e)
        {
            error = e.Reason;
            return false;
        }
    }
}
