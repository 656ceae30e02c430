using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using MogileFS.StorageNode;

// mogstored: parse flags and config file, then run the storage node until SIGTERM/SIGINT
// (graceful: requests in flight finish or are discarded whole) or a side-channel shutdown.

// Serve requests on the socket threads themselves (no hop to the thread pool per request);
// the handlers move anything that may wait for the disk to the pool. Set to 0 to opt out.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

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

if (settings.Daemonize && !Daemon.IsDaemonChild)
    return Daemon.SpawnAndWait(args, Console.Error);
if (Daemon.IsDaemonChild) Daemon.DetachSession();

using var loggerFactory = LoggerFactory.Create(b => b
    .SetMinimumLevel(Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("MOGSTORED_LOG_LEVEL"), true, out var lvl) ? lvl : LogLevel.Information)
    .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss "; })
    .AddConsole(o =>
    {
        o.LogToStandardErrorThreshold = LogLevel.Trace;
        o.QueueFullMode = Microsoft.Extensions.Logging.Console.ConsoleLoggerQueueFullMode.DropWrite; // never block a request on logging
    }));
var logger = loggerFactory.CreateLogger("mogstored");
foreach (var w in settings.Warnings) logger.LogWarning("{Warning}", w);

await using var server = new StorageNodeServer(settings.Options, loggerFactory);
try
{
    await server.StartAsync();
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"mogstored: {ex.Message}");
    return 1;
}

int signals = 0;
void OnSignal(PosixSignalContext ctx)
{
    ctx.Cancel = true;
    _ = Interlocked.Increment(ref signals) == 1 ? server.StopAsync() : server.AbortAsync();
}
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

if (Daemon.IsDaemonChild) Daemon.ReportReadyAndCloseStdio();
else
{
    Console.Out.WriteLine("Running.");
    Console.Out.Flush();
}

await server.Completion;
return 0;
