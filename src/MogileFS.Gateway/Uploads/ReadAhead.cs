using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace MogileFS.Gateway.Uploads;

/// <summary>
/// Reads a source stream ahead of its consumer on a task of its own, so that fetching the next bytes
/// (from storage nodes) overlaps with sending the last ones (to a storage node). A fixed set of
/// buffers circulates between the two sides, so memory is <c>buffers × bufferSize</c> whatever the
/// length, and nothing is allocated per read. A failure of the source reaches the consumer as the
/// same exception, where its bytes would have come.
/// </summary>
internal sealed class ReadAheadStream : ReadOnlyStream
{
    private readonly Stream _source;
    private readonly Channel<byte[]> _free;
    private readonly Channel<(byte[] Buffer, int Count)> _full;
    private readonly List<byte[]> _owned = [];
    private readonly CancellationTokenSource _stop;
    private readonly Task _pump;
    private Exception? _failure;
    private byte[]? _current;
    private int _pos, _count;
    private bool _ended;

    public ReadAheadStream(Stream source, int buffers, int bufferSize, CancellationToken ct)
    {
        _source = source;
        _free = Channel.CreateUnbounded<byte[]>();
        _full = Channel.CreateUnbounded<(byte[], int)>();
        for (int i = 0; i < buffers; i++)
        {
            var b = ArrayPool<byte>.Shared.Rent(bufferSize);
            _owned.Add(b);
            _free.Writer.TryWrite(b);
        }
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _pump = Task.Run(PumpAsync, CancellationToken.None);
    }

    private async Task PumpAsync()
    {
        try
        {
            var ct = _stop.Token;
            while (true)
            {
                var b = await _free.Reader.ReadAsync(ct).ConfigureAwait(false);
                int filled = 0, n = 1;
                while (filled < b.Length && (n = await _source.ReadAsync(b.AsMemory(filled), ct).ConfigureAwait(false)) > 0) filled += n;
                if (filled > 0) _full.Writer.TryWrite((b, filled));
                if (n == 0) break;
            }
        }
        catch (Exception e) { _failure = e; }
        _full.Writer.TryComplete();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (buffer.Length == 0) return 0;
        while (_current is null || _pos == _count)
        {
            if (_current != null) _free.Writer.TryWrite(_current);
            _current = null;
            if (_ended) return 0;
            if (!await _full.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                if (_failure is { } f) ExceptionDispatchInfo.Throw(f); // written before the channel completed
                _ended = true;
                continue;
            }
            if (_full.Reader.TryRead(out var next)) (_current, _count, _pos) = (next.Buffer, next.Count, 0);
        }
        int take = Math.Min(buffer.Length, _count - _pos);
        _current.AsMemory(_pos, take).CopyTo(buffer);
        _pos += take;
        return take;
    }

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _pump.ConfigureAwait(false); } catch (Exception) { }
        foreach (var b in _owned) ArrayPool<byte>.Shared.Return(b);
        _owned.Clear();
        _stop.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _owned.Count > 0) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }
}
