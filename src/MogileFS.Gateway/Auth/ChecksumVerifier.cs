using System.IO.Hashing;
using System.Security.Cryptography;
using MogileFS.Gateway.S3;

namespace MogileFS.Gateway.Auth;

/// <summary>
/// The "additional checksum" of a request (x-amz-checksum-crc32 / -sha1 / -sha256, in a header or
/// announced by x-amz-trailer and sent after an aws-chunked body), computed over the payload and
/// compared at its end. CRC32C and CRC64NVME values are accepted without being checked (docs/s3.md).
/// </summary>
public sealed class ChecksumVerifier
{
    private readonly string _algorithm;
    private readonly Crc32? _crc32;
    private readonly IncrementalHash? _hash;

    private ChecksumVerifier(string algorithm, string? expected)
    {
        _algorithm = algorithm;
        Expected = expected;
        switch (algorithm)
        {
            case "crc32": _crc32 = new Crc32(); break;
            case "sha1": _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1); break;
            case "sha256": _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256); break;
        }
    }

    /// <summary>The header (and trailer) name, e.g. <c>x-amz-checksum-crc32</c>.</summary>
    public string HeaderName => "x-amz-checksum-" + _algorithm;

    /// <summary>The expected value (base64), from the header or, later, the trailer.</summary>
    public string? Expected { get; set; }

    public static ChecksumVerifier? FromHeaders(S3Request req)
    {
        foreach (var alg in (string[])["crc32", "crc32c", "crc64nvme", "sha1", "sha256"])
            if (req.Header("x-amz-checksum-" + alg) is { Length: > 0 } v) return new ChecksumVerifier(alg, v.Trim());
        if (req.Header("x-amz-trailer") is { Length: > 0 } trailer)
        {
            var name = trailer.Trim().ToLowerInvariant();
            if (name.StartsWith("x-amz-checksum-", StringComparison.Ordinal)) return new ChecksumVerifier(name["x-amz-checksum-".Length..], null);
        }
        return null;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        _crc32?.Append(data);
        _hash?.AppendData(data);
    }

    /// <summary>Throws BadDigest when the computed value differs from <see cref="Expected"/>.</summary>
    public void Check()
    {
        if (Expected is null) throw S3Errors.InvalidRequest($"The {HeaderName} trailer was announced but not sent.");
        string? actual = null;
        if (_crc32 != null)
        {
            // S3 sends CRC32 big-endian, base64.
            var v = _crc32.GetCurrentHashAsUInt32();
            actual = Convert.ToBase64String([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
        }
        else if (_hash != null) actual = Convert.ToBase64String(_hash.GetCurrentHash());
        if (actual != null && actual != Expected)
            throw new S3Exception(400, "BadDigest", $"The {_algorithm.ToUpperInvariant()} you specified did not match the calculated checksum.");
    }
}
