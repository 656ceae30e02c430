namespace MogileFS.StorageNode.Http;

/// <summary>Perlbal's extension table (storage-node.md §3.2.6): case-sensitive, text/plain otherwise.</summary>
internal static class MimeTypes
{
    private static readonly byte[] TextPlain = "text/plain"u8.ToArray();

    private static readonly Dictionary<string, byte[]> Map = new(StringComparer.Ordinal)
    {
        ["css"] = "text/css"u8.ToArray(),
        ["doc"] = "application/msword"u8.ToArray(),
        ["gif"] = "image/gif"u8.ToArray(),
        ["htm"] = "text/html"u8.ToArray(),
        ["html"] = "text/html"u8.ToArray(),
        ["jpg"] = "image/jpeg"u8.ToArray(),
        ["js"] = "application/x-javascript"u8.ToArray(),
        ["mp3"] = "audio/mpeg"u8.ToArray(),
        ["mpg"] = "video/mpeg"u8.ToArray(),
        ["pdf"] = "application/pdf"u8.ToArray(),
        ["png"] = "image/png"u8.ToArray(),
        ["tif"] = "image/tiff"u8.ToArray(),
        ["tiff"] = "image/tiff"u8.ToArray(),
        ["torrent"] = "application/x-bittorrent"u8.ToArray(),
        ["txt"] = "text/plain"u8.ToArray(),
        ["zip"] = "application/zip"u8.ToArray(),
    };

    private static readonly Dictionary<string, byte[]>.AlternateLookup<ReadOnlySpan<char>> Lookup = Map.GetAlternateLookup<ReadOnlySpan<char>>();

    public static ReadOnlySpan<byte> For(ReadOnlySpan<byte> path)
    {
        int dot = path.LastIndexOf((byte)'.');
        if (dot < 0) return TextPlain;
        var ext = path[(dot + 1)..];
        if (ext.Length == 3 && ext[0] == 'f' && ext[1] == 'i' && ext[2] == 'd') return TextPlain; // the common case
        if (ext.Length is 0 or > 7) return TextPlain;
        Span<char> chars = stackalloc char[7];
        for (int i = 0; i < ext.Length; i++) chars[i] = (char)ext[i];
        return Lookup.TryGetValue(chars[..ext.Length], out var v) ? v : TextPlain;
    }
}
