using Microsoft.Extensions.Logging;

namespace MogileFS.Hosting.Status;

/// <summary>mogstored's status port (<c>status_listen</c>): /metrics, /healthz, /readyz (the docroot
/// is a directory in which a file can be created).</summary>
public static class StorageNodeStatus
{
    /// <param name="meterName">The node's meter (StorageNodeServer.Metrics.Name).</param>
    /// <param name="textMetrics">Writes the node's own text families (its request histogram), or null.</param>
    public static StatusEndpoint Create(string meterName, Action<System.Text.StringBuilder>? textMetrics, string docroot, string listen, ILoggerFactory? loggerFactory)
    {
        var o = new StatusEndpointOptions { Listen = listen, Component = "mogstored", LoggerFactory = loggerFactory };
        o.Meters.Add(meterName);
        if (textMetrics != null) o.TextMetrics.Add(textMetrics);
        o.Readiness.Add(new ReadinessCheck("docroot", ct => Task.Run(() => DocRootProblem(docroot), ct)));
        return new StatusEndpoint(o);
    }

    /// <summary>Null when the docroot is a readable directory in which a file can be created
    /// (the probe file is removed at once); else why not.</summary>
    public static string? DocRootProblem(string docroot)
    {
        if (!Directory.Exists(docroot)) return $"{docroot} does not exist";
        try
        {
            _ = Directory.EnumerateDirectories(docroot).Take(1).ToList();
            string probe = Path.Combine(docroot, $".readyz-{Environment.ProcessId}-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{docroot} is not writable: {e.Message}";
        }
    }
}
