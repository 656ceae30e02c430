using System.Security.Cryptography;

namespace MogileFS.Client.Tests;

/// <summary>Wraps a stream and hides that it can seek (like a pipe or a socket).</summary>
internal sealed class NonSeekableStream(Stream inner) : Stream
{
    public Stream Inner => inner;
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
}

/// <summary>A non-seekable stream of <c>length</c> deterministic bytes, generated on the fly.</summary>
internal sealed class PatternStream(long length, int seed) : Stream
{
    private long _pos;
    private uint _state = (uint)seed * 2654435761u + 1;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = (int)Math.Min(count, length - _pos);
        for (int i = 0; i < n; i++)
        {
            _state ^= _state << 13; _state ^= _state >> 17; _state ^= _state << 5;
            buffer[offset + i] = (byte)_state;
        }
        _pos += n;
        return n;
    }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public byte[] Sha256()
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[1 << 16];
        int n;
        while ((n = Read(buf, 0, buf.Length)) > 0) h.AppendData(buf, 0, n);
        return h.GetHashAndReset();
    }
}

/// <summary>A write-only sink that only hashes what it receives.</summary>
internal sealed class HashingSink : Stream
{
    private readonly IncrementalHash _h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    public byte[] Hash() => _h.GetHashAndReset();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => _h.AppendData(buffer, offset, count);
    protected override void Dispose(bool disposing) { if (disposing) _h.Dispose(); base.Dispose(disposing); }
}
