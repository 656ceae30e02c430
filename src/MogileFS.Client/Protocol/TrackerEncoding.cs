using System.Buffers;
using System.Text;

namespace MogileFS.Client.Protocol;

/// <summary>
/// The tracker protocol's argument encoding (tracker-protocol.md §3): request and reply pairs
/// are <c>key=value</c> joined by <c>&amp;</c>, each side escaped so that only
/// <c>A-Z a-z 0-9 _ , - . / \ :</c> stay literal, space becomes <c>+</c> and every other byte
/// becomes <c>%XX</c> (upper-case hex). Strings are carried as UTF-8.
/// </summary>
public static class TrackerEncoding
{
    private static readonly bool[] Literal = BuildLiteralTable();
    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    private static bool[] BuildLiteralTable()
    {
        var t = new bool[256];
        for (int c = 'A'; c <= 'Z'; c++) t[c] = true;
        for (int c = 'a'; c <= 'z'; c++) t[c] = true;
        for (int c = '0'; c <= '9'; c++) t[c] = true;
        foreach (var c in "_,-./\\:") t[c] = true;
        return t;
    }

    /// <summary>Escapes one key or value the way the tracker and the Perl client do.</summary>
    public static string Escape(string value)
    {
        var w = new ArrayBufferWriter<byte>(value.Length * 3 + 4);
        AppendEscaped(w, value);
        return Encoding.ASCII.GetString(w.WrittenSpan);
    }

    /// <summary>Appends the escaped UTF-8 bytes of <paramref name="value"/>.</summary>
    public static void AppendEscaped(IBufferWriter<byte> writer, string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        Span<byte> utf8 = max <= 512 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        int n = Encoding.UTF8.GetBytes(value, utf8);
        var dest = writer.GetSpan(n * 3);
        int o = 0;
        for (int i = 0; i < n; i++)
        {
            byte b = utf8[i];
            if (Literal[b]) dest[o++] = b;
            else if (b == (byte)' ') dest[o++] = (byte)'+';
            else
            {
                dest[o++] = (byte)'%';
                dest[o++] = Hex[b >> 4];
                dest[o++] = Hex[b & 15];
            }
        }
        writer.Advance(o);
        if (rented != null) ArrayPool<byte>.Shared.Return(rented);
    }

    /// <summary>
    /// Builds a complete request line <c>"&lt;command&gt; k=v&amp;k=v\r\n"</c>. Pairs whose value is
    /// <see langword="null"/> are left out, as the Perl client leaves out undefined values.
    /// </summary>
    public static byte[] BuildRequest(string command, IEnumerable<KeyValuePair<string, string?>> args)
    {
        var w = new ArrayBufferWriter<byte>(128);
        var head = w.GetSpan(command.Length + 1);
        int n = Encoding.ASCII.GetBytes(command, head);
        head[n] = (byte)' ';
        w.Advance(n + 1);
        bool first = true;
        foreach (var (k, v) in args)
        {
            if (v is null) continue;
            if (!first) { w.GetSpan(1)[0] = (byte)'&'; w.Advance(1); }
            first = false;
            AppendEscaped(w, k);
            w.GetSpan(1)[0] = (byte)'='; w.Advance(1);
            AppendEscaped(w, v);
        }
        var tail = w.GetSpan(2);
        tail[0] = (byte)'\r'; tail[1] = (byte)'\n';
        w.Advance(2);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes one escaped token: <c>+</c> becomes a space, <c>%XX</c> becomes that byte, anything
    /// else (including a malformed <c>%</c>) is kept; the bytes are then read as UTF-8.
    /// </summary>
    public static string Unescape(ReadOnlySpan<byte> token)
    {
        if (token.IndexOfAny((byte)'+', (byte)'%') < 0) return Encoding.UTF8.GetString(token);
        byte[]? rented = null;
        Span<byte> buf = token.Length <= 512 ? stackalloc byte[token.Length] : (rented = ArrayPool<byte>.Shared.Rent(token.Length));
        int o = 0;
        for (int i = 0; i < token.Length; i++)
        {
            byte b = token[i];
            if (b == (byte)'+') buf[o++] = (byte)' ';
            else if (b == (byte)'%' && i + 2 < token.Length && IsHex(token[i + 1]) && IsHex(token[i + 2]))
            {
                buf[o++] = (byte)(HexVal(token[i + 1]) << 4 | HexVal(token[i + 2]));
                i += 2;
            }
            else buf[o++] = b;
        }
        var s = Encoding.UTF8.GetString(buf[..o]);
        if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        return s;
    }

    /// <summary>Decodes an escaped string (see <see cref="Unescape(ReadOnlySpan{byte})"/>).</summary>
    public static string Unescape(string token) => Unescape(Encoding.UTF8.GetBytes(token));

    private static bool IsHex(byte b) => (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    private static int HexVal(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

    /// <summary>
    /// Parses a pair string <c>k=v&amp;k=v</c> into a dictionary. Empty pieces are skipped; a piece
    /// without <c>=</c> has an empty value; text after a second <c>=</c> is ignored (as the tracker
    /// does); a repeated name keeps the last value.
    /// </summary>
    public static Dictionary<string, string> ParsePairs(ReadOnlySpan<byte> pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!pairs.IsEmpty)
        {
            int amp = pairs.IndexOf((byte)'&');
            var piece = amp < 0 ? pairs : pairs[..amp];
            pairs = amp < 0 ? default : pairs[(amp + 1)..];
            if (piece.IsEmpty) continue;
            int eq = piece.IndexOf((byte)'=');
            if (eq < 0) { result[Unescape(piece)] = ""; continue; }
            var name = piece[..eq];
            var value = piece[(eq + 1)..];
            int eq2 = value.IndexOf((byte)'=');
            if (eq2 >= 0) value = value[..eq2];
            result[Unescape(name)] = Unescape(value);
        }
        return result;
    }

    /// <summary>
    /// Parses one reply line (without its line end). Returns the pairs of an <c>OK</c> reply, or
    /// throws <see cref="MogileFSTrackerException"/> for <c>ERR</c> and
    /// <see cref="MogileFSProtocolException"/> for anything else.
    /// </summary>
    public static TrackerResponse ParseReply(ReadOnlySpan<byte> line, string command, string tracker)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
        if (line.StartsWith("OK"u8) && (line.Length == 2 || line[2] == (byte)' ' || line[2] == (byte)'\t'))
        {
            var rest = line[2..].TrimStart(" \t"u8);
            int sp = rest.IndexOfAny((byte)' ', (byte)'\t');
            if (sp >= 0) rest = rest[..sp];
            return new TrackerResponse(ParsePairs(rest));
        }
        if (line.StartsWith("ERR"u8) && line.Length > 4 && (line[3] == (byte)' ' || line[3] == (byte)'\t'))
        {
            var rest = line[4..].TrimStart(" \t"u8);
            int sp = rest.IndexOfAny((byte)' ', (byte)'\t');
            var code = sp < 0 ? rest : rest[..sp];
            var msg = sp < 0 ? default : rest[(sp + 1)..].TrimStart(" \t"u8);
            int sp2 = msg.IndexOfAny((byte)' ', (byte)'\t');
            if (sp2 >= 0) msg = msg[..sp2];
            var codeText = Encoding.UTF8.GetString(code);
            var msgText = msg.IsEmpty ? codeText : Unescape(msg);
            throw new MogileFSTrackerException(codeText, msgText, command, tracker);
        }
        throw new MogileFSProtocolException(
            $"invalid response from tracker {tracker} to {command}: [{Encoding.UTF8.GetString(line)}]");
    }
}
