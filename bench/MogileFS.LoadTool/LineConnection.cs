using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MogileFS.LoadTool;

/// <summary>One tracker connection with one request in flight at a time (no pipelining).</summary>
internal sealed class LineConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[256 * 1024];
    private int _start, _end;

    private LineConnection(Socket socket) => _socket = socket;

    public static async Task<LineConnection> ConnectAsync(IPEndPoint endPoint)
    {
        var s = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(endPoint).ConfigureAwait(false);
        return new LineConnection(s);
    }

    /// <summary>Sends a request (bytes including CRLF) and returns the reply line without CRLF, as a span
    /// into the buffer that stays valid until the next call.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> RequestAsync(ReadOnlyMemory<byte> request)
    {
        while (request.Length > 0)
        {
            int n = await _socket.SendAsync(request, SocketFlags.None).ConfigureAwait(false);
            request = request[n..];
        }
        while (true)
        {
            int lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (lf >= 0)
            {
                int len = lf - _start;
                if (len > 0 && _buffer[lf - 1] == '\r') len--;
                var line = _buffer.AsMemory(_start, len);
                _start = lf + 1;
                return line;
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) throw new IOException("reply longer than the buffer");
            int read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None).ConfigureAwait(false);
            if (read == 0) throw new IOException("tracker closed the connection");
            _end += read;
        }
    }

    public async Task<string> QueryAsync(string line)
    {
        var reply = await RequestAsync(Encoding.UTF8.GetBytes(line + "\r\n")).ConfigureAwait(false);
        return Encoding.UTF8.GetString(reply.Span);
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>Decoded pairs of an OK line.</summary>
    public static Dictionary<string, string> ParseOk(string reply)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!reply.StartsWith("OK", StringComparison.Ordinal)) throw new InvalidOperationException(reply);
        string body = reply.Length > 3 ? reply[3..] : "";
        if (body.Length == 0) return result;
        foreach (var piece in body.Split('&'))
        {
            int eq = piece.IndexOf('=');
            result[Uri.UnescapeDataString((eq < 0 ? piece : piece[..eq]).Replace('+', ' '))] =
                eq < 0 ? "" : Uri.UnescapeDataString(piece[(eq + 1)..].Replace('+', ' '));
        }
        return result;
    }
}
