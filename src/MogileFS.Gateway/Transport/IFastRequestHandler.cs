using System.Buffers;

namespace MogileFS.Gateway.Transport;

/// <summary>
/// Answers some requests below Kestrel, on the transport's receive loop (<see cref="SpliceConnection"/>): the
/// common, cheap ones (an S3 GET of a small cached object) whose whole answer is known without I/O. The handler
/// either writes the complete HTTP/1.1 response into <c>response</c> and returns true, or returns false having
/// done nothing, and the request goes to Kestrel as usual. It must answer exactly as the Kestrel path would
/// (status, headers, body; only Date may differ by the clock), so which path served a request is invisible.
/// The response is the head written into <c>head</c> followed by <c>body</c> (array-backed, sent as it is).
/// </summary>
public interface IFastRequestHandler
{
    /// <summary>
    /// <paramref name="request"/> is everything received since the connection was last idle: the handler answers
    /// only when it is exactly one complete request without a body.
    /// </summary>
    bool TryAnswer(ReadOnlySpan<byte> request, IBufferWriter<byte> head, out ReadOnlyMemory<byte> body);
}

/// <summary>
/// Told by the request handler when Kestrel starts and ends a request on the connection, so the transport knows
/// when Kestrel is idle between requests and a request may be answered without it.
/// </summary>
public interface IRequestTrackingFeature
{
    /// <summary>A request reached the application; <paramref name="hasBody"/>: it may carry a body.</summary>
    void RequestStarted(bool hasBody);

    /// <summary>Its response is complete (Kestrel's OnCompleted).</summary>
    void RequestEnded();
}
