using System.Globalization;

namespace MogileFS.Core.Model;

/// <summary>
/// The fid → storage path formula of MogileFS 2.73 (tracker-protocol.md §6.4, storage-node.md §2.2)
/// and the URLs built from it: <c>http://ip:port/dev&lt;D&gt;/&lt;a&gt;/&lt;bbb&gt;/&lt;ccc&gt;/&lt;NNNNNNNNNN&gt;.fid</c>.
/// The fid is left-padded with zeros to at least 10 digits; the directory parts are digits 1, 2-4 and
/// 5-7 of the first ten. Longer fids are neither padded nor truncated (their directories still come
/// from the first ten digits). Each path or URL is built with one <see cref="string.Create{TState}"/>.
/// </summary>
public static class StoragePaths
{
    /// <summary>Number of decimal digits of a non-negative value.</summary>
    private static int Digits(long v)
    {
        int n = 1;
        while (v >= 10) { v /= 10; n++; }
        return n;
    }

    private static int WriteLong(Span<char> dst, long v)
    {
        v.TryFormat(dst, out int w, default, CultureInfo.InvariantCulture);
        return w;
    }

    /// <summary>Writes the zero-padded fid digits ("0000001004") and returns the count written.</summary>
    private static int WritePaddedFid(Span<char> dst, long fid)
    {
        int d = Digits(fid);
        int pad = d < 10 ? 10 - d : 0;
        dst[..pad].Fill('0');
        return pad + WriteLong(dst[pad..], fid);
    }

    /// <summary>Length of "/dev&lt;D&gt;/a/bbb/ccc/NNNNNNNNNN.fid".</summary>
    private static int PathLength(int devid, long fid)
    {
        int fidLen = Math.Max(10, Digits(fid));
        return 4 + Digits(devid) + 1 + 1 + 1 + 3 + 1 + 3 + 1 + fidLen + 4;
    }

    private static int WritePath(Span<char> dst, int devid, long fid)
    {
        int p = 0;
        "/dev".AsSpan().CopyTo(dst); p += 4;
        p += WriteLong(dst[p..], devid);
        dst[p++] = '/';
        Span<char> nfid = stackalloc char[24];
        int n = WritePaddedFid(nfid, fid);
        dst[p++] = nfid[0];
        dst[p++] = '/';
        nfid.Slice(1, 3).CopyTo(dst[p..]); p += 3;
        dst[p++] = '/';
        nfid.Slice(4, 3).CopyTo(dst[p..]); p += 3;
        dst[p++] = '/';
        nfid[..n].CopyTo(dst[p..]); p += n;
        ".fid".AsSpan().CopyTo(dst[p..]); p += 4;
        return p;
    }

    /// <summary>The URI path (<c>/dev&lt;D&gt;/a/bbb/ccc/NNNNNNNNNN.fid</c>) of fid <paramref name="fid"/> on device <paramref name="devid"/>.</summary>
    public static string FidPath(int devid, long fid)
    {
        if (fid < 0) throw new ArgumentOutOfRangeException(nameof(fid));
        return string.Create(PathLength(devid, fid), (devid, fid), static (span, s) => WritePath(span, s.devid, s.fid));
    }

    /// <summary><c>http://&lt;ip&gt;:&lt;port&gt;/dev&lt;D&gt;/...fid</c></summary>
    public static string Url(string ip, int port, int devid, long fid)
    {
        if (fid < 0) throw new ArgumentOutOfRangeException(nameof(fid));
        int len = 7 + ip.Length + 1 + Digits(port) + PathLength(devid, fid);
        return string.Create(len, (ip, port, devid, fid), static (span, s) =>
        {
            int p = 0;
            "http://".AsSpan().CopyTo(span); p += 7;
            s.ip.AsSpan().CopyTo(span[p..]); p += s.ip.Length;
            span[p++] = ':';
            p += WriteLong(span[p..], s.port);
            WritePath(span[p..], s.devid, s.fid);
        });
    }

}
