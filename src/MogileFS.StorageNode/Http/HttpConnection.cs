using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace MogileFS.StorageNode.Http;

/// <summary>
/// One HTTP connection: a read loop over a fixed receive buffer (request line + headers
/// must fit in <see cref="StorageNodeOptions.MaxHeaderBytes"/>), requests served in order
/// (pipelining works), responses written straight into pooled buffers. Method handlers
/// live in the partial files beside this one.
/// </summary>
internal sealed partial class HttpConnection
{
    private const int StateIdle = 0, StateBusy = 1, StateClosed = 2;

    private readonly HttpService _svc;
    private readonly Socket _socket;
    private readonly RequestHead _req = new();
    private byte[] _buf;
    private byte[] _path;
    private int _start, _end;
    private int _state = StateBusy;
    public long LastActivity = Environment.TickCount64;

    /// <summary>When the first byte of the request head now being received arrived (0: none is):
    /// the sweeper closes the connection at <see cref="StorageNodeOptions.HeaderTimeout"/>.</summary>
    public long HeadStarted;

    /// <summary>When the upload body now being received started (0: none is); with the bytes
    /// received so far the sweeper applies body_timeout and body_min_rate.</summary>
    public long BodyStarted;

    public long BodyReceived => Volatile.Read(ref _received);

    public System.Net.IPAddress? ClientAddress { get; }

    public HttpConnection(HttpService svc, Socket socket, System.Net.IPAddress? clientAddress)
    {
        _svc = svc;
        _socket = socket;
        ClientAddress = clientAddress;
        int size = Math.Max(1024, svc.Options.MaxHeaderBytes);
        _buf = ArrayPool<byte>.Shared.Rent(size);
        _path = ArrayPool<byte>.Shared.Rent(size + 64);
    }

    private int MaxHead => _svc.Options.MaxHeaderBytes;

    public async Task RunAsync()
    {
        try
        {
            await LoopAsync().ConfigureAwait(false);
            // Unread request bytes (an early error answer) would turn our close into a reset.
            if ((_lingerOnClose || _end > _start) && Volatile.Read(ref _state) != StateClosed)
                await LingerAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // peer went away, timeout sweep or shutdown abort
        }
        catch (Exception ex)
        {
            Log.ConnectionError(_svc.Logger, null, ex);
        }
        finally
        {
            Volatile.Write(ref _state, StateClosed);
            try { _socket.Dispose(); } catch (Exception) { }
            _svc.Remove(this);
            var b = _buf; _buf = []; ArrayPool<byte>.Shared.Return(b);
            var p = _path; _path = []; ArrayPool<byte>.Shared.Return(p);
        }
    }

    private bool _lingerOnClose;

    /// <summary>
    /// After answering a request whose body we did not read (an early error on a PUT), a plain
    /// close would make the kernel reset the connection while the client is still sending, and
    /// the client could lose our answer. So: stop sending, drain what still arrives for a moment
    /// (bounded in time and bytes), then close — nginx's lingering close.
    /// </summary>
    private async ValueTask LingerAsync()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            long drained = 0;
            while (drained < 64L * 1024 * 1024)
            {
                int n = await _socket.ReceiveAsync(_buf.AsMemory(0, _buf.Length), SocketFlags.None, cts.Token).ConfigureAwait(false);
                if (n == 0) break;
                drained += n;
            }
        }
        catch (Exception) { }
    }

    /// <summary>Closes the connection if it is between requests (graceful stop).</summary>
    public void CloseIfIdle()
    {
        if (Interlocked.CompareExchange(ref _state, StateClosed, StateIdle) == StateIdle) ShutdownSocket();
    }

    /// <summary>Ends the connection whatever it is doing (timeout, forced stop). shutdown(2)
    /// wakes the pending receive/send, so the loop unwinds (removing any upload temp file)
    /// and closes normally; disposing a socket with a pending operation would reset it.</summary>
    public void Abort()
    {
        Volatile.Write(ref _state, StateClosed);
        ShutdownSocket();
    }

    /// <summary>Last resort when the loop did not unwind after <see cref="Abort"/>.</summary>
    public void ForceClose()
    {
        try { _socket.Dispose(); } catch (Exception) { }
    }

    private void ShutdownSocket()
    {
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception) { }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask LoopAsync()
    {
        while (true)
        {
            // Blank lines between requests are ignored (RFC 9112 §2.2), e.g. a CRLF after a chunked body.
            while (_start < _end && (_buf[_start] == '\r' || _buf[_start] == '\n')) _start++;
            int headEnd = FindHeadEnd();
            if (headEnd < 0)
            {
                if (_end > _start && HeadStarted == 0) Volatile.Write(ref HeadStarted, Environment.TickCount64);
                if (_end - _start >= MaxHead)
                {
                    bool lineDone = _buf.AsSpan(_start, _end - _start).IndexOf((byte)'\n') >= 0;
                    await SendSimpleAsync(lineDone ? 431 : 414, ReadOnlyMemory<byte>.Empty, keepAlive: false).ConfigureAwait(false);
                    return;
                }
                if (_start == _end)
                {
                    _start = _end = 0;
                    if (Interlocked.CompareExchange(ref _state, StateIdle, StateBusy) != StateBusy) return;
                    if (_svc.Stopping) { CloseIfIdle(); return; }
                }
                else if (_end + 512 > MaxHead || _end == _buf.Length)
                {
                    Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                int n = await _socket.ReceiveAsync(_buf.AsMemory(_end, Math.Min(_buf.Length, MaxHead + 4) - _end), SocketFlags.None).ConfigureAwait(false);
                if (n == 0) return;
                _end += n;
                LastActivity = Environment.TickCount64;
                if (Volatile.Read(ref _state) == StateIdle &&
                    Interlocked.CompareExchange(ref _state, StateBusy, StateIdle) != StateIdle) return;
                continue;
            }

            Volatile.Write(ref HeadStarted, 0);
            var parsed = _req.Parse(_buf, _start, headEnd);
            _start = headEnd;
            if (parsed != ParseResult.Ok)
            {
                await SendSimpleAsync(parsed == ParseResult.UnsupportedVersion ? 505 : 400, ReadOnlyMemory<byte>.Empty, keepAlive: false).ConfigureAwait(false);
                return;
            }

            long requestStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            _status = 0;
            _sent = 0;
            _received = 0;
            _viaSendfile = null;
            // The target is only copied out when the access log wants it (the buffer is reused for the body).
            string? target = _svc.AccessLog is { } al && al.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information)
                ? System.Text.Encoding.Latin1.GetString(Target) : null;
            bool keep;
            try
            {
            switch (_req.Method)
            {
                case HttpMethod.Get:
                case HttpMethod.Head:
                    keep = await HandleGetAsync().ConfigureAwait(false);
                    break;
                case HttpMethod.Put:
                    keep = await HandlePutAsync().ConfigureAwait(false);
                    break;
                case HttpMethod.Delete:
                    keep = await HandleDeleteAsync().ConfigureAwait(false);
                    break;
                case HttpMethod.Post when _svc.Options.Join && IsJoinTarget():
                    keep = await HandleJoinAsync().ConfigureAwait(false);
                    break;
                default:
                    // MKCOL, OPTIONS, POST, lowercase methods...: 400 like mogstored (the tracker relies on it).
                    keep = await SendSimpleAsync(400, ReadOnlyMemory<byte>.Empty, KeepAliveFor(bodyConsumed: !HasUnreadBody)).ConfigureAwait(false);
                    break;
            }
            }
            finally
            {
                RequestDone(requestStarted, target);
            }
            if (!keep || _svc.Stopping) return;
        }
    }

    /// <summary>A non-PUT request that announced a body: we do not read it, so the connection cannot be reused.</summary>
    private bool HasUnreadBody => _req.Chunked || (_req.HasContentLength && _req.ContentLength > 0);

    private bool KeepAliveFor(bool bodyConsumed) => bodyConsumed && _req.WantsKeepAlive && !_svc.Stopping;

    /// <summary>Index just after the blank line ending the head, or -1.</summary>
    private int FindHeadEnd()
    {
        var span = _buf.AsSpan(_start, _end - _start);
        int i = span.IndexOf("\r\n\r\n"u8);
        if (i >= 0)
        {
            // A bare "\n\n" earlier would end the head sooner.
            int j = span[..i].IndexOf("\n\n"u8);
            return _start + (j >= 0 ? j + 2 : i + 4);
        }
        // Lenient: heads ending with bare LFs.
        for (int k = span.IndexOf((byte)'\n'); k >= 0 && k < span.Length - 1;)
        {
            if (span[k + 1] == '\n') return _start + k + 2;
            if (span[k + 1] == '\r' && k + 2 < span.Length && span[k + 2] == '\n') return _start + k + 3;
            int next = span[(k + 1)..].IndexOf((byte)'\n');
            if (next < 0) break;
            k += 1 + next;
        }
        return -1;
    }

    /// <summary>On a socket epoll thread (inline completions): must not block on the disk here.</summary>
    private bool OnEventLoop => _svc.InlineCompletions && !Thread.CurrentThread.IsThreadPoolThread;

    private ReadOnlySpan<byte> Target => _buf.AsSpan(_req.TargetStart, _req.TargetLength);

    private async ValueTask<bool> SendSimpleAsync(int code, ReadOnlyMemory<byte> message, bool keepAlive, bool withBody = true)
    {
        byte[] out_ = ArrayPool<byte>.Shared.Rent(ResponseWriter.SimpleOverhead + message.Length);
        try
        {
            int n = WriteSimple(out_, code, message.Span, keepAlive, withBody);
            await SendAsync(out_.AsMemory(0, n)).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(out_);
        }
        return keepAlive;
    }

    private static int WriteSimple(byte[] dest, int code, ReadOnlySpan<byte> message, bool keepAlive, bool withBody)
    {
        var w = new ResponseWriter(dest);
        w.Simple(code, message, keepAlive, withBody);
        return w.Position;
    }

    private ValueTask<bool> SendSimpleAsync(int code, string message, bool keepAlive, bool withBody = true) =>
        SendSimpleAsync(code, System.Text.Encoding.UTF8.GetBytes(message), keepAlive, withBody);

    // ---- per request: status, bytes, metrics and the access log ----
    private int _status;
    private long _sent;
    private bool? _viaSendfile; // for a GET that sent a body: sendfile (true) or copied (false)

    private static readonly string[] MethodNames = ["other", "GET", "HEAD", "PUT", "DELETE", "POST"];

    private void RequestDone(long started, string? target)
    {
        string method = MethodNames[(int)_req.Method];
        int status = _status;
        var m = _svc.Metrics;
        long elapsed = System.Diagnostics.Stopwatch.GetTimestamp() - started; // one clock read for both
        if (m != null)
        {
            m.RecordRequest(method, status, elapsed);
            m.CountBytes(_sent, _received, _viaSendfile);
        }
        if (target != null && _svc.AccessLog is { } log)
            Log.Access(log, method, target, status, _sent, _received,
                elapsed * 1000.0 / System.Diagnostics.Stopwatch.Frequency, ClientAddress);
    }

    /// <summary>Notes the status of the response whose head starts <paramref name="data"/> (1xx interim ones aside).</summary>
    private void NoteResponse(ReadOnlySpan<byte> data)
    {
        if (_status == 0 && data.Length >= 12 && data.StartsWith("HTTP/1."u8) && data[9] != (byte)'1')
            _status = (data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0');
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        NoteResponse(data.Span);
        _sent += data.Length;
        LastActivity = Environment.TickCount64;
        while (data.Length > 0)
        {
            int n = await _socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            if (n <= 0) throw new SocketException((int)SocketError.ConnectionReset);
            data = data[n..];
            LastActivity = Environment.TickCount64;
        }
    }
}
