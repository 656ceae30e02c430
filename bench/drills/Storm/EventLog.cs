using System.Globalization;

namespace MogileFS.Drills.Storm;

/// <summary>
/// The two event files every drill client writes, one line per event, tab-separated, times in
/// Unix milliseconds (so a Perl loop or a shell loop around mogupload can write them too):
/// <c>acked.tsv</c>: end_ms, start_ms, client, key, size, fid — a store the tracker acknowledged
/// (create_close answered OK); <c>errors.tsv</c>: end_ms, start_ms, client, key, code, message.
/// Lines are flushed as they are written, so a killed run still leaves every event before it.
/// </summary>
public sealed class EventLog : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _lock = new();

    public EventLog(string path)
    {
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    public void Write(params object?[] fields)
    {
        var line = string.Join('\t', fields.Select(f => Clean(Convert.ToString(f, CultureInfo.InvariantCulture))));
        lock (_lock) _writer.WriteLine(line);
    }

    private static string Clean(string? s) => (s ?? "-").Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');

    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public void Dispose() { lock (_lock) _writer.Dispose(); }

    /// <summary>Reads an event file (missing file = no events). Blank and malformed lines are skipped.</summary>
    public static List<string[]> Read(string path)
    {
        var rows = new List<string[]>();
        if (!File.Exists(path)) return rows;
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(fs);
        while (reader.ReadLine() is { } line)
        {
            var f = line.Split('\t');
            if (f.Length >= 4 && long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out _)) rows.Add(f);
        }
        return rows;
    }
}
