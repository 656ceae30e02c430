using System.Buffers;

namespace MogileFS.Core.Protocol;

/// <summary>
/// The decoded argument string of one query (tracker-protocol.md §3.1): pieces split on '&amp;',
/// empty and "0" pieces dropped, name/value split on '=' (text after a second '=' dropped),
/// '+' → space and %XX decoded once, repeated names merged (NUL-joined when the value so far
/// is true, else concatenated). Names and values are byte strings (see <see cref="ByteString"/>).
/// "Missing" in the spec = absent or empty: use <see cref="Get"/> and test for empty, or
/// <see cref="IsTrue"/>. Names keep their first-seen order (clear_cache echoes them).
/// One instance is reused per connection; it is only valid during the handler call.
/// </summary>
public sealed class RequestArgs
{
    private string[] _names = new string[8];
    private string[] _values = new string[8];
    private int _count;

    private static readonly string[] Digits = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" };

    public int Count => _count;

    /// <summary>Name and value of the i-th distinct argument, in first-seen order.</summary>
    public (string Name, string Value) this[int i] =>
        (uint)i < (uint)_count ? (_names[i], _values[i]) : throw new ArgumentOutOfRangeException(nameof(i));

    /// <summary>True if the argument was sent (even with an empty value).</summary>
    public bool Has(string name) => IndexOf(name) >= 0;

    /// <summary>The value, or null when absent. An argument sent without a value is "".</summary>
    public string? Get(string name)
    {
        int i = IndexOf(name);
        return i >= 0 ? _values[i] : null;
    }

    /// <summary>The value, or "" when absent.</summary>
    public string GetOrEmpty(string name) => Get(name) ?? "";

    /// <summary>Perl truthiness of the argument (absent, "" and "0" are false).</summary>
    public bool IsTrue(string name) => Perl.IsTrue(Get(name));

    /// <summary>Perl numeric value of the argument (absent = 0).</summary>
    public double Num(string name) => Perl.Numify(Get(name));

    /// <summary>Perl int() of the argument, clamped to long.</summary>
    public long Int(string name) => Perl.IntAsLong(Get(name));

    /// <summary>True if present and non-empty (the spec's "not missing").</summary>
    public bool HasValue(string name) => Get(name) is { Length: > 0 };

    private int IndexOf(string name)
    {
        var names = _names;
        for (int i = 0; i < _count; i++)
            if (string.Equals(names[i], name, StringComparison.Ordinal)) return i;
        return -1;
    }

    public void Clear()
    {
        Array.Clear(_names, 0, _count);
        Array.Clear(_values, 0, _count);
        _count = 0;
    }

    /// <summary>Sets a value directly (tests, internal re-dispatch).</summary>
    public void Set(string name, string value)
    {
        int i = IndexOf(name);
        if (i >= 0) { _values[i] = value; return; }
        Append(name, value);
    }

    private void Append(string name, string value)
    {
        if (_count == _names.Length)
        {
            Array.Resize(ref _names, _count * 2);
            Array.Resize(ref _values, _count * 2);
        }
        _names[_count] = name;
        _values[_count] = value;
        _count++;
    }

    /// <summary>Parses a raw argument string (bytes after the command name) into a new instance.</summary>
    public static RequestArgs Parse(ReadOnlySpan<byte> raw)
    {
        var a = new RequestArgs();
        a.Load(raw);
        return a;
    }

    /// <summary>Parses a byte-string argument string (tests, tools).</summary>
    public static RequestArgs Parse(string raw) => Parse(ByteString.ToBytes(raw));

    /// <summary>Clears and decodes <paramref name="raw"/> per spec §3.1.</summary>
    public void Load(ReadOnlySpan<byte> raw)
    {
        Clear();
        byte[]? rented = null;
        Span<byte> scratch = raw.Length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(raw.Length));
        try
        {
            while (true)
            {
                int amp = raw.IndexOf((byte)'&');
                var piece = amp < 0 ? raw : raw[..amp];
                if (!(piece.IsEmpty || (piece.Length == 1 && piece[0] == (byte)'0')))
                    AddPiece(piece, scratch);
                if (amp < 0) break;
                raw = raw[(amp + 1)..];
            }
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void AddPiece(ReadOnlySpan<byte> piece, Span<byte> scratch)
    {
        ReadOnlySpan<byte> rawName, rawValue;
        int eq = piece.IndexOf((byte)'=');
        if (eq < 0) { rawName = piece; rawValue = default; }
        else
        {
            rawName = piece[..eq];
            var rest = piece[(eq + 1)..];
            int eq2 = rest.IndexOf((byte)'=');
            rawValue = eq2 < 0 ? rest : rest[..eq2];
        }
        int nlen = Decode(rawName, scratch);
        string name = KnownNames.Intern(scratch[..nlen]) ?? ByteString.FromBytes(scratch[..nlen]);
        string value;
        if (rawValue.IsEmpty) value = "";
        else
        {
            int vlen = Decode(rawValue, scratch);
            value = vlen == 1 && (uint)(scratch[0] - '0') <= 9 ? Digits[scratch[0] - '0'] : ByteString.FromBytes(scratch[..vlen]);
        }
        int i = IndexOf(name);
        if (i < 0) { Append(name, value); return; }
        var old = _values[i];
        _values[i] = Perl.IsTrue(old) ? string.Concat(old, "\0", value) : string.Concat(old, value);
    }

    /// <summary>'+' → space, %XX (either case) → byte, anything else copied. Returns the length.</summary>
    public static int Decode(ReadOnlySpan<byte> src, Span<byte> dest)
    {
        int o = 0;
        for (int i = 0; i < src.Length; i++)
        {
            byte b = src[i];
            if (b == (byte)'+') b = (byte)' ';
            else if (b == (byte)'%' && i + 2 < src.Length)
            {
                int h = Hex(src[i + 1]), l = Hex(src[i + 2]);
                if ((h | l) >= 0) { b = (byte)(h << 4 | l); i += 2; }
            }
            dest[o++] = b;
        }
        return o;
    }

    private static int Hex(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Argument names clients send all the time; decoding them allocates nothing.</summary>
    private static class KnownNames
    {
        private static readonly string[] Names =
        {
            "domain", "key", "class", "callid", "noverify", "pathcount", "zone", "fid", "devid", "path",
            "size", "multi_dest", "devices", "prefix", "after", "limit", "from", "to", "from_key", "to_key",
            "checksum", "checksumverify", "mindevcount", "replpolicy", "hashtype", "host", "ip", "port",
            "getport", "altip", "altmask", "status", "state", "device", "weight", "hostid", "hostname",
            "value", "duration", "update", "all", "dev_count", "debug_profile", "crash",
        };

        private static readonly byte[][] Bytes = Array.ConvertAll(Names, ByteString.ToBytes);

        public static string? Intern(ReadOnlySpan<byte> name)
        {
            if (name.Length == 0) return "";
            var bytes = Bytes;
            for (int i = 0; i < bytes.Length; i++)
                if (name.SequenceEqual(bytes[i])) return Names[i];
            return null;
        }
    }
}
