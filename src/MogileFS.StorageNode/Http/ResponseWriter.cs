using System.Buffers.Text;

namespace MogileFS.StorageNode.Http;

/// <summary>Appends response bytes into a span. All header text is Perlbal's, byte for byte.</summary>
internal ref struct ResponseWriter(Span<byte> dest)
{
    private readonly Span<byte> _dest = dest;
    public int Position;

    public static ReadOnlySpan<byte> KeepAliveTail => "Connection: keep-alive\r\nKeep-Alive: timeout=30, max=100\r\n\r\n"u8;
    public static ReadOnlySpan<byte> CloseTail => "Connection: close\r\n\r\n"u8;

    public void Write(scoped ReadOnlySpan<byte> s)
    {
        s.CopyTo(_dest[Position..]);
        Position += s.Length;
    }

    public void Write(long n)
    {
        Utf8Formatter.TryFormat(n, _dest[Position..], out int w);
        Position += w;
    }

    public void Ascii(string s)
    {
        Position += System.Text.Encoding.ASCII.GetBytes(s, _dest[Position..]);
    }

    public void ConnectionTail(bool keepAlive) => Write(keepAlive ? KeepAliveTail : CloseTail);

    public static ReadOnlySpan<byte> Reason(int code) => code switch
    {
        100 => "Continue"u8,
        200 => "OK"u8,
        201 => ""u8,
        204 => "No Content"u8,
        206 => "Partial Content"u8,
        304 => "Not Modified"u8,
        400 => "Bad request"u8,
        403 => "Forbidden"u8,
        404 => "Not Found"u8,
        413 => "Request Entity Too Large"u8,
        414 => "Request-URI Too Long"u8,
        409 => "Conflict"u8,
        416 => "Request range not satisfiable"u8,
        431 => "Request Header Fields Too Large"u8,
        500 => "Internal Server Error"u8,
        502 => "Bad Gateway"u8,
        503 => "Service Unavailable"u8,
        505 => "HTTP Version Not Supported"u8,
        507 => "Insufficient Storage"u8,
        _ => "Unknown"u8,
    };

    public void StatusLine(int code)
    {
        Write("HTTP/1.0 "u8);
        Write(code);
        Write(" "u8);
        Write(Reason(code));
        Write("\r\n"u8);
    }

    /// <summary>Largest output of <see cref="Simple"/> besides the message.</summary>
    public const int SimpleOverhead = 256;

    /// <summary>Perlbal's "simple response": text/html body <c>&lt;h1&gt;CODE - REASON&lt;/h1&gt;\n</c>
    /// + message (201 has <c>&lt;h1&gt;201&lt;/h1&gt;\n</c>). The body is omitted for HEAD.</summary>
    public void Simple(int code, scoped ReadOnlySpan<byte> message, bool keepAlive, bool withBody)
    {
        var reason = Reason(code);
        // body length: "<h1>" + code + (reason.Length>0 ? " - " + reason : "") + "</h1>\n" + message
        int bodyLen = 4 + 3 + (reason.Length > 0 ? 3 + reason.Length : 0) + 6 + message.Length;
        StatusLine(code);
        Write("Content-Type: text/html\r\nContent-Length: "u8);
        Write(bodyLen);
        Write("\r\nServer: Perlbal\r\n"u8);
        ConnectionTail(keepAlive);
        if (!withBody) return;
        Write("<h1>"u8);
        Write(code);
        if (reason.Length > 0)
        {
            Write(" - "u8);
            Write(reason);
        }
        Write("</h1>\n"u8);
        Write(message);
    }
}
