using System.Globalization;

namespace MogileFS.Tracker.Server;

/// <summary>The last 50 completed queries for <c>!recent</c>: a fixed ring of reused byte buffers, so
/// recording a query copies its line but allocates nothing.</summary>
public sealed class RecentQueries
{
    public const int Capacity = 50;

    private readonly Entry[] _ring = new Entry[Capacity];
    private readonly object _gate = new();
    private int _next;
    private int _count;

    public RecentQueries()
    {
        for (int i = 0; i < Capacity; i++) _ring[i] = new Entry();
    }

    public void Add(string clientIp, ReadOnlySpan<byte> line, double totalSeconds, double workerSeconds)
    {
        lock (_gate)
        {
            var e = _ring[_next];
            e.Ip = clientIp;
            if (e.Line.Length < line.Length) e.Line = new byte[Math.Max(line.Length, 64)];
            line.CopyTo(e.Line);
            e.Length = line.Length;
            e.Total = totalSeconds;
            e.Worker = workerSeconds;
            _next = (_next + 1) % Capacity;
            if (_count < Capacity) _count++;
        }
    }

    /// <summary>Lines "ip line total worker", oldest first (line bytes as Latin-1 chars).</summary>
    public List<string> Lines()
    {
        lock (_gate)
        {
            var result = new List<string>(_count);
            int start = (_next - _count + Capacity) % Capacity;
            for (int i = 0; i < _count; i++)
            {
                var e = _ring[(start + i) % Capacity];
                result.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{e.Ip} {System.Text.Encoding.Latin1.GetString(e.Line, 0, e.Length)} {e.Total:0.0000} {e.Worker:0.0000}"));
            }
            return result;
        }
    }

    private sealed class Entry
    {
        public string Ip = "";
        public byte[] Line = Array.Empty<byte>();
        public int Length;
        public double Total, Worker;
    }
}
