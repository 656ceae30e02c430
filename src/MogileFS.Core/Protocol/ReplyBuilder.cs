using System.Buffers;
using System.Buffers.Text;

namespace MogileFS.Core.Protocol;

/// <summary>
/// The reply of one query, built by the handler and written by the framework (tracker-protocol.md §4.1).
/// Success: <c>OK </c> + pairs (each key and value eurl-encoded, joined by '&amp;') + CR LF.
/// Failure: <see cref="Error"/> (or throw <see cref="CommandException"/>): <c>ERR code message</c>.
/// The framework appends the callid (§5.1) - handlers never do. Pairs are encoded straight into a
/// reusable per-connection byte buffer, so building a reply allocates nothing.
/// Keys and values are byte strings (<see cref="ByteString"/>).
/// </summary>
public sealed class ReplyBuilder
{
    private byte[] _buf = new byte[1024];
    private int _len;
    private int _pairs;
    private bool _inKey;

    public bool IsError { get; private set; }
    public string? ErrorCode { get; private set; }
    /// <summary>The explicit error message (byte string), or null = default text.</summary>
    public string? ErrorMessage { get; private set; }
    public int PairCount => _pairs;

    /// <summary>Encoded pair bytes so far (without "OK ").</summary>
    public ReadOnlySpan<byte> EncodedPairs => _buf.AsSpan(0, _len);

    public void Reset()
    {
        _len = 0;
        _pairs = 0;
        _inKey = false;
        IsError = false;
        ErrorCode = null;
        ErrorMessage = null;
        if (_buf.Length > 64 * 1024) _buf = new byte[1024]; // don't keep a huge buffer per idle connection
    }

    /// <summary>Replace the reply by <c>ERR code message</c>; a null message = default text of §5.5.</summary>
    public void Error(string code, string? message = null)
    {
        _len = 0;
        _pairs = 0;
        _inKey = false;
        IsError = true;
        ErrorCode = code;
        ErrorMessage = message;
    }

    /// <summary>Adds key=value (value null is written as empty, like Perl undef).</summary>
    public ReplyBuilder Add(string key, string? value)
    {
        StartKey().KeyPart(key);
        return Value(value);
    }

    public ReplyBuilder Add(string key, long value) { StartKey().KeyPart(key); return Value(value); }

    public ReplyBuilder Add(string key, long? value) { StartKey().KeyPart(key); return value is { } v ? Value(v) : Value((string?)null); }

    /// <summary>Adds <c>{prefix}{index}{suffix}=value</c>, e.g. ("dev", 3, "_devid").</summary>
    public ReplyBuilder Add(string prefix, long index, string suffix, string? value)
    {
        StartKey().KeyPart(prefix).KeyPart(index).KeyPart(suffix);
        return Value(value);
    }

    public ReplyBuilder Add(string prefix, long index, string suffix, long value)
    {
        StartKey().KeyPart(prefix).KeyPart(index).KeyPart(suffix);
        return Value(value);
    }

    /// <summary>Adds <c>{prefix}{index}{suffix}=value</c> with the value as raw bytes.</summary>
    public ReplyBuilder Add(string prefix, long index, string suffix, ReadOnlySpan<byte> value)
    {
        StartKey().KeyPart(prefix).KeyPart(index).KeyPart(suffix);
        return Value(value);
    }

    /// <summary>Low level: begin a new pair; then <see cref="KeyPart(string)"/>... and one <see cref="Value(string?)"/>.</summary>
    public ReplyBuilder StartKey()
    {
        if (_inKey) throw new InvalidOperationException("previous pair has no value");
        if (_pairs > 0) Put((byte)'&');
        _inKey = true;
        return this;
    }

    public ReplyBuilder KeyPart(string part)
    {
        Ensure(Eurl.MaxEncodedLength(part.Length));
        _len += Eurl.Encode(part.AsSpan(), _buf.AsSpan(_len));
        return this;
    }

    public ReplyBuilder KeyPart(long n)
    {
        Ensure(20);
        Utf8Formatter.TryFormat(n, _buf.AsSpan(_len), out int w);
        _len += w;
        return this;
    }

    public ReplyBuilder Value(string? value)
    {
        Put((byte)'=');
        if (!string.IsNullOrEmpty(value))
        {
            Ensure(Eurl.MaxEncodedLength(value.Length));
            _len += Eurl.Encode(value.AsSpan(), _buf.AsSpan(_len));
        }
        _inKey = false;
        _pairs++;
        return this;
    }

    public ReplyBuilder Value(ReadOnlySpan<byte> value)
    {
        Put((byte)'=');
        if (!value.IsEmpty)
        {
            Ensure(Eurl.MaxEncodedLength(value.Length));
            _len += Eurl.Encode(value, _buf.AsSpan(_len));
        }
        _inKey = false;
        _pairs++;
        return this;
    }

    public ReplyBuilder Value(long n)
    {
        Put((byte)'=');
        Ensure(20);
        Utf8Formatter.TryFormat(n, _buf.AsSpan(_len), out int w);
        _len += w;
        _inKey = false;
        _pairs++;
        return this;
    }

    private void Put(byte b)
    {
        Ensure(1);
        _buf[_len++] = b;
    }

    private void Ensure(int more)
    {
        if (_len + more <= _buf.Length) return;
        Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _len + more));
    }

    private static ReadOnlySpan<byte> OkPrefix => "OK "u8;
    private static ReadOnlySpan<byte> ErrPrefix => "ERR "u8;
    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    /// <summary>Writes the complete reply line. <paramref name="callid"/> null = not sent by the client.</summary>
    public void WriteTo(IBufferWriter<byte> output, string? callid)
    {
        if (_inKey) throw new InvalidOperationException("reply has a key without value");
        if (!IsError)
        {
            int need = 3 + _len + 2 + (callid is null ? 0 : 8 + Eurl.MaxEncodedLength(callid.Length));
            var span = output.GetSpan(need);
            OkPrefix.CopyTo(span);
            int o = 3;
            _buf.AsSpan(0, _len).CopyTo(span[o..]);
            o += _len;
            if (callid is not null)
            {
                if (_pairs > 0) span[o++] = (byte)'&';
                "callid="u8.CopyTo(span[o..]);
                o += 7;
                o += Eurl.Encode(callid.AsSpan(), span[o..]);
            }
            Crlf.CopyTo(span[o..]);
            output.Advance(o + 2);
        }
        else
        {
            WriteError(output, ErrorCode!, ErrorMessage, callid);
        }
    }

    /// <summary>Writes <c>ERR code message[ callid]\r\n</c>; a null/empty message = default text (§4.1: never empty).</summary>
    public static void WriteError(IBufferWriter<byte> output, string code, string? message, string? callid)
    {
        var msg = string.IsNullOrEmpty(message) ? ErrorCodes.DefaultMessage(code) : message;
        int need = 4 + Eurl.MaxEncodedLength(code.Length) + 1 + Eurl.MaxEncodedLength(msg.Length)
                   + (callid is null ? 0 : 1 + Eurl.MaxEncodedLength(callid.Length)) + 2;
        var span = output.GetSpan(need);
        ErrPrefix.CopyTo(span);
        int o = 4;
        o += Eurl.Encode(code.AsSpan(), span[o..]);
        span[o++] = (byte)' ';
        o += Eurl.Encode(msg.AsSpan(), span[o..]);
        if (callid is not null)
        {
            span[o++] = (byte)' ';
            o += Eurl.Encode(callid.AsSpan(), span[o..]);
        }
        Crlf.CopyTo(span[o..]);
        output.Advance(o + 2);
    }

    /// <summary>The reply line as text (tests and logs).</summary>
    public string ToWireString(string? callid = null)
    {
        var w = new ArrayBufferWriter<byte>();
        WriteTo(w, callid);
        return System.Text.Encoding.Latin1.GetString(w.WrittenSpan);
    }
}
