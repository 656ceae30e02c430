using System.Text;

namespace MogileFS.Tracker.Dashboard;

/// <summary>
/// One HTTP request as the dashboard sees it, independent of the server that carries it (the status
/// endpoint's Kestrel in mogilefsd, a plain dictionary in unit tests).
/// </summary>
public sealed class DashboardRequest
{
    public required string Method { get; init; }

    /// <summary>The path below the dashboard's prefix, e.g. <c>/devices</c> ("" or "/" for the overview).</summary>
    public required string Path { get; init; }

    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Form { get; init; } = new Dictionary<string, string>();

    /// <summary>The Authorization header (Basic credentials for operator actions).</summary>
    public string? Authorization { get; init; }

    /// <summary>Origin header, else the scheme+host of Referer (cross-site check of POSTs).</summary>
    public string? Origin { get; init; }

    /// <summary>The Host header.</summary>
    public string? Host { get; init; }

    public string? Q(string name) => Query.TryGetValue(name, out var v) ? v : null;
    public string? F(string name) => Form.TryGetValue(name, out var v) ? v : null;
}

/// <summary>The dashboard's answer: status, content type, body and extra headers.</summary>
public sealed record DashboardResponse(int Status, string ContentType, byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public static DashboardResponse Html(int status, string html, params KeyValuePair<string, string>[] headers) =>
        new(status, "text/html; charset=utf-8", Encoding.UTF8.GetBytes(html), headers);

    public static DashboardResponse Text(int status, string text) =>
        new(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text), []);

    public static DashboardResponse Redirect(string location) =>
        new(303, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes("see " + location), [new("Location", location)]);

    public string BodyText => Encoding.UTF8.GetString(Body);
}
