namespace MogileFS.Gateway;

/// <summary>
/// Base of the gateway's forward-only, read-only streams (request bodies being verified or
/// de-chunked, part sources, storage-node response bodies): a subclass implements
/// <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>; the array and synchronous overloads go
/// through it, and everything else is not supported (a subclass that knows its length overrides
/// <see cref="Length"/> and <see cref="Position"/>).
/// </summary>
public abstract class ReadOnlyStream : Stream
{
    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
