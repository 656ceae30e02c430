namespace MogileFS.Core.Protocol;

/// <summary>
/// Framing and dispatch of one request line (tracker-protocol.md §2.2, §2.3). Works on the raw
/// bytes of the line with the LF and one preceding CR already removed.
/// </summary>
public static class RequestLine
{
    /// <summary>Perl's \s: space, \t, \n, \v, \f, \r.</summary>
    public static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or 0x0B;

    private static bool IsWord(byte b) =>
        (uint)(b - 'a') <= 'z' - 'a' || (uint)(b - 'A') <= 'Z' - 'A' || (uint)(b - '0') <= 9 || b == '_';

    /// <summary>
    /// Finds the next complete line in <paramref name="buffer"/>: returns false when no LF is present.
    /// <paramref name="line"/> excludes the LF and one CR right before it; <paramref name="consumed"/>
    /// is the number of bytes including the LF.
    /// </summary>
    public static bool TryReadLine(ReadOnlySpan<byte> buffer, out ReadOnlySpan<byte> line, out int consumed)
    {
        int lf = buffer.IndexOf((byte)'\n');
        if (lf < 0) { line = default; consumed = 0; return false; }
        consumed = lf + 1;
        line = lf > 0 && buffer[lf - 1] == (byte)'\r' ? buffer[..(lf - 1)] : buffer[..lf];
        return true;
    }

    /// <summary>
    /// Admin syntax <c>^!(\S+)(?:\s+(.+))?$</c>. On success <paramref name="word"/> is the command word
    /// and <paramref name="argText"/> the optional remainder (empty when absent).
    /// </summary>
    public static bool TryParseAdmin(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> word, out ReadOnlySpan<byte> argText)
    {
        word = default; argText = default;
        if (line.Length < 2 || line[0] != (byte)'!' || IsSpace(line[1])) return false;
        int i = 1;
        while (i < line.Length && !IsSpace(line[i])) i++;
        word = line[1..i];
        if (i == line.Length) return true;
        var rest = line[i..];
        if (rest.Length < 2) return false; // \s+ and .+ need one byte each
        int j = 0;
        while (j < rest.Length - 1 && IsSpace(rest[j])) j++; // greedy \s+, leaving >= 1 byte for .+
        argText = rest[j..];
        return true;
    }

    /// <summary>
    /// Query syntax: skip leading whitespace, command = run of [A-Za-z0-9_] (lower-cased by the
    /// caller's lookup), skip whitespace, the rest verbatim is the argument string.
    /// Returns false when the line does not start with a word byte (unknown_command without callid).
    /// </summary>
    public static bool TryParseQuery(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> command, out ReadOnlySpan<byte> args)
    {
        int i = 0;
        while (i < line.Length && IsSpace(line[i])) i++;
        int start = i;
        while (i < line.Length && IsWord(line[i])) i++;
        command = line[start..i];
        while (i < line.Length && IsSpace(line[i])) i++;
        args = line[i..];
        return command.Length > 0;
    }

    /// <summary>ASCII lower-case of a command name into chars (for table lookup).</summary>
    public static int ToLowerAscii(ReadOnlySpan<byte> name, Span<char> dest)
    {
        for (int i = 0; i < name.Length; i++)
        {
            byte b = name[i];
            dest[i] = (char)((uint)(b - 'A') <= 'Z' - 'A' ? b | 0x20 : b);
        }
        return name.Length;
    }
}
