using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MogileFS.TestSupport;

/// <summary>
/// A raw line client for the tracker protocol, for tests: sends bytes exactly as given and reads
/// replies line by line (up to and including LF) with a timeout. Binds the client side to
/// 127.0.0.1 by default, the address the transcripts were captured from (it shows in
/// <c>!recent</c>/<c>!queue</c> and decides the altmask test of file 09).
/// </summary>
public sealed class TrackerClient : IAsyncDisposable, IDisposable
{
    private readonly Socket _socket;
    // Grows up to 16 MiB for long replies (get_devices of a 1,000-device cluster is ~200 KB).
    private byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;
    private bool _eof;

    private TrackerClient(Socket socket) => _socket = socket;

    public static readonly IPAddress DefaultClientAddress = IPAddress.Loopback;

    public static async Task<TrackerClient> ConnectAsync(IPEndPoint server, IPAddress? localAddress = null,
        CancellationToken ct = default)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(localAddress ?? DefaultClientAddress, 0));
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(server, cts.Token).ConfigureAwait(false);
            return new TrackerClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public Socket Socket => _socket;

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        while (bytes.Length > 0)
        {
            int n = await _socket.SendAsync(bytes, SocketFlags.None, ct).ConfigureAwait(false);
            bytes = bytes[n..];
        }
    }

    public Task SendAsync(string text, CancellationToken ct = default) => SendAsync(Encoding.UTF8.GetBytes(text), ct);

    /// <summary>The next line including its LF, or null when the server closed the connection
    /// (bytes of an unterminated last line are returned as they are).</summary>
    public async Task<byte[]?> ReadLineAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        while (true)
        {
            int lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (lf >= 0)
            {
                var line = _buffer.AsSpan(_start, lf - _start + 1).ToArray();
                _start = lf + 1;
                return line;
            }
            if (_eof)
            {
                if (_end == _start) return null;
                var rest = _buffer.AsSpan(_start, _end - _start).ToArray();
                _start = _end;
                return rest;
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                if (_buffer.Length >= 16 << 20) throw new InvalidOperationException("reply line longer than 16 MiB");
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            int n;
            try
            {
                n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"no complete line within {timeout.TotalSeconds:0.#} s");
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                n = 0;
            }
            if (n == 0) _eof = true;
            else _end += n;
        }
    }

    /// <summary>Waits up to <paramref name="duration"/> and returns whatever arrived (empty = silence).
    /// Returns null when the server closed the connection.</summary>
    public async Task<byte[]?> ReadAnyAsync(TimeSpan duration, CancellationToken ct = default)
    {
        if (_end > _start)
        {
            var pending = _buffer.AsSpan(_start, _end - _start).ToArray();
            _start = _end;
            return pending;
        }
        if (_eof) return null;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(duration);
        try
        {
            int n = await _socket.ReceiveAsync(_buffer.AsMemory(0), SocketFlags.None, cts.Token).ConfigureAwait(false);
            if (n == 0) { _eof = true; return null; }
            _start = n;
            _end = n;
            return _buffer.AsSpan(0, n).ToArray();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return [];
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            _eof = true;
            return null;
        }
    }

    /// <summary>Sends one request line (CRLF appended unless present) and returns the reply line without CRLF.</summary>
    public async Task<string> QueryAsync(string line, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        if (!line.EndsWith('\n')) line += "\r\n";
        await SendAsync(line, ct).ConfigureAwait(false);
        var reply = await ReadLineAsync(timeout ?? TimeSpan.FromSeconds(30), ct).ConfigureAwait(false)
            ?? throw new IOException($"tracker closed the connection instead of answering '{line.TrimEnd()}'");
        return Encoding.UTF8.GetString(reply).TrimEnd('\r', '\n');
    }

    /// <summary>Opens a connection, sends one request and returns the reply line.</summary>
    public static async Task<string> QueryOnceAsync(IPEndPoint server, string line, TimeSpan? timeout = null,
        CancellationToken ct = default)
    {
        await using var client = await ConnectAsync(server, ct: ct).ConfigureAwait(false);
        return await client.QueryAsync(line, timeout, ct).ConfigureAwait(false);
    }

    /// <summary>The decoded pairs of an <c>OK</c> reply line (as returned by <see cref="QueryAsync"/>).</summary>
    public static Dictionary<string, string> ParseOk(string reply)
    {
        if (!reply.StartsWith("OK", StringComparison.Ordinal))
            throw new InvalidOperationException("not an OK reply: " + reply);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string body = reply.Length > 3 ? reply[3..] : "";
        if (body.Length == 0) return result;
        foreach (var piece in body.Split('&'))
        {
            int eq = piece.IndexOf('=');
            string k = eq < 0 ? piece : piece[..eq];
            string v = eq < 0 ? "" : piece[(eq + 1)..];
            result[Transcripts.TranscriptText.DecodeValue(k)] = Transcripts.TranscriptText.DecodeValue(v);
        }
        return result;
    }

    public void Close()
    {
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _socket.Dispose();
    }

    public void Dispose() => Close();

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }
}
