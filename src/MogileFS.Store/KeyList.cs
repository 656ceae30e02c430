namespace MogileFS.Store;

/// <summary>
/// The keys list_keys read, as raw bytes packed into one reusable buffer (no string per key).
/// The tracker keeps one per connection and clears it before each call.
/// </summary>
public sealed class KeyList
{
    private byte[] _bytes = new byte[4096];
    private int[] _ends = new int[128];
    private int _used;

    public int Count { get; private set; }

    /// <summary>The bytes of key <paramref name="i"/>; valid until the list is cleared or grows.</summary>
    public ReadOnlySpan<byte> this[int i]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)i, (uint)Count);
            int start = i == 0 ? 0 : _ends[i - 1];
            return _bytes.AsSpan(start, _ends[i] - start);
        }
    }

    public void Clear()
    {
        Count = 0;
        _used = 0;
        if (_bytes.Length > 256 * 1024) _bytes = new byte[4096]; // don't keep a huge buffer per idle connection
    }

    public void Add(ReadOnlySpan<byte> key) => key.CopyTo(_bytes.AsSpan(Append(key.Length)));

    /// <summary>Adds <paramref name="length"/> bytes at <paramref name="bytes"/> (native memory).</summary>
    public void Add(IntPtr bytes, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int at = Append(length);
        if (length > 0) System.Runtime.InteropServices.Marshal.Copy(bytes, _bytes, at, length);
    }

    /// <summary>Adds a byte string (<see cref="MogileFS.Core.Protocol.ByteString"/>: one char per byte).</summary>
    public void Add(string key) => MogileFS.Core.Protocol.ByteString.ToBytes(key, _bytes.AsSpan(Append(key.Length), key.Length));

    /// <summary>Makes room for one more key of <paramref name="length"/> bytes, records its end and
    /// returns where its bytes go.</summary>
    private int Append(int length)
    {
        if (_used + length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + length));
        if (Count == _ends.Length) Array.Resize(ref _ends, _ends.Length * 2);
        int at = _used;
        _used += length;
        _ends[Count++] = _used;
        return at;
    }
}
