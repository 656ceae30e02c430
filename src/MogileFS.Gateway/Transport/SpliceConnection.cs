using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace MogileFS.Gateway.Transport;

/// <summary>
/// One accepted socket as Kestrel sees it: a receive loop fills the input pipe, a send loop drains the output
/// pipe, and file splices (<see cref="IFileSpliceFeature"/>) are sent with sendfile between the pipe's bytes.
/// <para>
/// How a splice keeps its place: the output writer Kestrel writes to (<see cref="SplicingWriter"/>) counts the
/// bytes it passes to the pipe. A splice is recorded at that count, and the next <c>length</c> bytes Kestrel
/// advances are swallowed (they were never filled and never enter the pipe). The send loop, having sent exactly
/// that many pipe bytes, sends the file region, then goes on with the pipe. Kestrel's own accounting (Content-Length,
/// keep-alive, pipelined responses) is untouched, as if the bytes had been copied.
/// </para>
/// <para>
/// Requests answered below Kestrel (<see cref="IFastRequestHandler"/>): when Kestrel is idle between requests
/// (it waits for input with everything it was given consumed, no request of it is running, the last one had no
/// body, and everything it wrote has been sent), what the receive loop gets is offered to the handler first. If it
/// answers, the response goes straight to the socket and Kestrel never sees the request; if not, the bytes go to
/// Kestrel as always. Responses therefore never overtake each other, and Kestrel stays the owner of everything
/// else (bodies, errors, pipelining, timeouts, shutdown).
/// </para>
/// </summary>
internal sealed class SpliceConnection : ConnectionContext, IFileSpliceFeature, IConnectionEndPointFeature,
    IConnectionLifetimeFeature, IConnectionSocketFeature, IConnectionIdFeature, IConnectionItemsFeature, IConnectionTransportFeature,
    IRequestTrackingFeature
{
    private const int ReceiveSize = 16 * 1024, MaxReceiveSize = 256 * 1024;
    private const int MaxQueuedSplices = 2;

    private readonly Socket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly SplicingWriter _writer;
    private readonly CancellationTokenSource _closed = new();
    private readonly Queue<Pending> _splices = new();
    private readonly object _lock = new();
    private TaskCompletionSource? _spliceSent;
    private long _sent;              // pipe bytes sent so far (the send loop's position)
    private ConnectionAbortedException? _abortReason;
    private int _shutdown;
    private Task _loops = Task.CompletedTask;
    private IDictionary<object, object?> _items = new ConnectionItems();

    // Answers below Kestrel (null: everything goes to Kestrel). Guarded by _lock unless said otherwise.
    private readonly IFastRequestHandler? _fast;
    private readonly TimeSpan _keepAlive;
    private long _handed;            // bytes given to Kestrel
    private long _consumed;          // of which Kestrel has consumed
    private long _waitingAt = -1;    // _handed when Kestrel last asked for input with nothing left to read
    private int _active;             // requests of Kestrel's that reached the application and are not complete
    private bool _lastHadBody;       // the last of them may have had a body (Kestrel may still be reading it)
    private bool _splicing;          // the send loop is sending a file region
    private bool _kestrelDone;       // Kestrel completed its input or output: the connection is ending
    private bool _fastBusy;          // the receive loop is sending an answer of its own
    private bool _closeAfterFast;    // the send side finished meanwhile: shut down once that answer is out
    private ArrayBufferWriter<byte>? _fastHead; // receive loop only
    private List<ArraySegment<byte>>? _fastGather; // receive loop only
    private IConnectionTimeoutFeature? _timeout; // receive loop only
    private bool _http2;             // the client speaks HTTP/2 (prior knowledge): nothing is answered here; receive loop only

    /// <summary>A file region to send when the send loop has sent <see cref="At"/> pipe bytes.</summary>
    private sealed record Pending(FileStream File, long Offset, long Length)
    {
        public long At { get; init; }
    }

    public SpliceConnection(Socket socket, string id, IFastRequestHandler? fast = null, TimeSpan keepAlive = default)
    {
        _socket = socket;
        _fast = fast;
        _keepAlive = keepAlive > TimeSpan.Zero ? keepAlive : TimeSpan.FromSeconds(130);
        ConnectionId = id;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        // Same buffering limits as Kestrel's socket transport (1 MiB request, 64 KiB response buffered). The send
        // loop runs inline on the thread that flushes (no thread-pool hop per response); the application's reads
        // resume on the thread pool, so request handlers never run on the receive loop.
        _input = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19,
            readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.Inline, minimumSegmentSize: ReceiveSize, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 64 * 1024,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.ThreadPool, useSynchronizationContext: false));
        _writer = new SplicingWriter(this, _output.Writer);
        Transport = new DuplexPipe(fast is null ? _input.Reader : new TrackingReader(this, _input.Reader), _writer);
        Features = new FeatureCollection();
        Features.Set<IFileSpliceFeature>(this);
        Features.Set<IConnectionEndPointFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IConnectionSocketFeature>(this);
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        if (fast != null) Features.Set<IRequestTrackingFeature>(this);
        ConnectionClosed = _closed.Token;
    }

    public override string ConnectionId { get; set; }
    public override IFeatureCollection Features { get; }
    public override IDictionary<object, object?> Items { get => _items; set => _items = value; }
    public override IDuplexPipe Transport { get; set; }
    public override EndPoint? LocalEndPoint { get; set; }
    public override EndPoint? RemoteEndPoint { get; set; }
    public override CancellationToken ConnectionClosed { get; set; }
    public Socket Socket => _socket;

    public void Start() => _loops = RunAsync();

    private async Task RunAsync()
    {
        var send = SendLoopAsync();
        var receive = ReceiveLoopAsync();
        await receive.ConfigureAwait(false);
        await send.ConfigureAwait(false);
        _socket.Dispose();
        DiscardSplices();
    }

    // ---- receive ----

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        var writer = _input.Writer;
        try
        {
            int size = ReceiveSize;
            while (true)
            {
                var memory = writer.GetMemory(size);
                int n = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (n == 0) break; // FIN
                // A request that came whole in one receive (it did not fill the buffer) may be answered here.
                if (_fast != null && _handed == 0 && memory.Span[..n].StartsWith("PRI * HTTP/2.0"u8)) _http2 = true;
                if (_fast != null && !_http2 && n < memory.Length && await TryAnswerAsync(memory[..n]).ConfigureAwait(false))
                {
                    size = ReceiveSize;
                    continue;
                }
                // A large body fills every receive: take it in larger pieces (fewer receives, pipe flushes and reader
                // wake-ups per byte). The first receive that does not fill its buffer goes back to the small size, so
                // an idle connection waits with a small buffer.
                size = n >= memory.Length ? Math.Min(size * 2, MaxReceiveSize) : ReceiveSize;
                if (_fast != null) lock (_lock) _handed += n;
                writer.Advance(n);
                var flushed = await writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled) break;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown)
        {
            error = _abortReason is null ? new ConnectionResetException(e.Message, e) : null;
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException && _shutdown != 0)
        {
            // we shut the socket down (abort, or the send side finished)
        }
        catch (Exception e)
        {
            error = new IOException(e.Message, e);
        }
        finally
        {
            writer.Complete(_abortReason ?? error);
            // As Kestrel's socket transport: the end of the client's data ends the connection for the application.
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.FireClosed(), this, preferLocal: false);
        }
    }

    private void FireClosed()
    {
        try { _closed.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    // ---- send ----

    private async Task SendLoopAsync()
    {
        Exception? error = null;
        var reader = _output.Reader;
        List<ArraySegment<byte>>? gather = null;
        try
        {
            while (true)
            {
                while (TakeDueSplice() is { } due) await SendSpliceAsync(due).ConfigureAwait(false);
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (_abortReason != null) break;
                var buffer = result.Buffer;
                while (true)
                {
                    if (TakeDueSplice() is { } due)
                    {
                        await SendSpliceAsync(due).ConfigureAwait(false);
                        continue;
                    }
                    if (buffer.IsEmpty) break;
                    long next = NextSpliceAt();
                    var part = next < 0 || next - _sent >= buffer.Length ? buffer : buffer.Slice(0, next - _sent);
                    await SendAsync(part, gather ??= []).ConfigureAwait(false);
                    _sent += part.Length;
                    buffer = buffer.Slice(part.End);
                }
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    while (TakeDueSplice() is { } due) await SendSpliceAsync(due).ConfigureAwait(false);
                    break;
                }
            }
        }
        catch (Exception e)
        {
            error = e; // the socket broke, or a file ended early: either way the connection ends here
        }
        finally
        {
            reader.Complete(_abortReason is null ? error : null);
            Shutdown();
        }
    }

    private async ValueTask SendAsync(ReadOnlySequence<byte> data, List<ArraySegment<byte>> gather)
    {
        if (data.IsSingleSegment)
        {
            var memory = data.First;
            while (memory.Length > 0)
                memory = memory[await _socket.SendAsync(memory, SocketFlags.None).ConfigureAwait(false)..];
            return;
        }
        gather.Clear();
        foreach (var segment in data)
        {
            if (!MemoryMarshal.TryGetArray(segment, out var array))
            {
                // Not array-backed (never with the pipe's default pool): send the pieces one by one.
                foreach (var s in data)
                    for (var m = s; m.Length > 0;) m = m[await _socket.SendAsync(m, SocketFlags.None).ConfigureAwait(false)..];
                return;
            }
            gather.Add(array);
        }
        long left = data.Length;
        while (left > 0)
        {
            int n = await _socket.SendAsync(gather, SocketFlags.None).ConfigureAwait(false);
            left -= n;
            if (left > 0) Trim(gather, n);
        }
    }

    private static void Trim(List<ArraySegment<byte>> list, int sent)
    {
        while (sent > 0)
        {
            var first = list[0];
            if (first.Count <= sent) { sent -= first.Count; list.RemoveAt(0); }
            else { list[0] = first.Slice(sent); sent = 0; }
        }
    }

    private async ValueTask SendSpliceAsync(Pending s)
    {
        try
        {
            long offset = s.Offset, left = s.Length;
            using var args = new SendFileArgs();
            while (left > 0)
            {
                int chunk = (int)Math.Min(left, 1 << 30);
                int sent = await args.SendAsync(_socket, s.File, offset, chunk).ConfigureAwait(false);
                if (sent != chunk) throw new IOException($"file ended early: {sent} of {chunk} bytes at offset {offset}");
                offset += chunk;
                left -= chunk;
            }
        }
        finally
        {
            await s.File.DisposeAsync().ConfigureAwait(false);
            TaskCompletionSource? wake;
            lock (_lock) { wake = _spliceSent; _spliceSent = null; _splicing = false; }
            wake?.TrySetResult();
        }
    }

    /// <summary>sendfile(2) through <see cref="Socket.SendPacketsAsync"/> (the only public way to give it an offset).</summary>
    private sealed class SendFileArgs : SocketAsyncEventArgs
    {
        private TaskCompletionSource<int>? _done;

        public Task<int> SendAsync(Socket socket, FileStream file, long offset, int count)
        {
            SendPacketsElements = [new SendPacketsElement(file, offset, count)];
            var done = _done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!socket.SendPacketsAsync(this)) Finish();
            return done.Task;
        }

        protected override void OnCompleted(SocketAsyncEventArgs e) => Finish();

        private void Finish()
        {
            if (SocketError == SocketError.Success) _done!.TrySetResult(BytesTransferred);
            else _done!.TrySetException(new SocketException((int)SocketError));
        }
    }

    // ---- splices ----

    public void Splice(FileStream file, long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (_writer.InSplice) throw new InvalidOperationException("a splice is already being written");
        // Runs on the thread that writes the response, after its headers: the file goes right after them.
        var p = new Pending(file, offset, length) { At = _writer.Advanced };
        _writer.Swallow(length);
        lock (_lock)
        {
            if (_abortReason != null || _shutdown != 0)
            {
                file.Dispose();
                return;
            }
            _splices.Enqueue(p);
        }
        _output.Reader.CancelPendingRead(); // the send loop may be waiting with nothing new in the pipe
    }

    /// <summary>Waits while too many splices wait to be sent (so a client that pipelines GETs and never reads
    /// cannot make the gateway hold open files without end).</summary>
    internal ValueTask WaitForRoomAsync()
    {
        lock (_lock)
        {
            if (_splices.Count < MaxQueuedSplices || _abortReason != null) return ValueTask.CompletedTask;
            _spliceSent ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return new ValueTask(WaitAgainAsync(_spliceSent.Task));
        }
    }

    private async Task WaitAgainAsync(Task sent)
    {
        await sent.ConfigureAwait(false);
        await WaitForRoomAsync().ConfigureAwait(false);
    }

    private Pending? TakeDueSplice()
    {
        lock (_lock)
        {
            if (_splices.TryPeek(out var p) && p.At == _sent)
            {
                _splicing = true;
                return _splices.Dequeue();
            }
            return null;
        }
    }

    private long NextSpliceAt()
    {
        lock (_lock) return _splices.TryPeek(out var p) ? p.At : -1;
    }

    private void DiscardSplices()
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            while (_splices.TryDequeue(out var p)) p.File.Dispose();
            wake = _spliceSent;
            _spliceSent = null;
        }
        wake?.TrySetResult();
    }

    // ---- lifetime ----

    public override void Abort(ConnectionAbortedException abortReason)
    {
        lock (_lock) _abortReason ??= abortReason;
        _output.Reader.CancelPendingRead();
        Shutdown(force: true);
    }

    /// <summary>Ends the connection. The send side finishing (<paramref name="force"/> false) waits for an answer
    /// the receive loop is sending; an abort does not.</summary>
    private void Shutdown(bool force = false)
    {
        lock (_lock)
        {
            if (_fastBusy && !force)
            {
                _closeAfterFast = true;
                return;
            }
            if (_shutdown != 0) return;
            _shutdown = 1;
        }
        try { _socket.Shutdown(SocketShutdown.Both); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        _socket.Dispose();
        DiscardSplices();
        TaskCompletionSource? wake;
        lock (_lock) { wake = _spliceSent; _spliceSent = null; }
        wake?.TrySetResult();
    }

    public override async ValueTask DisposeAsync()
    {
        _output.Writer.Complete();
        _input.Reader.Complete();
        await _loops.ConfigureAwait(false);
        _closed.Dispose();
    }

    // ---- answers below Kestrel ----

    /// <summary>Whether Kestrel is idle between requests, so an answer sent now cannot overtake one of its own
    /// (and the connection is not ending). Under <see cref="_lock"/>.</summary>
    private bool KestrelIdle() =>
        !_kestrelDone && _shutdown == 0 && _abortReason is null && !_closeAfterFast
        && _waitingAt == _handed && _consumed == _handed && _active == 0 && !_lastHadBody
        && _splices.Count == 0 && !_splicing && _writer.Advanced == Volatile.Read(ref _sent);

    private async ValueTask<bool> TryAnswerAsync(ReadOnlyMemory<byte> received)
    {
        lock (_lock)
        {
            if (!KestrelIdle()) return false;
            _fastBusy = true;
        }
        try
        {
            var head = _fastHead ??= new ArrayBufferWriter<byte>(1024);
            head.ResetWrittenCount();
            ReadOnlyMemory<byte> body;
            try
            {
                if (!_fast!.TryAnswer(received.Span, head, out body)) return false;
            }
            catch (Exception)
            {
                // A request the handler cannot take apart is Kestrel's to judge; a fault of the handler must not
                // cost the connection.
                return false;
            }
            // As a request through Kestrel would: the connection counts as busy, then idle for the keep-alive time.
            _timeout ??= Features.Get<IConnectionTimeoutFeature>();
            _timeout?.ResetTimeout(_keepAlive);
            // A connection keeps a small head buffer only (idle connections may be many).
            if (head.Capacity > 4096) _fastHead = null;
            if (body.Length <= 16 * 1024)
            {
                // Small: one pooled buffer, one plain send.
                int length = head.WrittenCount + body.Length;
                var pooled = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    head.WrittenSpan.CopyTo(pooled);
                    body.Span.CopyTo(pooled.AsSpan(head.WrittenCount));
                    var all = pooled.AsMemory(0, length);
                    while (all.Length > 0) all = all[await _socket.SendAsync(all, SocketFlags.None).ConfigureAwait(false)..];
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(pooled);
                }
                return true;
            }
            var gather = _fastGather ??= new List<ArraySegment<byte>>(2);
            gather.Clear();
            if (!MemoryMarshal.TryGetArray(head.WrittenMemory, out var h)) throw new InvalidOperationException("unexpected buffer");
            gather.Add(h);
            if (!body.IsEmpty)
            {
                if (!MemoryMarshal.TryGetArray(body, out var b)) throw new InvalidOperationException("the body must be array-backed");
                gather.Add(b);
            }
            long left = head.WrittenCount + body.Length;
            while (left > 0)
            {
                int n = await _socket.SendAsync(gather, SocketFlags.None).ConfigureAwait(false);
                left -= n;
                if (left > 0) Trim(gather, n);
            }
            return true;
        }
        finally
        {
            bool close;
            lock (_lock)
            {
                _fastBusy = false;
                close = _closeAfterFast;
            }
            if (close) Shutdown();
        }
    }

    public void RequestStarted(bool hasBody)
    {
        lock (_lock)
        {
            _active++;
            _lastHadBody = hasBody;
        }
    }

    public void RequestEnded()
    {
        lock (_lock) _active--;
    }

    private void KestrelReads()
    {
        lock (_lock)
            if (_consumed == _handed) _waitingAt = _handed;
    }

    private void KestrelConsumed(long bytes)
    {
        if (bytes == 0) return;
        lock (_lock) _consumed += bytes;
    }

    internal void KestrelDone()
    {
        lock (_lock) _kestrelDone = true;
    }

    /// <summary>Kestrel's input: counts what it consumes and notes when it waits for more with nothing left.</summary>
    private sealed class TrackingReader(SpliceConnection connection, PipeReader inner) : PipeReader
    {
        private ReadOnlySequence<byte> _last;

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            connection.KestrelReads();
            var read = inner.ReadAsync(cancellationToken);
            if (read.IsCompletedSuccessfully)
            {
                // The pipe's ValueTask may be backed by the pipe itself, whose result can be taken only once.
                var result = read.Result;
                _last = result.Buffer;
                return new ValueTask<ReadResult>(result);
            }
            return AwaitAsync(read);
        }

        private async ValueTask<ReadResult> AwaitAsync(ValueTask<ReadResult> read)
        {
            var result = await read.ConfigureAwait(false);
            _last = result.Buffer;
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result)) return false;
            _last = result.Buffer;
            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            long n = _last.IsEmpty ? 0 : _last.Slice(_last.Start, consumed).Length;
            _last = default;
            inner.AdvanceTo(consumed, examined);
            connection.KestrelConsumed(n);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null)
        {
            connection.KestrelDone();
            inner.Complete(exception);
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            connection.KestrelDone();
            return inner.CompleteAsync(exception);
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    private sealed class ConnectionItems : Dictionary<object, object?>;
}
