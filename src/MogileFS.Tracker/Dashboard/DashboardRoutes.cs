using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MogileFS.Tracker.Dashboard;

/// <summary>Plugs the dashboard's pages into an ASP.NET Core route table (the tracker's status endpoint).</summary>
public static class DashboardRoutes
{
    public static void Map(IEndpointRouteBuilder endpoints, TrackerDashboard dashboard)
    {
        RequestDelegate handler = ctx => ServeAsync(ctx, dashboard);
        endpoints.Map(TrackerDashboard.Prefix, handler);
        endpoints.Map(TrackerDashboard.Prefix + "/{**rest}", handler);
    }

    private static async Task ServeAsync(HttpContext ctx, TrackerDashboard dashboard)
    {
        var r = ctx.Request;
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        if (HttpMethods.IsPost(r.Method) && r.HasFormContentType)
        {
            var f = await r.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false);
            foreach (var kv in f) form[kv.Key] = kv.Value.ToString();
        }
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var kv in r.Query) query[kv.Key] = kv.Value.Count > 0 ? kv.Value[0] ?? "" : "";
        string? origin = r.Headers.Origin.Count > 0 ? r.Headers.Origin.ToString() : null;
        if (origin is null && Uri.TryCreate(r.Headers.Referer.ToString(), UriKind.Absolute, out var referer))
            origin = referer.GetLeftPart(UriPartial.Authority);
        var path = r.Path.Value ?? "";
        var req = new DashboardRequest
        {
            Method = HttpMethods.IsHead(r.Method) ? "HEAD" : r.Method.ToUpperInvariant(),
            Path = path.Length >= TrackerDashboard.Prefix.Length ? path[TrackerDashboard.Prefix.Length..] : "",
            Query = query,
            Form = form,
            Authorization = r.Headers.Authorization.Count > 0 ? r.Headers.Authorization.ToString() : null,
            Origin = origin,
            Host = r.Host.Value,
        };
        var resp = await dashboard.HandleAsync(req, ctx.RequestAborted).ConfigureAwait(false);
        ctx.Response.StatusCode = resp.Status;
        ctx.Response.ContentType = resp.ContentType;
        foreach (var (k, v) in resp.Headers) ctx.Response.Headers[k] = v;
        ctx.Response.ContentLength = resp.Body.Length;
        if (!HttpMethods.IsHead(r.Method)) await ctx.Response.Body.WriteAsync(resp.Body, ctx.RequestAborted).ConfigureAwait(false);
    }
}
