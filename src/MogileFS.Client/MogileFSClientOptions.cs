namespace MogileFS.Client;

/// <summary>Settings shared by <see cref="MogileFSClient"/> and <see cref="MogileFSAdmin"/>.</summary>
public sealed class MogileFSClientOptions
{
    /// <summary>Tracker addresses, <c>host:port</c> (port 7001 when omitted). At least one.</summary>
    public IList<string> Trackers { get; set; } = new List<string>();

    /// <summary>The domain file operations work in. Required by <see cref="MogileFSClient"/>.</summary>
    public string? Domain { get; set; }

    /// <summary>
    /// How long to wait for a tracker's reply, fail-over included. The Perl client waits 3 s
    /// (mogadm 15 s); we default to 10 s so that a busy tracker's <c>create_close</c> is not
    /// abandoned half-way. Use <see cref="Timeout.InfiniteTimeSpan"/> for no limit.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Limit for opening one TCP connection to a tracker (Perl client: 0.25 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a tracker that refused a connection is skipped (same as the Perl client: 5 s).</summary>
    public TimeSpan DeadTrackerRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Idle tracker connections kept per tracker for reuse.</summary>
    public int MaxIdleConnectionsPerTracker { get; set; } = 64;

    /// <summary>
    /// Storage-node HTTP: the longest time without progress (connecting, sending or receiving
    /// a chunk) before an upload or download to one URL is abandoned and the next URL is tried.
    /// There is no limit on the total duration, so files of any size can be streamed.
    /// </summary>
    public TimeSpan StorageIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Size of the buffer used to copy file data (per transfer).</summary>
    public int CopyBufferSize { get; set; } = 128 * 1024;

    /// <summary>
    /// Optional HTTP handler for storage-node traffic (tests, proxies). By default a
    /// <see cref="System.Net.Http.SocketsHttpHandler"/> with connection pooling and no proxy.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>
    /// Where the client logs (category <c>MogileFS.Client</c>): trackers that fail and are skipped.
    /// Set by <c>AddMogileFS</c> from the container; null logs nothing.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }
}
