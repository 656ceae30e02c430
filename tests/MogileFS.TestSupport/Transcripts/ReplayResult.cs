using System.Text;

namespace MogileFS.TestSupport.Transcripts;

/// <summary>One difference between a transcript and what the server did.</summary>
public sealed record ReplayMismatch(string File, int Line, string Connection, string? Request, string Expected, string Actual, string Problem)
{
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(File).Append(':').Append(Line).Append(" [connection ").Append(Connection).Append("] ").AppendLine(Problem);
        if (Request != null) sb.Append("    request : ").AppendLine(Request);
        sb.Append("    expected: ").AppendLine(Expected);
        sb.Append("    actual  : ").Append(Actual);
        return sb.ToString();
    }
}

/// <summary>The outcome of replaying one transcript.</summary>
public sealed class ReplayResult(string file)
{
    public string File { get; } = file;
    public List<ReplayMismatch> Mismatches { get; } = new();
    /// <summary>What the replay did beyond the transcript (stand-ins for background jobs, stops).</summary>
    public List<string> Notes { get; } = new();
    /// <summary>Set when the replay ended early: the line and why.</summary>
    public (int Line, string Reason)? StoppedAt { get; set; }
    /// <summary>True when the replay stopped because the server broke the exchange (timeout, closed connection).</summary>
    public bool Aborted { get; set; }
    public int RepliesCompared { get; set; }

    public bool Passed => Mismatches.Count == 0 && !Aborted;

    public string Report()
    {
        var sb = new StringBuilder();
        sb.Append(File).Append(": ").Append(Passed ? "passed" : $"{Mismatches.Count} mismatch(es)")
          .Append(", ").Append(RepliesCompared).Append(" replies compared");
        if (StoppedAt is { } s) sb.Append($", stopped at line {s.Line}: {s.Reason}");
        sb.AppendLine();
        foreach (var n in Notes) sb.Append("  note: ").AppendLine(n);
        foreach (var m in Mismatches) sb.AppendLine(m.ToString());
        return sb.ToString();
    }

    public void ThrowIfFailed()
    {
        if (!Passed) throw new TranscriptReplayException(Report());
    }
}

public sealed class TranscriptReplayException(string message) : Exception(message);
