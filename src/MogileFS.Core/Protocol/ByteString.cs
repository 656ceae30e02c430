using System.Text;

namespace MogileFS.Core.Protocol;

/// <summary>
/// How the tracker represents the protocol's byte strings (keys, domain/class/host names,
/// argument values): as a .NET <see cref="string"/> in which every char is one byte
/// (U+0000..U+00FF, i.e. ISO-8859-1 "Latin-1 as bytes"). ASCII text is therefore identical
/// in both worlds ("default", URLs, numbers), ordinal string comparison is bytewise
/// comparison (list_keys order), and any byte sequence round-trips exactly, including UTF-8
/// keys (T23) and invalid UTF-8. Conversion to real text happens only at the edges: the store
/// (database text columns hold the raw bytes; on PostgreSQL they must be valid UTF-8) and logs.
/// </summary>
public static class ByteString
{
    /// <summary>Bytes → byte string (one char per byte).</summary>
    public static string FromBytes(ReadOnlySpan<byte> bytes) => bytes.IsEmpty ? "" : Encoding.Latin1.GetString(bytes);

    /// <summary>Byte string → bytes. Chars above U+00FF (not a byte string) become '?'.</summary>
    public static byte[] ToBytes(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary>Writes the bytes of <paramref name="s"/> into <paramref name="dest"/>; returns the count.</summary>
    public static int ToBytes(ReadOnlySpan<char> s, Span<byte> dest) => Encoding.Latin1.GetBytes(s, dest);

    /// <summary>Real text (e.g. a log message, a PostgreSQL text value) → its UTF-8 bytes as a byte string.</summary>
    public static string FromText(string text)
    {
        if (System.Text.Ascii.IsValid(text)) return text;
        return FromBytes(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>True if every char is 7-bit ASCII (then byte string and text are the same string).</summary>
    public static bool IsAscii(string s) => System.Text.Ascii.IsValid(s);

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Byte string → text if its bytes are valid UTF-8; otherwise null.</summary>
    public static string? TryToText(string bytes)
    {
        if (System.Text.Ascii.IsValid(bytes)) return bytes;
        var raw = ToBytes(bytes);
        if (!System.Text.Unicode.Utf8.IsValid(raw)) return null;
        return StrictUtf8.GetString(raw);
    }

    /// <summary>Byte string → text for logs and messages (invalid UTF-8 shown as U+FFFD).</summary>
    public static string ToDisplayText(string bytes) =>
        System.Text.Ascii.IsValid(bytes) ? bytes : Encoding.UTF8.GetString(ToBytes(bytes));
}
