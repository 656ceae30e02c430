using System.Text;

namespace MogileFS.StorageNode.Http;

internal enum HttpMethod : byte { Other, Get, Head, Put, Delete, Post }

internal enum ParseResult : byte { Ok, Malformed, UnsupportedVersion }

/// <summary>
/// The parsed request line and the headers the node acts on. Values are kept as offsets
/// into the connection's receive buffer (valid until the buffer is compacted), so parsing
/// a request allocates nothing.
/// </summary>
internal sealed class RequestHead
{
    public HttpMethod Method;
    public int TargetStart, TargetLength;
    public int VersionMinor; // HTTP/1.x
    public bool ConnectionClose, ConnectionKeepAlive;
    public bool HasContentLength;
    public long ContentLength; // Perl numeric coercion of the header (may be negative)
    public bool Chunked;
    public bool HasTransferEncoding;
    private bool _badFraming;
    public bool ExpectContinue;
    public int Md5Start = -1, Md5Length;
    public int RangeStart = -1, RangeLength;
    public int ImsStart = -1, ImsLength;

    public bool WantsKeepAlive => VersionMinor >= 1 ? !ConnectionClose : ConnectionKeepAlive;

    public void Reset()
    {
        Method = HttpMethod.Other;
        TargetStart = TargetLength = 0;
        VersionMinor = 0;
        ConnectionClose = ConnectionKeepAlive = false;
        HasContentLength = false;
        ContentLength = 0;
        Chunked = false;
        HasTransferEncoding = false;
        _badFraming = false;
        ExpectContinue = false;
        Md5Start = -1; Md5Length = 0;
        RangeStart = -1; RangeLength = 0;
        ImsStart = -1; ImsLength = 0;
    }

    /// <summary>Parses the head in <paramref name="buf"/>[start..end) (which ends with the
    /// blank line). Offsets stored are absolute offsets into <paramref name="buf"/>.</summary>
    public ParseResult Parse(byte[] buf, int start, int end)
    {
        Reset();
        var span = buf.AsSpan(start, end - start);
        int nl = span.IndexOf((byte)'\n');
        if (nl < 0) return ParseResult.Malformed;
        var line = TrimCr(span[..nl]);

        // METHOD SP target SP HTTP/1.x — exactly single spaces, as Perlbal's parser.
        int sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0) return ParseResult.Malformed;
        var method = line[..sp1];
        var rest = line[(sp1 + 1)..];
        int sp2 = rest.IndexOf((byte)' ');
        if (sp2 <= 0) return ParseResult.Malformed;
        var version = rest[(sp2 + 1)..];
        if (version.IndexOf((byte)' ') >= 0) return ParseResult.Malformed;
        if (version.Length != 8 || !version.StartsWith("HTTP/"u8) || version[6] != '.' ||
            !char.IsAsciiDigit((char)version[5]) || !char.IsAsciiDigit((char)version[7]))
            return ParseResult.Malformed;
        if (version[5] != '1') return ParseResult.UnsupportedVersion;
        VersionMinor = version[7] - '0';
        TargetStart = start + sp1 + 1;
        TargetLength = sp2;

        Method = method switch
        {
            _ when method.SequenceEqual("GET"u8) => HttpMethod.Get,
            _ when method.SequenceEqual("HEAD"u8) => HttpMethod.Head,
            _ when method.SequenceEqual("PUT"u8) => HttpMethod.Put,
            _ when method.SequenceEqual("DELETE"u8) => HttpMethod.Delete,
            _ when method.SequenceEqual("POST"u8) => HttpMethod.Post,
            _ => HttpMethod.Other,
        };

        int pos = nl + 1;
        while (pos < span.Length)
        {
            var remaining = span[pos..];
            int lnl = remaining.IndexOf((byte)'\n');
            if (lnl < 0) return ParseResult.Malformed;
            var h = TrimCr(remaining[..lnl]);
            int lineStart = start + pos;
            pos += lnl + 1;
            if (h.IsEmpty) break;
            int colon = h.IndexOf((byte)':');
            if (colon <= 0) return ParseResult.Malformed;
            var name = h[..colon];
            if (name[^1] == ' ' || name[^1] == '\t' || name[0] == ' ' || name[0] == '\t') return ParseResult.Malformed;
            int vs = colon + 1;
            while (vs < h.Length && (h[vs] == ' ' || h[vs] == '\t')) vs++;
            int ve = h.Length;
            while (ve > vs && (h[ve - 1] == ' ' || h[ve - 1] == '\t')) ve--;
            var value = h[vs..ve];
            OnHeader(name, value, lineStart + vs);
        }
        // RFC 9112 §6.1/§6.3: a message with both framings, or with a Content-Length that is
        // conflicting or out of range, is one a proxy in front may have framed differently
        // (request smuggling): refuse it (400, close) rather than guess.
        if (_badFraming || (HasTransferEncoding && HasContentLength)) return ParseResult.Malformed;
        return ParseResult.Ok;
    }

    private void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int valueOffset)
    {
        switch (name.Length)
        {
            case 5 when Ascii.EqualsIgnoreCase(name, "Range"u8):
                RangeStart = valueOffset; RangeLength = value.Length;
                break;
            case 6 when Ascii.EqualsIgnoreCase(name, "Expect"u8):
                if (ContainsToken(value, "100-continue"u8)) ExpectContinue = true;
                break;
            case 10 when Ascii.EqualsIgnoreCase(name, "Connection"u8):
                if (ContainsToken(value, "close"u8)) ConnectionClose = true;
                if (ContainsToken(value, "keep-alive"u8)) ConnectionKeepAlive = true;
                break;
            case 11 when Ascii.EqualsIgnoreCase(name, "Content-MD5"u8):
                Md5Start = valueOffset; Md5Length = value.Length;
                break;
            case 14 when Ascii.EqualsIgnoreCase(name, "Content-Length"u8):
                if (!TryContentLength(value, out long length) || (HasContentLength && length != ContentLength))
                    _badFraming = true;
                HasContentLength = true;
                ContentLength = length;
                break;
            case 17 when Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8):
                // Only "chunked" alone is understood; anything else (another coding, a list, a
                // second header) would leave the body's end unknown.
                if (HasTransferEncoding || !Ascii.EqualsIgnoreCase(value, "chunked"u8)) _badFraming = true;
                HasTransferEncoding = true;
                Chunked = true;
                break;
            case 17 when Ascii.EqualsIgnoreCase(name, "If-Modified-Since"u8):
                ImsStart = valueOffset; ImsLength = value.Length;
                break;
        }
    }

    /// <summary>
    /// Content-Length as 2.73 read it (Perl's numeric coercion, so "abc" is 0 and "12x" is 12:
    /// documented behaviour we keep), except what can only be an attack or a broken client:
    /// digits beyond the range of a 64-bit length, and a list ("5, 6") whose members differ.
    /// </summary>
    internal static bool TryContentLength(ReadOnlySpan<byte> v, out long length)
    {
        int comma = v.IndexOf((byte)',');
        if (comma >= 0)
        {
            var first = v[..comma].Trim(" \t"u8);
            if (!TryContentLength(first, out length)) return false;
            var rest = v[(comma + 1)..];
            while (true)
            {
                int next = rest.IndexOf((byte)',');
                var item = (next < 0 ? rest : rest[..next]).Trim(" \t"u8);
                if (!item.SequenceEqual(first)) return false;
                if (next < 0) return true;
                rest = rest[(next + 1)..];
            }
        }
        length = PerlNumber(v);
        return length is not (long.MaxValue or long.MinValue);
    }

    /// <summary>Perl's string-to-number coercion of an integer: leading blanks, optional
    /// sign, digits; anything else stops the number ("abc" is 0, "12x" is 12).</summary>
    internal static long PerlNumber(ReadOnlySpan<byte> v)
    {
        int i = 0;
        while (i < v.Length && (v[i] == ' ' || v[i] == '\t')) i++;
        bool neg = false;
        if (i < v.Length && (v[i] == '-' || v[i] == '+')) { neg = v[i] == '-'; i++; }
        long n = 0;
        for (; i < v.Length && v[i] >= '0' && v[i] <= '9'; i++)
        {
            if (n > (long.MaxValue - 9) / 10) return neg ? long.MinValue : long.MaxValue;
            n = n * 10 + (v[i] - '0');
        }
        return neg ? -n : n;
    }

    /// <summary>Case-insensitive word match inside a comma/space separated header value.</summary>
    internal static bool ContainsToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        int i = 0;
        while (i < value.Length)
        {
            while (i < value.Length && (value[i] == ',' || value[i] == ' ' || value[i] == '\t')) i++;
            int s = i;
            while (i < value.Length && value[i] != ',' && value[i] != ' ' && value[i] != '\t') i++;
            if (i > s && Ascii.EqualsIgnoreCase(value[s..i], token)) return true;
        }
        return false;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> s) => s.Length > 0 && s[^1] == '\r' ? s[..^1] : s;
}
