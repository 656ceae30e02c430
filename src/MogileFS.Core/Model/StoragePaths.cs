using System.Globalization;

namespace MogileFS.Core.Model;

/// <summary>Storage URL layout (tracker-protocol.md §6.4): http://ip:port/dev{D}/a/bbb/ccc/NNNNNNNNNN.fid</summary>
public static class StoragePaths
{
    /// <summary>The path part: /dev{devid}/a/bbb/ccc/{fid:D10}.fid</summary>
    public static string FidPath(int devid, long fid)
    {
        var n = fid.ToString("D10", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"/dev{devid}/{n[0]}/{n.AsSpan(1, 3)}/{n.AsSpan(4, 3)}/{n}.fid");
    }

    public static string Url(string ip, int port, int devid, long fid) =>
        string.Create(CultureInfo.InvariantCulture, $"http://{ip}:{port}{FidPath(devid, fid)}");
}
