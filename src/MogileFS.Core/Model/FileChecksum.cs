namespace MogileFS.Core.Model;

/// <summary>A parsed <c>&lt;ALG&gt;:&lt;hex&gt;</c> checksum (wire format of create_close / file_info).</summary>
public sealed class FileChecksum
{
    public HashType Type { get; }
    /// <summary>Raw digest bytes (16 for MD5, 20 for SHA-1), as stored in <c>checksum.checksum</c>.</summary>
    public byte[] Digest { get; }

    public FileChecksum(HashType type, byte[] digest)
    {
        Type = type;
        Digest = digest;
    }

    public string HexDigest => Convert.ToHexStringLower(Digest);

    /// <summary><c>MD5:&lt;lowercase hex&gt;</c> (file_info, file_debug).</summary>
    public string Info => HashTypes.Name(Type) + ":" + HexDigest;

    /// <summary>2.73's stringification, used as "Expected:" in <c>checksum_mismatch</c> (quirk Q10).</summary>
    public string DebugString(string fidArgument) => $"Checksum[f={fidArgument};{HashTypes.Name(Type)}={HexDigest}]";

    /// <summary>
    /// Parses the create_close <c>checksum</c> argument: <c>^[\w-]+:[0-9a-fA-F]{32,128}$</c> (ASCII word
    /// characters), algorithm name exactly <c>MD5</c> or <c>SHA-1</c> and exactly the digest length of
    /// that algorithm. Anything else is <c>invalid_checksum_format</c>.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> s, out FileChecksum? checksum)
    {
        checksum = null;
        int colon = s.IndexOf(':');
        if (colon <= 0) return false;
        var name = s[..colon];
        var hex = s[(colon + 1)..];
        foreach (char c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-')) return false;
        if (hex.Length < 32 || hex.Length > 128) return false;
        foreach (char c in hex)
            if (!char.IsAsciiHexDigit(c)) return false;
        if (!HashTypes.TryParseName(name, out var t)) return false;
        if (hex.Length != 2 * HashTypes.DigestLength(t)) return false;
        checksum = new FileChecksum(t, Convert.FromHexString(hex));
        return true;
    }
}
