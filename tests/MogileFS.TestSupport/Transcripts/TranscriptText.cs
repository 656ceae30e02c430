using System.Text;

namespace MogileFS.TestSupport.Transcripts;

/// <summary>
/// The escaping of the transcript files (README "File format"): printable ASCII as is,
/// <c>\r \n \t \\</c> and <c>\xNN</c> for every other byte. Comparisons and masks work on this
/// escaped text, because the <c>vary-re</c> regexes are written against it.
/// </summary>
public static class TranscriptText
{
    /// <summary>Turns escaped transcript text into the bytes it stands for.</summary>
    public static byte[] Unescape(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '\\')
            {
                if (c > 0x7E || c < 0x20)
                    throw new FormatException($"Character U+{(int)c:X4} must be escaped in a transcript line: {text}");
                bytes.Add((byte)c);
                continue;
            }
            if (i + 1 >= text.Length)
                throw new FormatException("Dangling backslash at the end of: " + text);
            char e = text[++i];
            switch (e)
            {
                case 'r': bytes.Add(0x0D); break;
                case 'n': bytes.Add(0x0A); break;
                case 't': bytes.Add(0x09); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case 'x':
                    if (i + 2 >= text.Length || !IsHex(text[i + 1]) || !IsHex(text[i + 2]))
                        throw new FormatException($"Bad \\x escape at column {i} of: {text}");
                    bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                    i += 2;
                    break;
                default:
                    throw new FormatException($"Unknown escape \\{e} at column {i} of: {text}");
            }
        }
        return bytes.ToArray();
    }

    /// <summary>Turns bytes into the escaped form used by the transcript files.</summary>
    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length + 8);
        foreach (byte b in bytes)
        {
            switch (b)
            {
                case 0x0D: sb.Append("\\r"); break;
                case 0x0A: sb.Append("\\n"); break;
                case 0x09: sb.Append("\\t"); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                default:
                    if (b is >= 0x20 and <= 0x7E) sb.Append((char)b);
                    else sb.Append("\\x").Append(b.ToString("x2"));
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>The tracker's reply encoding ("eurl", tracker-protocol.md §3.2), used to build
    /// request values the way the Perl client does.</summary>
    public static string EncodeValue(string value)
    {
        var sb = new StringBuilder();
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (b == ' ') sb.Append('+');
            else if (b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
                     or (byte)'_' or (byte)',' or (byte)'-' or (byte)'.' or (byte)'/' or (byte)'\\' or (byte)':')
                sb.Append((char)b);
            else sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }

    /// <summary>Decodes a value of a reply ('+' is a space, %XX a byte) as UTF-8 text.</summary>
    public static string DecodeValue(string encoded)
    {
        var bytes = new List<byte>(encoded.Length);
        for (int i = 0; i < encoded.Length; i++)
        {
            char c = encoded[i];
            if (c == '+') bytes.Add((byte)' ');
            else if (c == '%' && i + 2 < encoded.Length && IsHex(encoded[i + 1]) && IsHex(encoded[i + 2]))
            {
                bytes.Add(Convert.ToByte(encoded.Substring(i + 1, 2), 16));
                i += 2;
            }
            else bytes.Add((byte)c);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsHex(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f') or (>= 'A' and <= 'F');
}
