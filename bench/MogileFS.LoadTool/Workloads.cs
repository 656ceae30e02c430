using System.Text;

namespace MogileFS.LoadTool;

/// <summary>The request each command sends. One request in flight per connection; keys are drawn
/// at random from the prepared files so that caches see a spread of keys.</summary>
internal static class Workloads
{
    public static readonly string[] All = ["noop", "get_paths", "create_open", "file_info", "list_keys", "store"];

    /// <summary>What runs without --commands (store needs storage nodes that take PUTs).</summary>
    public static readonly string[] Default = ["noop", "get_paths", "create_open", "file_info", "list_keys"];

    public static Func<int, long, Random, byte[]> For(string command, LoadSettings s) => command switch
    {
        "noop" => (_, _, _) => "noop\r\n"u8.ToArray(),
        // What MogileFS::Client sends for get_paths with noverify.
        "get_paths" => (_, _, r) => Line($"get_paths domain={s.Domain}&key={s.Key(r.Next(s.Files))}&noverify=1"),
        // A new key each time (the temp file is simply abandoned, as clients that crash do).
        "create_open" => (conn, i, _) => Line($"create_open domain={s.Domain}&class={s.Class}&key=bench/{s.RunId}/{conn}/{i}&fid=0&multi_dest=1"),
        "file_info" => (_, _, r) => Line($"file_info domain={s.Domain}&key={s.Key(r.Next(s.Files))}&devices=1"),
        // A page of 100 keys after a random key, the way foreach_key pages through a domain.
        "list_keys" => (_, _, r) => Line($"list_keys domain={s.Domain}&prefix=load/&after={s.Key(r.Next(Math.Max(1, s.Files - 100)))}&limit=100"),
        _ => throw new ArgumentException("unknown command " + command),
    };

    /// <summary>
    /// "store": one whole store the way MogileFS::Client does it — create_open, HTTP PUT of a 1 KB body
    /// to path_1, create_close (which HEADs the file) — under a new key each time. Null when it worked,
    /// else the error.
    /// </summary>
    public static async Task<string?> StoreAsync(LineConnection c, HttpClient http, LoadSettings s, int conn, long i)
    {
        string key = $"bench/{s.RunId}/s{conn}/{i}";
        string open = await c.QueryAsync($"create_open domain={s.Domain}&class={s.Class}&key={key}&fid=0&multi_dest=1");
        if (!open.StartsWith("OK", StringComparison.Ordinal)) return open;
        var o = LineConnection.ParseOk(open);
        using var content = new ByteArrayContent(StoreBody);
        using (var put = await http.PutAsync(o["path_1"], content))
            if (!put.IsSuccessStatusCode) return "PUT " + (int)put.StatusCode;
        string close = await c.QueryAsync($"create_close domain={s.Domain}&key={key}&fid={o["fid"]}&devid={o["devid_1"]}&size={StoreBody.Length}&path={o["path_1"]}");
        return close.StartsWith("OK", StringComparison.Ordinal) ? null : close;
    }

    private static readonly byte[] StoreBody = new byte[1024];

    private static byte[] Line(string s) => Encoding.UTF8.GetBytes(s + "\r\n");
}
