using System.Net;
using System.Security.Cryptography;
using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Commands;

/// <summary>
/// <c>mogfiledebug --key=K | --fid=N [--paths=print|stat|fetch]</c>: everything the tracker knows
/// about a file, with every copy checked (HEAD) or fetched and MD5-summed.
/// </summary>
public static class MogFileDebug
{
    public const string Usage = "--trackers=host --paths=action --domain=foo --key='/hello.jpg'\n" +
        "If FID is known, but domain/key are not known:\n--trackers=host --fid=123456\n" +
        "--paths=action, where action is 'print', 'stat', or 'fetch' (default)";

    private sealed record PathResult(string Path, string Status, long? Length, string? Hash, string? LastModified);

    public static Task<int> RunAsync(string[] args) => ToolHost.RunAsync("mogfiledebug", async ct =>
    {
        var o = UtilsOptions.Parse("mogfiledebug", args, Usage, "key=s", "fid=i", "paths=s");
        var mode = o["paths"] ?? "fetch";
        if (mode is not ("print" or "stat" or "fetch"))
        {
            Console.Error.WriteLine($"mogfiledebug {Usage}");
            return 1;
        }
        long fid = long.TryParse(o["fid"], out var f) ? f : 0;
        var options = o.ClientOptions(needDomain: fid == 0);
        if (fid != 0) options.Domain ??= "mogfiledebug-unset";
        string? key = null;
        if (fid == 0) key = o["key"] ?? throw new ToolException("Must specify --key (with --domain) or --fid");
        using var client = new MogileFSClient(options);

        IReadOnlyDictionary<string, string> details;
        try { details = fid != 0 ? await client.FileDebugAsync(fid, ct) : await client.FileDebugAsync(key!, ct); }
        catch (MogileFSException e) { throw new ToolException("Error fetching fid info: " + e.Message); }

        var parts = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        var paths = new List<(long DevId, string Url)>();
        foreach (var (k, v) in details)
        {
            if (k.StartsWith("devpath_", StringComparison.Ordinal))
            {
                paths.Add((long.TryParse(k[8..], out var d) ? d : 0, v));
                continue;
            }
            int us = k.LastIndexOf('_');
            if (us <= 0) continue;
            var group = k[..us];
            if (!parts.TryGetValue(group, out var g)) parts[group] = g = new SortedDictionary<string, string>(StringComparer.Ordinal);
            g[k[(us + 1)..]] = v;
        }
        paths.Sort((a, b) => a.DevId.CompareTo(b.DevId));

        var w = Console.Out;
        if (paths.Count == 0) w.Write("No valid-ish paths found\n");
        else if (mode == "print")
        {
            w.Write("Paths...\n");
            foreach (var p in paths) w.Write($" - {p.Url}\n");
        }
        else
        {
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
            var results = new List<PathResult>();
            w.Write(mode == "stat" ? "Checking status of paths...\n" : "Fetching and summing paths...\n");
            foreach (var p in paths)
                results.Add(mode == "stat" ? await StatAsync(http, p.Url, ct) : await FetchAsync(http, p.Url, ct));
            EmitResults(w, mode == "fetch", parts.GetValueOrDefault("fid"), results);
        }

        w.Write("\nTempfile and/or queue rows...\n");
        bool found = false;
        foreach (var type in new[] { "tempfile", "replqueue", "delqueue", "rebqueue", "fsckqueue" })
        {
            if (!parts.TryGetValue(type, out var part)) continue;
            found = true;
            w.Write($"- {type,12}\n");
            foreach (var (k, v) in part) w.Write($"  {k,20}: {v,20}\n");
        }
        if (!found) w.Write("none.\n");

        if (parts.TryGetValue("fid", out var row))
        {
            w.Write("\n- File Row:\n");
            foreach (var (k, v) in row) w.Write($"  {k,8}: {v,20}\n");
        }
        else
        {
            w.Write("- ERROR: No file row was found!\nFile may have been deleted or never closed.\n" +
                    "See above for any matching rows from tempfile or delqueue.\n");
        }
        if (details.TryGetValue("devids", out var devids) && devids.Length > 0 && devids != "0")
            w.Write($"\n- Raw devids: {devids}\n");
        if (details.TryGetValue("checksum", out var sum) && sum.Length > 0 && sum != "0")
            w.Write($"\n- Stored checksum: {sum}\n");
        return 0;
    });

    private static string StatusLine(HttpResponseMessage r) => $"{(int)r.StatusCode} {r.ReasonPhrase}".TrimEnd();

    private static async Task<PathResult> StatAsync(HttpClient http, string url, CancellationToken ct)
    {
        try
        {
            using var r = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), ct);
            return new PathResult(url, StatusLine(r), r.Content.Headers.ContentLength, null,
                r.Content.Headers.LastModified?.ToString("r"));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new PathResult(url, "500 " + e.Message, null, null, null);
        }
    }

    private static async Task<PathResult> FetchAsync(HttpClient http, string url, CancellationToken ct)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        long length = 0;
        string status; string? mtime = null;
        try
        {
            using var r = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
            status = StatusLine(r);
            mtime = r.Content.Headers.LastModified?.ToString("r");
            if (r.StatusCode != HttpStatusCode.NotFound)
            {
                await using var body = await r.Content.ReadAsStreamAsync(ct);
                var buf = new byte[65536];
                int n;
                while ((n = await body.ReadAsync(buf, ct)) > 0) { md5.AppendData(buf, 0, n); length += n; }
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            status = "500 " + e.Message;
        }
        return new PathResult(url, status, length, Convert.ToHexStringLower(md5.GetHashAndReset()), mtime);
    }

    private static void EmitResults(TextWriter w, bool needHash, IDictionary<string, string>? fidRow, List<PathResult> results)
    {
        string? hash = null;
        long? len = fidRow != null && fidRow.TryGetValue("length", out var l) && long.TryParse(l, out var ln) ? ln : null;
        if (len is null) w.Write("No length, cannot verify content length");
        foreach (var res in results)
        {
            w.Write($"\nResults for path: {res.Path}\n");
            if (res.Status.Contains("404", StringComparison.Ordinal))
            {
                w.Write($" - ERROR: File copy is missing: {res.Status}\n");
                continue;
            }
            if (needHash)
            {
                hash ??= res.Hash;
                if (hash != res.Hash) w.Write(" - ERROR: Hash does not match first path!\n");
            }
            if (len is not null && res.Length is not null && len != res.Length)
                w.Write(" - ERROR: Length does not match file row!\n");
            if (needHash) w.Write($" - MD5 Hash: {res.Hash}\n");
            if (res.Length is not null) w.Write($" - Length: {res.Length}\n");
            if (res.LastModified is not null) w.Write($" - Last-Modified: {res.LastModified}\n");
            w.Write($" - HTTP result: {res.Status}\n");
        }
    }
}
