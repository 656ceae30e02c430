using System.Globalization;
using System.Net;
using MogileFS.Client;
using MogileFS.Client.Protocol;
using MogileFS.Client.Tracker;

namespace MogileFS.Gateway.Mogile;

/// <summary>A destination <c>create_open</c> offered.</summary>
public sealed record OpenDestination(int DevId, string Url);

/// <summary>What <c>create_open</c> returned: the new fid and where to write it.</summary>
public sealed record OpenedFile(long Fid, IReadOnlyList<OpenDestination> Destinations);

/// <summary>
/// The gateway's way into the cluster, as any MogileFS client: tracker commands through the
/// client library's pooled <see cref="TrackerBackend"/> (so it works with any tracker, ours or
/// 2.73's) and HTTP to storage nodes through one shared keep-alive <see cref="HttpMessageInvoker"/>.
/// Keys and domain names are S3 strings (UTF-8 on the wire, as the client library sends them).
/// </summary>
public sealed class MogileAccess : IDisposable
{
    private readonly TrackerBackend _trackers;

    public MogileAccess(GatewayOptions options)
    {
        _trackers = new TrackerBackend(new MogileFSClientOptions
        {
            RequestTimeout = options.TrackerTimeout,
            MaxIdleConnectionsPerTracker = 256,
        }.WithTrackers(options.Trackers));
        Http = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = int.MaxValue,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        }, disposeHandler: true);
        StorageIdleTimeout = options.StorageIdleTimeout;
        Local = LocalStorage.From(options);
    }

    /// <summary>Storage nodes whose docroots are on this host (<c>local_storage</c>); null when none are.</summary>
    public LocalStorage? Local { get; }

    /// <summary>The one HTTP client for every storage node.</summary>
    public HttpMessageInvoker Http { get; }

    public TimeSpan StorageIdleTimeout { get; }

    public TrackerBackend Trackers => _trackers;

    private static KeyValuePair<string, string?> P(string k, string? v) => new(k, v);
    private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

    public Task<TrackerResponse> SendAsync(string command, RequestSafety safety, CancellationToken ct, params KeyValuePair<string, string?>[] args) =>
        _trackers.SendAsync(command, args, safety, null, ct);

    public async Task CreateDomainAsync(string domain, CancellationToken ct) =>
        await SendAsync("create_domain", RequestSafety.NotIdempotent, ct, P("domain", domain)).ConfigureAwait(false);

    public async Task DeleteDomainAsync(string domain, CancellationToken ct) =>
        await SendAsync("delete_domain", RequestSafety.NotIdempotent, ct, P("domain", domain)).ConfigureAwait(false);

    /// <summary>The copies of a key, best first; empty when the key is unknown.</summary>
    public async Task<IReadOnlyList<string>> GetPathsAsync(string domain, string key, CancellationToken ct)
    {
        TrackerResponse r;
        try
        {
            r = await SendAsync("get_paths", RequestSafety.Idempotent, ct,
                P("domain", domain), P("key", key), P("noverify", "1")).ConfigureAwait(false);
        }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "unknown_key") { return []; }
        long n = r.GetInt64("paths");
        var list = new List<string>((int)Math.Clamp(n, 0, 16));
        for (int i = 1; i <= n; i++)
            if (r.Get("path" + i.ToString(CultureInfo.InvariantCulture)) is { Length: > 0 } p) list.Add(p);
        return list;
    }

    /// <summary><c>create_open</c> for <paramref name="key"/> (class null = the domain's default).</summary>
    public async Task<OpenedFile> CreateOpenAsync(string domain, string key, string? @class, long size, CancellationToken ct)
    {
        var r = await SendAsync("create_open", RequestSafety.NotIdempotent, ct,
            P("domain", domain), P("class", @class), P("key", key), P("fid", "0"), P("multi_dest", "1"),
            P("size", size > 0 ? N(size) : null)).ConfigureAwait(false);
        long fid = r.GetInt64("fid");
        var dests = new List<OpenDestination>();
        if (r.ContainsKey("dev_count"))
        {
            long count = r.GetInt64("dev_count");
            for (int i = 1; i <= count; i++)
            {
                var s = i.ToString(CultureInfo.InvariantCulture);
                if (r.Get("path_" + s) is { Length: > 0 } path) dests.Add(new((int)r.GetInt64("devid_" + s), path));
            }
        }
        else if (r.Get("path") is { Length: > 0 } single)
            dests.Add(new((int)r.GetInt64("devid"), single));
        if (fid <= 0 || dests.Count == 0)
            throw new MogileFSProtocolException($"create_open for '{key}' returned no fid or no destination");
        return new OpenedFile(fid, dests);
    }

    /// <summary>Raised after this gateway changed what a key names (<c>create_close</c>, <c>delete</c>), also when the
    /// tracker's answer was lost: arguments domain and key. The read caches listen (<see cref="S3.ObjectCache"/>).</summary>
    public event Action<string, string>? KeyChanged;

    /// <summary><c>create_close</c>: makes <paramref name="key"/> name the new file.</summary>
    public async Task CreateCloseAsync(string domain, string key, long fid, OpenDestination dest, long size, string? checksum, CancellationToken ct)
    {
        try
        {
            await SendAsync("create_close", RequestSafety.NotIdempotent, ct,
                P("fid", N(fid)), P("devid", N(dest.DevId)), P("domain", domain), P("size", N(size)), P("key", key),
                P("path", dest.Url), P("checksum", checksum)).ConfigureAwait(false);
        }
        finally { KeyChanged?.Invoke(domain, key); }
    }

    /// <summary>Deletes a key; false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(string domain, string key, CancellationToken ct)
    {
        try
        {
            await SendAsync("delete", RequestSafety.NotIdempotent, ct, P("domain", domain), P("key", key)).ConfigureAwait(false);
            return true;
        }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "unknown_key") { return false; }
        finally { KeyChanged?.Invoke(domain, key); }
    }

    /// <summary>The fid in a storage path (<c>/devN/a/bbb/ccc/0000000123.fid</c>), or null for another layout.</summary>
    public static long? FidOfPath(string url)
    {
        int end = url.EndsWith(".fid", StringComparison.Ordinal) ? url.Length - 4 : -1;
        if (end < 0) return null;
        int start = url.LastIndexOf('/', end - 1) + 1;
        return long.TryParse(url.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out var fid) ? fid : null;
    }

    public void Dispose()
    {
        Http.Dispose();
        _trackers.Dispose();
    }
}

internal static class ClientOptionsExtensions
{
    public static MogileFSClientOptions WithTrackers(this MogileFSClientOptions o, IEnumerable<string> trackers)
    {
        foreach (var t in trackers) o.Trackers.Add(t);
        return o;
    }
}
