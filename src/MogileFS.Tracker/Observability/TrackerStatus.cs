using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using MogileFS.Core.Model;
using MogileFS.Hosting.Status;

namespace MogileFS.Tracker.Observability;

/// <summary>
/// The tracker's status port (<c>status_listen</c>): /metrics, /healthz, /readyz, and the routes
/// of <see cref="MapRoutes"/>. mogilefsd creates it after the tracker has started.
/// </summary>
public static class TrackerStatus
{
    /// <summary>The endpoint for <paramref name="server"/> listening on <paramref name="listen"/>.</summary>
    /// <param name="queueInterval">How often queue depths and fsck progress are read (default 5 s).</param>
    /// <param name="fileInterval">How often the file table is counted (default 60 s: a full scan).</param>
    public static StatusEndpoint Create(TrackerServer server, string listen, TimeSpan? queueInterval = null, TimeSpan? fileInterval = null)
    {
        var rt = server.Services;
        var options = new StatusEndpointOptions
        {
            Listen = listen,
            Component = "mogilefsd",
            LoggerFactory = rt.LoggerFactory,
        };
        options.Meters.Add(server.Metrics.Name);
        options.TextMetrics.Add(server.Metrics.ExportRequests());
        // Gauges from the database and the cluster view; sampled until the tracker stops.
        bool created = false;
        var sampler = rt.Feature(r =>
        {
            created = true;
            return new ClusterSampler(r, queueInterval, fileInterval);
        });
        if (created) _ = sampler.RunAsync(rt.Stopping);
        server.Dashboard.ShareFileCounts(() => sampler.LastFileCounts); // one scan of the file table for both
        options.Readiness.Add(new ReadinessCheck("database", async ct =>
        {
            await rt.Store.PingAsync(ct).ConfigureAwait(false);
            return null;
        }));
        options.Readiness.Add(new ReadinessCheck("monitor", _ => Task.FromResult(
            rt.Monitor.HasCompletedFirstRound ? null : "the monitor has not completed a round yet")));
        options.Readiness.Add(new ReadinessCheck("writeable_device", _ =>
        {
            var snap = rt.Metadata.Current;
            bool any = snap.Devices.Any(d => d.Status == DeviceState.Alive
                && snap.TryGetHost(d.HostId, out var h) && h.Status == HostState.Alive
                && rt.Observations.IsWriteable(d));
            return Task.FromResult(any ? null : "no device is alive and observed writeable");
        }));
        options.Routes.Add(r => MapRoutes(r, server));
        return new StatusEndpoint(options);
    }

    /// <summary>
    /// Every page the tracker serves on its status port besides /metrics, /healthz and /readyz.
    /// A feature that adds pages (the dashboard) adds one line here; its routes get the running
    /// <see cref="TrackerServer"/> (its <see cref="TrackerServer.Services"/> hold the store, the
    /// metadata cache, the observations and the job registry; <c>Services.Feature&lt;ClusterSampler&gt;</c>
    /// the last queue depths and file counts).
    /// </summary>
    private static void MapRoutes(IEndpointRouteBuilder routes, TrackerServer server)
    {
        MapIndex(routes);
        Dashboard.DashboardRoutes.Map(routes, server.Dashboard); // docs/dashboard.md
    }

    private static void MapIndex(IEndpointRouteBuilder routes) =>
        routes.MapGet("/", (HttpContext c) => c.Response.WriteAsync("mogilefsd: /metrics /healthz /readyz\n"));
}
