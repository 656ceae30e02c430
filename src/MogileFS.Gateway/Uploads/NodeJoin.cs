using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using MogileFS.Gateway.Mogile;

namespace MogileFS.Gateway.Uploads;

/// <summary>
/// Assembles a multipart object on a storage node with our node's join request (<c>POST
/// &lt;path&gt;?join</c>, docs/storage-node.md): the node that will hold the new file copies the
/// parts it has inside the kernel and fetches the others from their nodes, so the bytes do not pass
/// through the gateway. Of the destinations <c>create_open</c> offers, the one whose node holds the
/// most part bytes is asked. A node without the request (MogileFS 2.73's mogstored, ours with
/// <c>join = 0</c>) answers without the <c>X-MogileFS-Join</c> header; it is remembered for a while
/// and the caller streams the parts as before. Any other failure also makes the caller stream (which
/// tries every copy of every part and reports as it always did), so a join can only save work.
/// </summary>
internal sealed class NodeJoin(MogileAccess mogile, ILogger log, TimeProvider clock)
{
    /// <summary>How long a node that answered without the join header is not asked again.</summary>
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, long> _unsupportedUntil = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>"host:port" of a storage URL, or null.</summary>
    public static string? NodeOf(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme == Uri.UriSchemeHttp ? u.Authority : null;

    /// <summary>True while <paramref name="node"/> is known to lack the join request.</summary>
    public bool KnownUnsupported(string node) =>
        _unsupportedUntil.TryGetValue(node, out long until) && until > clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Joins the slices (whole part files, in order) into the new file on one of
    /// <paramref name="opened"/>'s destinations. Returns that destination, or null when the caller must stream.</summary>
    public async Task<OpenDestination?> TryAsync(OpenedFile opened, IReadOnlyList<FileSlice> slices, long total, CancellationToken ct)
    {
        // The destination whose node holds the most part bytes (ties: the tracker's order).
        var bytesOn = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (var s in slices)
            if (s.Paths.Count > 0 && NodeOf(s.Paths[0]) is { } n) bytesOn[n] = bytesOn.GetValueOrDefault(n) + s.Length;
        OpenDestination? best = null;
        long bestBytes = -1;
        foreach (var d in opened.Destinations)
        {
            if (NodeOf(d.Url) is not { } node || KnownUnsupported(node)) continue;
            long b = bytesOn.GetValueOrDefault(node);
            if (b > bestBytes) (best, bestBytes) = (d, b);
        }
        if (best is null) return null;
        string destNode = NodeOf(best.Url)!;

        var body = new StringBuilder();
        body.Append(total.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var s in slices)
        {
            if (s.Offset != 0 || s.Paths.Count == 0) return null; // only whole files are joined
            // A copy on the destination's own node is read locally; else the first copy is fetched.
            string? local = s.Paths.FirstOrDefault(p => string.Equals(NodeOf(p), destNode, StringComparison.OrdinalIgnoreCase));
            string source = local != null ? new Uri(local).AbsolutePath : s.Paths[0];
            if (source.Contains('\n') || source.Contains(' ')) return null;
            body.Append(s.Length.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(source).Append('\n');
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, best.Url + "?join")
        {
            Content = new ByteArrayContent(Encoding.ASCII.GetBytes(body.ToString())),
        };
        request.Headers.ExpectContinue = false;
        // The node answers when the file is complete: allow a minute plus 10 MiB/s.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60 + total / (10 << 20)));
        try
        {
            using var response = await mogile.Http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (!response.Headers.Contains("X-MogileFS-Join"))
            {
                _unsupportedUntil[destNode] = (clock.GetUtcNow() + ForgetAfter).ToUnixTimeMilliseconds();
                MultipartLog.JoinUnsupported(log, destNode, (int)response.StatusCode);
                return null;
            }
            if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK) return best;
            string text = await response.Content.ReadAsStringAsync(CancellationToken.None).ConfigureAwait(false);
            MultipartLog.JoinFailed(log, best.Url, (int)response.StatusCode, text.Trim());
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            MultipartLog.JoinFailed(log, best.Url, 0, e.Message);
            return null;
        }
    }
}
