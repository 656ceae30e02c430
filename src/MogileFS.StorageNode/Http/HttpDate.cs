using System.Buffers.Text;

namespace MogileFS.StorageNode.Http;

/// <summary>RFC 1123 dates as bytes. The current date is formatted at most once a second
/// and shared (an immutable array swapped in), so the Date header costs a copy.</summary>
internal static class HttpDate
{
    public const int Length = 29; // "Sun, 22 Nov 2026 02:52:10 GMT"

    private sealed class Entry(long second, byte[] bytes)
    {
        public readonly long Second = second;
        public readonly byte[] Bytes = bytes;
    }

    private static Entry s_current = new(-1, new byte[Length]);

    public static ReadOnlySpan<byte> Now
    {
        get
        {
            long sec = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var e = s_current;
            if (e.Second == sec) return e.Bytes;
            var bytes = new byte[Length];
            Format(sec, bytes);
            s_current = new Entry(sec, bytes);
            return bytes;
        }
    }

    public static int Format(long unixSeconds, Span<byte> dest)
    {
        var dt = DateTime.UnixEpoch.AddSeconds(unixSeconds);
        Utf8Formatter.TryFormat(dt, dest, out int written, new System.Buffers.StandardFormat('R'));
        return written;
    }
}
