using MogileFS.Core.Model;

namespace MogileFS.Tracker.Commands.Files;

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

    public static string Name(HashType t) => t switch
    {
        HashType.MD5 => "MD5",
        HashType.SHA1 => "SHA-1",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown hash type"),
    };

    public static int DigestLength(HashType t) => t switch
    {
        HashType.MD5 => 16,
        HashType.SHA1 => 20,
        _ => 0,
    };

    public static bool TryFromStored(int hashtype, out HashType t)
    {
        t = hashtype switch { 1 => HashType.MD5, 2 => HashType.SHA1, _ => HashType.None };
        return t != HashType.None;
    }

    public string HexDigest => Convert.ToHexStringLower(Digest);

    /// <summary><c>MD5:&lt;lowercase hex&gt;</c> (file_info, file_debug).</summary>
    public string Info => Name(Type) + ":" + HexDigest;

    /// <summary>2.73's stringification, used as "Expected:" in <c>checksum_mismatch</c> (quirk Q10).</summary>
    public string DebugString(string fidArgument) => $"Checksum[f={fidArgument};{Name(Type)}={HexDigest}]";

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
        HashType t;
        if (name.SequenceEqual("MD5")) t = HashType.MD5;
        else if (name.SequenceEqual("SHA-1")) t = HashType.SHA1;
        else return false;
        if (hex.Length != 2 * DigestLength(t)) return false;
        checksum = new FileChecksum(t, Convert.FromHexString(hex));
        return true;
    }

    /// <summary>Computes the digest of <paramref name="data"/> with the given algorithm.</summary>
    public static System.Security.Cryptography.IncrementalHash CreateHasher(HashType t) => t switch
    {
        HashType.MD5 => System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.MD5),
        HashType.SHA1 => System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA1),
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };
}
