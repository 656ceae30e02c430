using System.IO.Pipelines;

namespace MogileFS.Gateway.Transport;

/// <summary>
/// The output pipe's writer as Kestrel sees it: passes everything to the pipe and counts it, except the bytes of
/// a splice, which Kestrel advances (for its Content-Length accounting) but which are never filled: they are
/// dropped here and the send loop sends the file in their place (<see cref="SpliceConnection"/>).
/// </summary>
internal sealed class SplicingWriter(SpliceConnection connection, PipeWriter pipe) : PipeWriter
{
    // What Kestrel may "write" into while a splice is being advanced. Its content is never read or sent.
    private static readonly byte[] Scratch = new byte[1 << 20];

    private long _swallow;

    /// <summary>Bytes passed to the pipe so far.</summary>
    public long Advanced { get; private set; }

    public bool InSplice => _swallow > 0;

    public void Swallow(long length) => _swallow = length;

    public override void Advance(int bytes)
    {
        if (_swallow > 0)
        {
            if (bytes > _swallow) throw new InvalidOperationException("a response wrote past the end of a spliced file region");
            _swallow -= bytes;
            return;
        }
        pipe.Advance(bytes);
        Advanced += bytes;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_swallow == 0) return pipe.GetMemory(sizeHint);
        int size = (int)Math.Min(_swallow, Math.Max(sizeHint, Scratch.Length));
        return size <= Scratch.Length ? Scratch.AsMemory(0, size) : new byte[size];
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        var flush = pipe.FlushAsync(cancellationToken);
        var room = connection.WaitForRoomAsync();
        if (room.IsCompletedSuccessfully) return flush;
        return WaitAsync(flush, room);

        static async ValueTask<FlushResult> WaitAsync(ValueTask<FlushResult> flush, ValueTask room)
        {
            var result = await flush.ConfigureAwait(false);
            await room.ConfigureAwait(false);
            return result;
        }
    }

    public override void CancelPendingFlush() => pipe.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        connection.KestrelDone();
        pipe.Complete(exception);
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        connection.KestrelDone();
        return pipe.CompleteAsync(exception);
    }

    public override bool CanGetUnflushedBytes => pipe.CanGetUnflushedBytes;

    public override long UnflushedBytes => pipe.UnflushedBytes;
}
