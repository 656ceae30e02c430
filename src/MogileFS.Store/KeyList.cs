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

    public void Add(ReadOnlySpan<byte> key)
    {
        if (_used + key.Length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + key.Length));
        if (Count == _ends.Length) Array.Resize(ref _ends, _ends.Length * 2);
        key.CopyTo(_bytes.AsSpan(_used));
        _used += key.Length;
        _ends[Count++] = _used;
    }

    /// <summary>Adds <paramref name="length"/> bytes at <paramref name="bytes"/> (native memory).</summary>
    public void Add(IntPtr bytes, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (_used + length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + length));
        if (Count == _ends.Length) Array.Resize(ref _ends, _ends.Length * 2);
        if (length > 0) System.Runtime.InteropServices.Marshal.Copy(bytes, _bytes, _used, length);
        _used += length;
        _ends[Count++] = _used;
    }

    /// <summary>Adds a byte string (<see cref="MogileFS.Core.Protocol.ByteString"/>: one char per byte).</summary>
    public void Add(string key)
    {
        if (_used + key.Length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _used + key.Length));
        if (Count == _ends.Length) Array.Resize(ref _ends, _ends.Length * 2);
        _used += MogileFS.Core.Protocol.ByteString.ToBytes(key, _bytes.AsSpan(_used));
        _ends[Count++] = _used;
    }
}
