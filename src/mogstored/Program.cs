using MogileFS.Cli.mogstored;
using MogileFS.Hosting;
using MogileFS.Hosting.Logging;
using MogileFS.StorageNode;
using Microsoft.Extensions.Logging;

// mogstored: parse flags and config file, then run the storage node until SIGTERM/SIGINT
// (graceful: requests in flight finish or are discarded whole; a second signal aborts them)
// or a side-channel shutdown. The process shell (daemonize, pid file, signals, logging) is
// MogileFS.Hosting's.

// Serve requests on the socket threads themselves (no hop to the thread pool per request);
// the handlers move anything that may wait for the disk to the pool. Set to 0 to opt out.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

if (ProgramVersion.Requested(args)) { Console.WriteLine(ProgramVersion.Line("mogstored")); return 0; }
if (args.Any(a => a is "--help" or "-help" or "-h" or "-?"))
{
    Console.Write(MogstoredCommandLine.Usage);
    return 0;
}
var daemon = new Daemon("mogstored");
MogstoredSettings settings;
try
{
    settings = MogstoredCommandLine.Parse(args);
}
catch (MogstoredUsageException ex)
{
    Console.Error.WriteLine(ex.Message.TrimEnd('\n'));
    return 255;
}

// The copy keeps its stderr until it is ready: if it fails, its messages are shown here.
if (settings.Daemonize && !daemon.IsChild) return await daemon.LaunchAsync(args);
if (daemon.IsChild) daemon.Detach(stdioToDevNull: false);

if (daemon.IsChild && settings.LogFile != null) settings.LogFile = Path.GetFullPath(settings.LogFile, daemon.StartDirectory);
ILoggerFactory loggerFactoryOrNull;
try
{
    loggerFactoryOrNull = ProcessLogging.Create(new LogSettings
    {
        Program = "mogstored", Target = settings.LogTarget, File = settings.LogFile, Format = settings.LogFormat,
        Level = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("MOGSTORED_LOG_LEVEL"), true, out var lvl) ? lvl : LogLevel.Information,
    }, daemon.IsChild);
}
catch (IOException e)
{
    Console.Error.WriteLine($"mogstored: {e.Message}");
    return 1;
}
using var loggerFactory = loggerFactoryOrNull;
var logger = loggerFactory.CreateLogger("mogstored");
foreach (var w in settings.Warnings) logger.LogWarning("{Warning}", w);

await using var server = new StorageNodeServer(settings.Options, loggerFactory);
await using var endpoints = new ProcessEndpoints(); // metrics/health plug in here (MogileFS.Hosting)
string? pidFile = string.IsNullOrEmpty(settings.PidFile) ? null : settings.PidFile;
try
{
    await server.StartAsync();
    if (settings.StatusListen.Length > 0)
        endpoints.Add(MogileFS.Hosting.Status.StorageNodeStatus.Create(server.Metrics.Name, server.Metrics.ExportRequests(), settings.Options.DocRoot, settings.StatusListen, loggerFactory));
    await endpoints.StartAsync(CancellationToken.None);
    if (pidFile != null) PidFile.Write(pidFile);
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"mogstored: {ex.Message}");
    return 1;
}

using var signals = new ShutdownSignals((signal, count) => _ = count == 1 ? server.StopAsync() : server.AbortAsync());

if (daemon.IsChild) daemon.ReportReady();
else
{
    Console.Out.WriteLine("Running.");
    Console.Out.Flush();
}

await server.Completion;
if (pidFile != null) PidFile.Remove(pidFile);
return 0;
