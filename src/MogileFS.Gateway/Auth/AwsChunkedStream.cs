using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using MogileFS.Gateway.S3;

namespace MogileFS.Gateway.Auth;

/// <summary>
/// Decodes an aws-chunked request body (<c>Content-Encoding: aws-chunked</c>):
/// <c>hex-size[;chunk-signature=sig]\r\n data \r\n</c> ... a zero-size chunk, then optional
/// trailing headers (<c>name:value\r\n</c>, ending with an empty line). With signatures, each chunk's
/// signature chains from the previous one (the seed is the request's signature) and is checked
/// as soon as the chunk has been read, before its bytes are handed on; a trailer signature covers
/// the trailing headers. The decoded length must equal <c>x-amz-decoded-content-length</c>.
/// Reads straight from Kestrel's pipe: no copy of the payload besides the caller's buffer.
/// </summary>
public sealed class AwsChunkedStream : ReadOnlyStream
{
    private const int MaxLine = 4096;
    private readonly PipeReader _in;
    private readonly bool _signed;
    private readonly bool _trailer;
    private readonly byte[] _key;
    private readonly string _amzDate;
    private readonly string _scope;
    private readonly ChecksumVerifier? _checksum;
    private readonly long? _decodedLength;
    private readonly IncrementalHash _chunkHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private string _previousSignature;
    private string? _chunkSignature;
    private long _left;        // bytes left in the current chunk
    private bool _inChunk;
    private bool _done;
    private long _total;

    public AwsChunkedStream(S3Request req, bool signed, bool trailer, byte[] key, string amzDate, string scope,
        string seedSignature, ChecksumVerifier? checksum)
    {
        _in = req.Request.BodyReader;
        _signed = signed;
        _trailer = trailer;
        _key = key;
        _amzDate = amzDate;
        _scope = scope;
        _previousSignature = seedSignature.ToLowerInvariant();
        _checksum = checksum;
        var decoded = req.Header("x-amz-decoded-content-length");
        if (decoded != null)
        {
            if (!long.TryParse(decoded, NumberStyles.None, CultureInfo.InvariantCulture, out var d))
                throw S3Errors.InvalidArgument("x-amz-decoded-content-length is not a number", "x-amz-decoded-content-length", decoded);
            _decodedLength = d;
        }
        else if (signed && !trailer) throw S3Errors.MissingContentLength();
    }

    /// <summary>The payload length the client announced (x-amz-decoded-content-length), when it did.</summary>
    public long? DecodedLength => _decodedLength;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_done || buffer.Length == 0) return 0;
        while (_left == 0)
        {
            if (_inChunk) await EndChunkAsync(ct).ConfigureAwait(false);
            if (!await StartChunkAsync(ct).ConfigureAwait(false))
            {
                _done = true;
                return 0;
            }
        }
        var result = await _in.ReadAsync(ct).ConfigureAwait(false);
        var seq = result.Buffer;
        while (seq.IsEmpty)
        {
            _in.AdvanceTo(seq.Start);
            if (result.IsCompleted) throw S3Errors.IncompleteBody();
            result = await _in.ReadAsync(ct).ConfigureAwait(false);
            seq = result.Buffer;
        }
        int n = (int)Math.Min(Math.Min(seq.Length, _left), buffer.Length);
        var slice = seq.Slice(0, n);
        slice.CopyTo(buffer.Span);
        _in.AdvanceTo(slice.End);
        var data = buffer.Span[..n];
        _chunkHash.AppendData(data);
        _checksum?.Append(data);
        _left -= n;
        _total += n;
        if (_decodedLength is { } max && _total > max) throw S3Errors.IncompleteBody();
        // A chunk's bytes are handed on before its signature is checked at the chunk's end; the signature
        // of the last chunk, the trailer and the length are checked before the final read returns 0, so a
        // reader that stores data only after reading to the end never stores unverified data.
        return n;
    }

    private async ValueTask<bool> StartChunkAsync(CancellationToken ct)
    {
        string line = await ReadLineAsync(ct).ConfigureAwait(false);
        int semi = line.IndexOf(';');
        string sizeText = semi < 0 ? line : line[..semi];
        if (!long.TryParse(sizeText.Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long size) || size < 0)
            throw S3Errors.InvalidRequest("Malformed aws-chunked body: bad chunk size line.");
        _chunkSignature = null;
        if (semi >= 0)
        {
            const string tag = "chunk-signature=";
            int at = line.IndexOf(tag, semi, StringComparison.Ordinal);
            if (at >= 0) _chunkSignature = line[(at + tag.Length)..].Trim();
        }
        if (_signed && _chunkSignature is null) throw S3Errors.InvalidRequest("Malformed aws-chunked body: chunk without chunk-signature.");
        _left = size;
        _inChunk = size > 0;
        if (size > 0) return true;

        // The last chunk: check its signature (over no data), then the trailer, then the length.
        CheckChunkSignature();
        if (_trailer) await ReadTrailerAsync(ct).ConfigureAwait(false);
        else await ExpectEmptyLineAsync(ct).ConfigureAwait(false);
        if (_decodedLength is { } expected && _total != expected) throw S3Errors.IncompleteBody();
        if (_checksum is { } c && !_trailer) c.Check();
        return false;
    }

    private async ValueTask EndChunkAsync(CancellationToken ct)
    {
        await ExpectEmptyLineAsync(ct).ConfigureAwait(false);
        CheckChunkSignature();
        _inChunk = false;
    }

    private void CheckChunkSignature()
    {
        var hash = Convert.ToHexStringLower(_chunkHash.GetHashAndReset());
        if (!_signed) return;
        var expected = SigV4.ChunkSignature(_key, _amzDate, _scope, _previousSignature, hash);
        if (!SigV4.SameSignature(expected, _chunkSignature ?? "")) throw S3Errors.SignatureDoesNotMatch();
        _previousSignature = expected;
    }

    private async ValueTask ReadTrailerAsync(CancellationToken ct)
    {
        var canonical = new StringBuilder();
        string? trailerSignature = null;
        while (true)
        {
            string line = await ReadLineAsync(ct).ConfigureAwait(false);
            if (line.Length == 0) break;
            int colon = line.IndexOf(':');
            if (colon <= 0) throw S3Errors.InvalidRequest("Malformed aws-chunked trailer.");
            string name = line[..colon].Trim().ToLowerInvariant(), value = line[(colon + 1)..].Trim();
            if (name == "x-amz-trailer-signature") { trailerSignature = value; continue; }
            canonical.Append(name).Append(':').Append(value).Append('\n');
            if (_checksum != null && name == _checksum.HeaderName) _checksum.Expected = value;
        }
        if (_signed)
        {
            var expected = SigV4.TrailerSignature(_key, _amzDate, _scope, _previousSignature, SigV4.Sha256Hex(canonical.ToString()));
            if (trailerSignature is null || !SigV4.SameSignature(expected, trailerSignature)) throw S3Errors.SignatureDoesNotMatch();
        }
        _checksum?.Check();
    }

    private async ValueTask ExpectEmptyLineAsync(CancellationToken ct)
    {
        if ((await ReadLineAsync(ct).ConfigureAwait(false)).Length != 0)
            throw S3Errors.InvalidRequest("Malformed aws-chunked body: chunk data longer than its size.");
    }

    /// <summary>Reads one CRLF-terminated line (ASCII), without the CRLF.</summary>
    private async ValueTask<string> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var result = await _in.ReadAsync(ct).ConfigureAwait(false);
            var buf = result.Buffer;
            var lf = buf.PositionOf((byte)'\n');
            if (lf is { } end)
            {
                var lineSeq = buf.Slice(0, end);
                string line = Encoding.ASCII.GetString(lineSeq.IsSingleSegment ? lineSeq.FirstSpan : lineSeq.ToArray());
                _in.AdvanceTo(buf.GetPosition(1, end));
                return line.EndsWith('\r') ? line[..^1] : line;
            }
            if (buf.Length > MaxLine) throw S3Errors.InvalidRequest("Malformed aws-chunked body: line too long.");
            if (result.IsCompleted)
            {
                _in.AdvanceTo(buf.Start, buf.End);
                throw S3Errors.IncompleteBody();
            }
            _in.AdvanceTo(buf.Start, buf.End);
        }
    }

}
