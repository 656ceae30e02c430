namespace MogileFS.Core.Protocol;

/// <summary>
/// Reply escaping (tracker-protocol.md §3.2): A-Z a-z 0-9 _ , - . / \ : unchanged, space → '+',
/// every other byte → %XX with upper-case hex. Input chars are bytes (<see cref="ByteString"/>).
/// </summary>
public static class Eurl
{
    private static readonly bool[] Safe = BuildSafe();
    private static ReadOnlySpan<byte> HexDigits => "0123456789ABCDEF"u8;

    private static bool[] BuildSafe()
    {
        var t = new bool[256];
        for (int c = 'A'; c <= 'Z'; c++) t[c] = true;
        for (int c = 'a'; c <= 'z'; c++) t[c] = true;
        for (int c = '0'; c <= '9'; c++) t[c] = true;
        foreach (var c in "_,-./\\:") t[c] = true;
        return t;
    }

    /// <summary>Upper bound of the encoded length.</summary>
    public static int MaxEncodedLength(int chars) => chars * 3;

    /// <summary>Encodes into <paramref name="dest"/> (must hold <see cref="MaxEncodedLength"/>); returns bytes written.</summary>
    public static int Encode(ReadOnlySpan<char> value, Span<byte> dest)
    {
        var safe = Safe;
        int o = 0;
        for (int i = 0; i < value.Length; i++)
        {
            int c = value[i] & 0xFF;
            if (safe[c]) dest[o++] = (byte)c;
            else if (c == ' ') dest[o++] = (byte)'+';
            else
            {
                dest[o] = (byte)'%';
                dest[o + 1] = HexDigits[c >> 4];
                dest[o + 2] = HexDigits[c & 15];
                o += 3;
            }
        }
        return o;
    }

    /// <summary>Encodes a byte span.</summary>
    public static int Encode(ReadOnlySpan<byte> value, Span<byte> dest)
    {
        var safe = Safe;
        int o = 0;
        for (int i = 0; i < value.Length; i++)
        {
            int c = value[i];
            if (safe[c]) dest[o++] = (byte)c;
            else if (c == ' ') dest[o++] = (byte)'+';
            else
            {
                dest[o] = (byte)'%';
                dest[o + 1] = HexDigits[c >> 4];
                dest[o + 2] = HexDigits[c & 15];
                o += 3;
            }
        }
        return o;
    }

    /// <summary>Convenience: encoded form as a string (tests, logs).</summary>
    public static string Encode(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var buf = new byte[MaxEncodedLength(value.Length)];
        int n = Encode(value.AsSpan(), buf);
        return System.Text.Encoding.ASCII.GetString(buf, 0, n);
    }
}
