using System.Security.Cryptography;
using MogileFS.Gateway.S3;

namespace MogileFS.Gateway.Auth;

/// <summary>
/// A request body whose SHA-256 was signed (x-amz-content-sha256) and/or that carries an
/// additional checksum: passes the bytes through and, when the body ends, throws if they do not
/// match. A reader that stores the data must read to the end (a read returning 0) before it
/// makes the data visible, so a mismatch always cancels the write.
/// </summary>
public sealed class VerifyingStream(Stream inner, string? sha256Hex, ChecksumVerifier? checksum) : ReadOnlyStream
{
    private readonly IncrementalHash? _sha = sha256Hex is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _checked;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        int n = await inner.ReadAsync(buffer, ct).ConfigureAwait(false);
        if (n > 0)
        {
            _sha?.AppendData(buffer.Span[..n]);
            checksum?.Append(buffer.Span[..n]);
        }
        else if (!_checked)
        {
            _checked = true;
            if (_sha != null && Convert.ToHexStringLower(_sha.GetHashAndReset()) != sha256Hex) throw S3Errors.ContentSha256Mismatch();
            checksum?.Check();
        }
        return n;
    }

}
