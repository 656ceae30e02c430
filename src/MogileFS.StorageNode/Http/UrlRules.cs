namespace MogileFS.StorageNode.Http;

/// <summary>How request targets become paths under the docroot (storage-node.md §3.2–3.4),
/// plus the checks we add so no form of traversal reaches the file system.</summary>
internal static class UrlRules
{
    public enum GetVerdict { Ok, Bogus, MultipleFiles, MultipleFilesNoSlash }

    /// <summary>
    /// GET/HEAD: %-decode, refuse <c>/../</c> and targets not starting with <c>/</c> (2.73),
    /// refuse the disabled <c>??</c> feature (2.73), drop the query. Ours on top: a <c>..</c>
    /// segment anywhere (also at the end or with backslashes) and NUL bytes are refused too.
    /// Writes the path without its leading slash, NUL-terminated, into <paramref name="dest"/>.
    /// </summary>
    public static GetVerdict DecodeGetTarget(ReadOnlySpan<byte> target, Span<byte> dest, out int length)
    {
        length = 0;
        int n = 0;
        for (int i = 0; i < target.Length; i++)
        {
            byte b = target[i];
            if (b == '%' && i + 2 < target.Length && IsHex(target[i + 1]) && IsHex(target[i + 2]))
            {
                b = (byte)(HexVal(target[i + 1]) << 4 | HexVal(target[i + 2]));
                i += 2;
            }
            dest[n++] = b;
        }
        var path = dest[..n];
        if (n == 0 || path[0] != '/' || path.IndexOf("/../"u8) >= 0) return GetVerdict.Bogus;
        int qq = path.IndexOf("??"u8);
        if (qq >= 0) return qq > 0 && path[qq - 1] == '/' ? GetVerdict.MultipleFiles : GetVerdict.MultipleFilesNoSlash;
        int q = path.IndexOf((byte)'?');
        if (q >= 0) path = path[..q];
        if (path.IndexOf((byte)0) >= 0 || HasDotDotSegment(path)) return GetVerdict.Bogus;

        // Strip the leading slash(es): the rest is relative to the docroot.
        int s = 0;
        while (s < path.Length && path[s] == '/') s++;
        int len = path.Length - s;
        if (len == 0)
        {
            dest[0] = (byte)'.';
            length = 1;
        }
        else
        {
            path[s..].CopyTo(dest);
            length = len;
        }
        dest[length] = 0;
        return GetVerdict.Ok;
    }

    /// <summary>A segment equal to <c>..</c>, with <c>/</c> or <c>\</c> as separators.</summary>
    public static bool HasDotDotSegment(ReadOnlySpan<byte> path)
    {
        int i = 0;
        while (i < path.Length)
        {
            int s = i;
            while (i < path.Length && path[i] != '/' && path[i] != '\\') i++;
            if (i - s == 2 && path[s] == '.' && path[s + 1] == '.') return true;
            i++;
        }
        return false;
    }

    /// <summary>
    /// PUT/DELETE (raw target, 2.73 rules): no <c>..</c> anywhere, and only
    /// <c>/</c>-separated non-empty components of <c>[A-Za-z0-9_.-]</c>.
    /// Returns the number of components, or 0 when invalid.
    /// </summary>
    public static int ValidateWriteTarget(ReadOnlySpan<byte> target)
    {
        if (target.Length < 2 || target[0] != '/' || target.IndexOf(".."u8) >= 0) return 0;
        int components = 0;
        int segLen = 0;
        for (int i = 1; i < target.Length; i++)
        {
            byte b = target[i];
            if (b == '/')
            {
                if (segLen == 0) return 0;
                components++;
                segLen = 0;
            }
            else if (IsNameChar(b)) segLen++;
            else return 0;
        }
        if (segLen == 0) return 0;
        return components + 1;
    }

    private static bool IsNameChar(byte b) =>
        (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_' || b == '.' || b == '-';

    private static bool IsHex(byte b) => (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');

    private static int HexVal(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
