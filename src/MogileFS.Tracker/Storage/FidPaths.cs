using System.Globalization;
using MogileFS.Core.Model;

namespace MogileFS.Tracker.Storage;

/// <summary>
/// Tracker-side helpers around the path formula in <see cref="StoragePaths"/>: the parent
/// directories create_open vivifies, and 2.73's URL splitting.
/// </summary>
public static class FidPaths
{
    /// <summary>
    /// The three parent directories that <c>create_open</c> vivifies with MKCOL, each with the trailing
    /// slash RFC 2518 recommends: <c>/dev3/0/</c>, <c>/dev3/0/000/</c>, <c>/dev3/0/000/001/</c>.
    /// </summary>
    public static (string Level1, string Level2, string Level3) ParentDirectories(int devid, long fid)
    {
        string path = StoragePaths.FidPath(devid, fid);
        // "/dev<D>/" then 2, 6 and 10 more characters.
        int start = path.IndexOf('/', 1) + 1;
        return (path[..(start + 2)], path[..(start + 6)], path[..(start + 10)]);
    }

    /// <summary>
    /// Splits an absolute http URL into host, port and path the way 2.73's HTTPFile does
    /// (<c>^http://([^:/]+)(?::(\d+))?(/.+)$</c>). Port defaults to 80.
    /// </summary>
    public static bool TryParseHttpUrl(string url, out string host, out int port, out string path)
    {
        host = ""; port = 80; path = "";
        if (!url.StartsWith("http://", StringComparison.Ordinal)) return false;
        int i = 7, hostStart = 7;
        while (i < url.Length && url[i] != ':' && url[i] != '/') i++;
        if (i == hostStart) return false;
        host = url[hostStart..i];
        if (i < url.Length && url[i] == ':')
        {
            int ps = ++i;
            while (i < url.Length && url[i] >= '0' && url[i] <= '9') i++;
            if (i == ps || i - ps > 5 || !int.TryParse(url.AsSpan(ps, i - ps), NumberStyles.None, CultureInfo.InvariantCulture, out port))
                return false;
        }
        if (i >= url.Length - 1 || url[i] != '/') return false;
        path = url[i..];
        return true;
    }
}
