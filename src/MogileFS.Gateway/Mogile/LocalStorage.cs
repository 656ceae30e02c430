namespace MogileFS.Gateway.Mogile;

/// <summary>
/// Storage nodes on this host (option <c>local_storage = ip:port=docroot</c>): a copy whose URL names such a
/// node is read from its docroot directly instead of over HTTP. A fid's file never changes once written (a new
/// version of a key is a new fid), so an open file is a consistent snapshot even if the key is overwritten or
/// deleted meanwhile. Anything unexpected (no file, another length, an error, a path that leaves the docroot)
/// makes the copy count as failed, and the caller reads the next copy over HTTP as usual.
/// Writes to such nodes are in LocalStorage.Write.cs.
/// </summary>
public sealed partial class LocalStorage
{
    private volatile Dictionary<string, string> _roots;

    public enum Result { NotLocal, Opened, Missing, Failed }

    private LocalStorage(Dictionary<string, string> roots, bool writes)
    {
        _roots = roots;
        Writes = writes;
    }

    /// <summary>The mapping of the options (null when there is none).</summary>
    public static LocalStorage? From(GatewayOptions options) =>
        options.LocalStorage.Count == 0 ? null
            : new LocalStorage(Normalize(options.LocalStorage), options.LocalStorageWrites);

    private static Dictionary<string, string> Normalize(IEnumerable<KeyValuePair<string, string>> roots) =>
        roots.ToDictionary(kv => kv.Key, kv => Path.TrimEndingDirectorySeparator(Path.GetFullPath(kv.Value)), StringComparer.OrdinalIgnoreCase);

    /// <summary>Tests: points the nodes at other docroots (to inject faults), replacing the whole mapping at once.</summary>
    internal void Remap(IEnumerable<KeyValuePair<string, string>> roots) => _roots = Normalize(roots);

    /// <summary>The docroot of the node in storage URL <paramref name="url"/>, or null when it is not local.</summary>
    private string? RootOf(string url, out int pathStart)
    {
        pathStart = -1;
        if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) return null;
        int slash = url.IndexOf('/', 7);
        if (slash < 0) return null;
        string authority = url[7..slash];
        if (!authority.Contains(':')) authority += ":80";
        if (!_roots.TryGetValue(authority, out var root)) return null;
        pathStart = slash;
        return root;
    }

    /// <summary>Parses one <c>ip:port=docroot</c> value into <paramref name="options"/>; the message names the key.</summary>
    public static void Add(GatewayOptions options, string value)
    {
        int eq = value.IndexOf('=');
        string node = eq > 0 ? value[..eq].Trim() : "", root = eq > 0 ? value[(eq + 1)..].Trim() : "";
        int colon = node.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(node[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port)
            || port is < 1 or > 65535 || root.Length == 0 || !Path.IsPathFullyQualified(root))
            throw new GatewayConfigException($"local_storage: expected <ip:port>=<absolute docroot>, got '{value}'");
        options.LocalStorage[node] = root;
    }

    /// <summary>
    /// Opens the file behind storage URL <paramref name="url"/> if its node is local. <see cref="Result.Opened"/>
    /// gives a stream the caller owns, whose length is <paramref name="length"/> (-1: any length, for callers that do
    /// not know the file's; MogileFS nodes link a file into place only once it is whole); <see cref="Result.Missing"/> is
    /// the local equivalent of a 404; <paramref name="why"/> says what failed.
    /// </summary>
    public Result Open(string url, long length, out FileStream? file, out string? why)
    {
        file = null;
        why = null;
        if (RootOf(url, out int slash) is not { } root) return Result.NotLocal;
        var path = Resolve(root, url[slash..]);
        if (path is null)
        {
            why = "path leaves the docroot or is not a plain path";
            return Result.Failed;
        }
        FileStream? fs = null;
        try
        {
            fs = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 0,
                Options = FileOptions.Asynchronous, // sendfile through Socket.SendPacketsAsync wants that
            });
            long actual = fs.Length;
            if (length >= 0 && actual != length)
            {
                why = $"local file {path} has {actual} bytes, the file has {length}";
                fs.Dispose();
                return Result.Failed;
            }
            file = fs;
            return Result.Opened;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            fs?.Dispose();
            why = "local file missing";
            return Result.Missing;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            fs?.Dispose();
            why = $"local file {path}: {e.Message}";
            return Result.Failed;
        }
    }

    /// <summary>The file of URL path <paramref name="urlPath"/> under <paramref name="root"/>, or null when the path
    /// is not a plain one (escapes, query, dot segments) or would leave the docroot.</summary>
    internal static string? Resolve(string root, string urlPath)
    {
        if (urlPath.Length < 2 || urlPath[0] != '/') return null;
        foreach (char c in urlPath)
            if (c is '%' or '\\' or '?' or '#' or '\0' || char.IsControl(c)) return null;
        foreach (var segment in urlPath.Split('/'))
            if (segment is "." or "..") return null;
        string full = Path.GetFullPath(root + urlPath);
        return full.StartsWith(root + "/", StringComparison.Ordinal) ? full : null;
    }
}
