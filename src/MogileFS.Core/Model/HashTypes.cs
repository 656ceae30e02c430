using System.Security.Cryptography;

namespace MogileFS.Core.Model;

/// <summary>
/// The one place where checksum types meet their names, stored numbers, digest lengths and
/// hash algorithms. The names (<c>MD5</c>, <c>SHA-1</c>, case-sensitive) are 2.73's wire and
/// server-setting spellings; the numbers are <c>checksum.hashtype</c> / <c>class.hashtype</c>.
/// </summary>
public static class HashTypes
{
    /// <summary>Wire name of a real algorithm (MD5, SHA-1); throws for <see cref="HashType.None"/>.</summary>
    public static string Name(HashType t) => t switch
    {
        HashType.MD5 => "MD5",
        HashType.SHA1 => "SHA-1",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown hash type"),
    };

    /// <summary>"MD5" / "SHA-1" exactly (no NONE, no other case) → the algorithm.</summary>
    public static bool TryParseName(ReadOnlySpan<char> name, out HashType t)
    {
        if (name.SequenceEqual("MD5")) t = HashType.MD5;
        else if (name.SequenceEqual("SHA-1")) t = HashType.SHA1;
        else t = HashType.None;
        return t != HashType.None;
    }

    /// <summary>Raw digest length in bytes (0 for None).</summary>
    public static int DigestLength(HashType t) => t switch
    {
        HashType.MD5 => 16,
        HashType.SHA1 => 20,
        _ => 0,
    };

    /// <summary>A stored hashtype number (1 = MD5, 2 = SHA-1) → the algorithm; false for anything else.</summary>
    public static bool TryFromStored(int hashtype, out HashType t)
    {
        t = hashtype switch { 1 => HashType.MD5, 2 => HashType.SHA1, _ => HashType.None };
        return t != HashType.None;
    }

    /// <summary>An incremental hasher for a real algorithm; throws for <see cref="HashType.None"/>.</summary>
    public static IncrementalHash CreateHasher(HashType t) => t switch
    {
        HashType.MD5 => IncrementalHash.CreateHash(HashAlgorithmName.MD5),
        HashType.SHA1 => IncrementalHash.CreateHash(HashAlgorithmName.SHA1),
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };
}
