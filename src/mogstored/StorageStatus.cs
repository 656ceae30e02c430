using MogileFS.Hosting.Status;
using MogileFS.StorageNode;

namespace MogileFS.Cli.mogstored;

/// <summary>mogstored's status port (<c>status_listen</c>): /metrics, /healthz, /readyz.</summary>
internal static class StorageStatus
{
    public static StatusEndpoint Create(StorageNodeServer server, StorageNodeOptions options, string listen,
        Microsoft.Extensions.Logging.ILoggerFactory loggerFactory)
    {
        var o = new StatusEndpointOptions { Listen = listen, Component = "mogstored", LoggerFactory = loggerFactory };
        o.Meters.Add(server.Metrics.Name);
        o.Readiness.Add(new ReadinessCheck("docroot", ct => Task.Run(() => DocRootProblem(options.DocRoot), ct)));
        return new StatusEndpoint(o);
    }

    /// <summary>Null when the docroot is a readable directory in which a file can be created
    /// (the probe file is removed at once); else why not.</summary>
    internal static string? DocRootProblem(string docroot)
    {
        if (!Directory.Exists(docroot)) return $"{docroot} does not exist";
        try
        {
            _ = Directory.EnumerateDirectories(docroot).Take(1).ToList();
            string probe = Path.Combine(docroot, $".readyz-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}");
            using (new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{docroot} is not writable: {e.Message}";
        }
    }
}
