namespace MogileFS.Gateway.Transport;

/// <summary>
/// A connection feature of <see cref="SpliceTransportFactory"/>'s connections: puts a region of a file into the
/// response at the current output position, sent by the kernel (sendfile) instead of being copied through
/// Kestrel's buffers.
/// <para>
/// Protocol: start the response (<c>Response.StartAsync()</c>, which makes Kestrel write the headers), call
/// <see cref="Splice"/>, then advance the response's <c>BodyWriter</c> by exactly <c>length</c> bytes without
/// filling them, and flush (<see cref="SpliceBody.SendAsync"/> does all that): the transport drops those bytes and
/// sends the file region in their place, so Kestrel's Content-Length accounting stays exact.
/// </para>
/// </summary>
public interface IFileSpliceFeature
{
    /// <summary>
    /// Queues bytes [<paramref name="offset"/>, offset+<paramref name="length"/>) of <paramref name="file"/> at the
    /// current output position; the transport owns (and disposes) the stream from here on. If the file turns out
    /// shorter, the connection is cut, so the client never gets a short body that looks whole.
    /// </summary>
    void Splice(FileStream file, long offset, long length);
}
