using System.Net;

namespace MogileFS.TestSupport.Transcripts;

/// <summary>What a transcript replay needs from the cluster it runs against.</summary>
public interface IReplayEnvironment
{
    /// <summary>Where the tracker listens (any address; clients connect from 127.0.0.1).</summary>
    IPEndPoint TrackerEndPoint { get; }

    /// <summary>The real ports that stand in for the capture's ports.</summary>
    CapturePorts Ports { get; }

    /// <summary>The file on disk that a storage URL (<c>http://ip:port/devN/...</c>) names, or null
    /// when no storage node of this cluster serves that address.</summary>
    string? LocalPathForUrl(string url);

    /// <summary>
    /// Called when a <c>wait:</c> condition did not come true within the wait timeout (for example
    /// because background jobs are not implemented). The environment may make the condition true
    /// by other means and return a sentence saying what it did; null means "cannot".
    /// </summary>
    Task<string?> StandInAsync(WaitStep step, ReplaySideChannel side, CancellationToken ct);
}

/// <summary>Requests on connections that are not part of the transcript (the driver's polling).</summary>
public sealed class ReplaySideChannel(IPEndPoint tracker, TimeSpan timeout)
{
    public IPEndPoint Tracker { get; } = tracker;

    /// <summary>Sends one request line on a fresh connection and returns the reply line (without CRLF).</summary>
    public Task<string> QueryAsync(string line, CancellationToken ct = default) =>
        TrackerClient.QueryOnceAsync(Tracker, line, timeout, ct);

    /// <summary>The decoded pairs of an OK reply; throws on ERR.</summary>
    public async Task<Dictionary<string, string>> QueryOkAsync(string line, CancellationToken ct = default)
    {
        string reply = await QueryAsync(line, ct).ConfigureAwait(false);
        if (!reply.StartsWith("OK", StringComparison.Ordinal))
            throw new InvalidOperationException($"side request '{line}' failed: {reply}");
        return TrackerClient.ParseOk(reply);
    }
}

/// <summary>How a replay runs.</summary>
public sealed class ReplayOptions
{
    /// <summary>How long to wait for one expected reply line (sleep duration=3 and clear_cache take seconds).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a <c>wait:</c> polls before asking the environment for a stand-in.</summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Pause at <c>settle:</c>. The README allows a synchronous server to skip it; we do by default.</summary>
    public bool HonourSettle { get; init; }

    /// <summary>Stop (successfully) before the first <c>wait:</c> directive: replays the part of a
    /// file that does not depend on background jobs.</summary>
    public bool StopAtFirstWait { get; init; }

    /// <summary>
    /// Pause when switching away from a connection whose request is still unanswered, so the server
    /// has read it before the next connection's request (file 24 keeps three workers busy and
    /// queues a fourth request before asking <c>!queue</c>).
    /// </summary>
    public TimeSpan SwitchPause { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Expected replies that differ for a reason the capture could not show, keyed by
    /// (file name, line of the reply): for example list_keys matching on PostgreSQL, which is
    /// case-sensitive in 2.73 too, where the capture (SQLite) matched case-insensitively.
    /// </summary>
    public IReadOnlyDictionary<(string File, int Line), string>? ExpectedOverrides { get; init; }

    /// <summary>Receives one line per exchange (for test output).</summary>
    public Action<string>? Log { get; init; }
}
