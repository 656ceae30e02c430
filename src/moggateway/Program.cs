using MogileFS.Gateway;
using MogileFS.Gateway.Configuration;
using MogileFS.Hosting;
using MogileFS.Hosting.Logging;
using Microsoft.Extensions.Logging;

// moggateway: the S3 gateway (docs/s3.md). Parse flags and config file, then serve until
// SIGTERM/SIGINT. The process shell (daemonize, pid file, signals, logging) is MogileFS.Hosting's.

var daemon = new Daemon("moggateway");
GatewaySettings settings;
try
{
    settings = GatewayCommandLine.Parse(args);
}
catch (GatewayHelpRequested help)
{
    Console.Out.Write(help.Message);
    return 0;
}
catch (GatewayUsageException ex)
{
    Console.Error.WriteLine(ex.Message.TrimEnd('\n'));
    return 255;
}

if (settings.Daemonize && !daemon.IsChild) return await daemon.LaunchAsync(args);
if (daemon.IsChild) daemon.Detach(stdioToDevNull: false);

using var loggerFactory = ProcessLogging.Create(new LogSettings
{
    Program = "moggateway",
    Level = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("MOGGATEWAY_LOG_LEVEL"), true, out var lvl) ? lvl : LogLevel.Information,
}, daemon.IsChild);
await using var server = new GatewayServer(settings.Options, loggerFactory);
string? pidFile = string.IsNullOrEmpty(settings.PidFile) ? null : settings.PidFile;
try
{
    await server.StartAsync();
    if (pidFile != null) PidFile.Write(pidFile);
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or GatewayConfigException
                               or System.Net.Sockets.SocketException or System.Data.Common.DbException or InvalidOperationException)
{
    Console.Error.WriteLine($"moggateway: {ex.Message}");
    return 1;
}

var stopped = new TaskCompletionSource();
using var signals = new ShutdownSignals((signal, count) =>
{
    if (count == 1) _ = server.StopAsync().ContinueWith(_ => stopped.TrySetResult());
    else stopped.TrySetResult();
});

if (daemon.IsChild) daemon.ReportReady();
else
{
    Console.Out.WriteLine($"moggateway listening on {server.Url}");
    Console.Out.Flush();
}

await stopped.Task;
if (pidFile != null) PidFile.Remove(pidFile);
return 0;
