using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace MogileFS.Client.Tracker;

/// <summary>
/// One TCP connection to a tracker: writes a request line and reads one reply line. Not
/// thread-safe; the pool hands it to one request at a time.
/// </summary>
internal sealed class TrackerConnection : IDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int _start, _end;

    private TrackerConnection(Socket socket, TrackerEndpoint endpoint)
    {
        _socket = socket;
        Endpoint = endpoint;
    }

    public TrackerEndpoint Endpoint { get; }
    public bool Broken { get; private set; }
    public int Uses { get; set; }

    public static async Task<TrackerConnection> ConnectAsync(TrackerEndpoint endpoint, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var addresses = await endpoint.ResolveAsync(cts.Token).ConfigureAwait(false);
        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cts.Token).ConfigureAwait(false);
                return new TrackerConnection(socket, endpoint);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                last = e;
                if (ct.IsCancellationRequested) throw;
                if (cts.IsCancellationRequested) break;
            }
        }
        if (last is OperationCanceledException || cts.IsCancellationRequested)
            throw new TimeoutException($"connect to {endpoint} timed out after {timeout.TotalSeconds:0.###}s");
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>
    /// True when the peer has closed the connection (or sent something unsolicited) while it sat
    /// idle in the pool. Checked before reuse so a request is never sent on a dead socket.
    /// </summary>
    public bool LooksClosed()
    {
        if (Broken) return true;
        try
        {
            if (_start != _end) return true; // stray bytes: state unknown
            return _socket.Poll(0, SelectMode.SelectRead); // readable while idle = EOF or garbage
        }
        catch (Exception) { return true; }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> request, CancellationToken ct)
    {
        try
        {
            while (!request.IsEmpty)
            {
                int n = await _socket.SendAsync(request, SocketFlags.None, ct).ConfigureAwait(false);
                request = request[n..];
            }
        }
        catch { Broken = true; throw; }
    }

    /// <summary>Reads up to and including the next LF; returns the line without the LF.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadLineAsync(CancellationToken ct)
    {
        try
        {
            int scanFrom = _start;
            while (true)
            {
                int lf = Array.IndexOf(_buffer, (byte)'\n', scanFrom, _end - scanFrom);
                if (lf >= 0)
                {
                    var line = new ReadOnlyMemory<byte>(_buffer, _start, lf - _start);
                    _start = lf + 1;
                    if (_start == _end) _start = _end = 0;
                    return line;
                }
                scanFrom = _end;
                if (_end == _buffer.Length)
                {
                    if (_start > 0)
                    {
                        Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                        scanFrom -= _start; _end -= _start; _start = 0;
                    }
                    else
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                        Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
                        ArrayPool<byte>.Shared.Return(_buffer);
                        _buffer = bigger;
                    }
                }
                int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct).ConfigureAwait(false);
                if (n == 0) throw new EndOfStreamException("socket closed on read");
                _end += n;
            }
        }
        catch { Broken = true; throw; }
    }

    /// <summary>Marks the connection unusable (used when a request is abandoned mid-way).</summary>
    public void Poison() => Broken = true;

    public void Dispose()
    {
        Broken = true;
        try { _socket.Dispose(); } catch { }
        var b = Interlocked.Exchange(ref _buffer, Array.Empty<byte>());
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
    }
}
