namespace MogileFS.Client;

/// <summary>Base class of every error this library reports.</summary>
public class MogileFSException : Exception
{
    /// <summary>Creates an error with a stable code and a message.</summary>
    public MogileFSException(string errorCode, string message, Exception? inner = null) : base(message, inner)
        => ErrorCode = errorCode;

    /// <summary>
    /// A stable identifier: the tracker's error code (<c>unknown_key</c>, <c>no_devices</c>, ...) for
    /// <see cref="MogileFSTrackerException"/>, otherwise one of this library's codes
    /// (<c>no_trackers</c>, <c>tracker_unavailable</c>, <c>connection_lost</c>, <c>timeout</c>,
    /// <c>protocol</c>, <c>storage</c>, <c>no_paths</c>, <c>short_stream</c>).
    /// </summary>
    public string ErrorCode { get; }
}

/// <summary>The tracker answered <c>ERR &lt;code&gt; &lt;message&gt;</c>.</summary>
public sealed class MogileFSTrackerException : MogileFSException
{
    /// <summary>Creates the error for one ERR reply.</summary>
    public MogileFSTrackerException(string code, string trackerMessage, string command, string tracker)
        : base(code, $"{code} {trackerMessage}")
    {
        TrackerMessage = trackerMessage;
        Command = command;
        Tracker = tracker;
    }

    /// <summary>The decoded message text the tracker sent (the code itself when it sent none).</summary>
    public string TrackerMessage { get; }
    /// <summary>The command that failed.</summary>
    public string Command { get; }
    /// <summary>The tracker (<c>host:port</c>) that answered.</summary>
    public string Tracker { get; }
}

/// <summary>
/// No tracker could be reached, the connection broke, or the reply did not come in time. When
/// <see cref="MayHaveBeenApplied"/> is true the request reached a tracker, which may have
/// carried it out; the library did not retry it because that could double its effect.
/// </summary>
public sealed class MogileFSConnectionException : MogileFSException
{
    /// <summary>Creates a transport error.</summary>
    public MogileFSConnectionException(string code, string message, bool mayHaveBeenApplied, Exception? inner = null)
        : base(code, message, inner) => MayHaveBeenApplied = mayHaveBeenApplied;

    /// <summary>True when the request was sent and its outcome is unknown.</summary>
    public bool MayHaveBeenApplied { get; }
}

/// <summary>A reply that is neither <c>OK</c> nor <c>ERR</c>.</summary>
public sealed class MogileFSProtocolException : MogileFSException
{
    /// <summary>Creates a protocol error.</summary>
    public MogileFSProtocolException(string message) : base("protocol", message) { }
}

/// <summary>Every storage node that was tried for an upload or a download failed.</summary>
public sealed class MogileFSStorageException : MogileFSException
{
    /// <summary>Creates a storage error with the per-URL failures.</summary>
    public MogileFSStorageException(string code, string message, IReadOnlyList<StorageAttempt> attempts, Exception? inner = null)
        : base(code, message, inner) => Attempts = attempts;

    /// <summary>One entry per URL that was tried, in order.</summary>
    public IReadOnlyList<StorageAttempt> Attempts { get; }
}

/// <summary>A failed attempt to read or write one storage URL.</summary>
/// <param name="Url">The URL.</param>
/// <param name="StatusCode">The HTTP status, when a response arrived.</param>
/// <param name="Error">What went wrong, in one line (e.g. <c>404 Not Found</c>).</param>
public sealed record StorageAttempt(string Url, int? StatusCode, string Error);
