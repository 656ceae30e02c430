using System.Collections.Concurrent;
using System.Net.Sockets;
using MogileFS.Client.Protocol;

namespace MogileFS.Client.Tracker;

/// <summary>Whether a request may be sent again after its connection broke.</summary>
public enum RequestSafety
{
    /// <summary>Reads and other requests without side effects: retried once on another tracker.</summary>
    Idempotent,
    /// <summary>Requests that change something: sent at most once per call.</summary>
    NotIdempotent,
}

/// <summary>
/// Talks to a set of trackers: a pool of idle connections per tracker, fail-over between
/// trackers, per-request timeouts. Thread-safe; share one instance per application.
/// </summary>
/// <remarks>
/// Each request borrows one connection (never pipelined), so N concurrent requests use N
/// connections. Tracker choice starts at a random tracker and goes round-robin; a tracker
/// that refused a connection is skipped for <see cref="MogileFSClientOptions.DeadTrackerRetryInterval"/>
/// unless every tracker is marked. A failure to connect is always retried on the next
/// tracker (nothing was sent). A connection that breaks after the request was written is
/// retried only for <see cref="RequestSafety.Idempotent"/> requests; otherwise the caller gets
/// a <see cref="MogileFSConnectionException"/> with <c>MayHaveBeenApplied = true</c>.
/// Pooled connections are checked for a peer close before reuse, so a tracker restart does
/// not turn into a failed call.
/// </remarks>
public sealed class TrackerBackend : IDisposable
{
    private readonly TrackerState[] _trackers;
    private readonly MogileFSClientOptions _options;
    private int _next;
    private volatile bool _disposed;

    private sealed class TrackerState(TrackerEndpoint endpoint)
    {
        public readonly TrackerEndpoint Endpoint = endpoint;
        public readonly ConcurrentBag<TrackerConnection> Idle = new();
        public int IdleCount;
        public long DeadUntilTicks;
    }

    /// <summary>Creates a backend for the trackers in <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">No trackers, or an address cannot be parsed.</exception>
    public TrackerBackend(MogileFSClientOptions options)
    {
        _options = options;
        if (options.Trackers.Count == 0)
            throw new ArgumentException("at least one tracker (host:port) is required", nameof(options));
        _trackers = options.Trackers.Select(t => new TrackerState(TrackerEndpoint.Parse(t))).ToArray();
        _next = Random.Shared.Next(_trackers.Length);
        _logger = options.LoggerFactory?.CreateLogger("MogileFS.Client");
    }

    private readonly Microsoft.Extensions.Logging.ILogger? _logger;

    /// <summary>The configured trackers.</summary>
    public IReadOnlyList<TrackerEndpoint> Trackers => _trackers.Select(t => t.Endpoint).ToArray();

    /// <summary>The options this backend was created with.</summary>
    public MogileFSClientOptions Options => _options;

    /// <summary>The tracker that answered the most recent request (for diagnostics).</summary>
    public string? LastTracker { get; private set; }

    /// <summary>
    /// Sends one command and returns the decoded <c>OK</c> pairs.
    /// </summary>
    /// <param name="command">The command name, e.g. <c>get_paths</c>.</param>
    /// <param name="args">Arguments; pairs with a <see langword="null"/> value are not sent.</param>
    /// <param name="safety">Whether the request may be re-sent after a broken connection.</param>
    /// <param name="timeout">Overrides <see cref="MogileFSClientOptions.RequestTimeout"/> for this request.</param>
    /// <param name="cancellationToken">Cancels the request; the connection it used is discarded.</param>
    /// <exception cref="MogileFSTrackerException">The tracker answered ERR.</exception>
    /// <exception cref="MogileFSConnectionException">No tracker reachable, connection lost, or timeout.</exception>
    public async Task<TrackerResponse> SendAsync(string command, IEnumerable<KeyValuePair<string, string?>> args,
        RequestSafety safety, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var request = TrackerEncoding.BuildRequest(command, args);
        var budget = timeout ?? _options.RequestTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (budget != Timeout.InfiniteTimeSpan) cts.CancelAfter(budget);
        var ct = cts.Token;

        var errors = new List<string>();
        int start = (int)((uint)Interlocked.Increment(ref _next) % (uint)_trackers.Length);
        bool retriedAfterSend = false;
        // Pass 1 skips trackers recently marked dead; pass 2 tries them too rather than give up.
        for (int pass = 0; pass < 2; pass++)
        {
            for (int i = 0; i < _trackers.Length; i++)
            {
                var t = _trackers[(start + i) % _trackers.Length];
                bool markedDead = Volatile.Read(ref t.DeadUntilTicks) > Environment.TickCount64;
                if (pass == 0 && markedDead) continue;
                if (pass == 1 && !markedDead) continue;

                TrackerConnection conn;
                try
                {
                    conn = await AcquireAsync(t, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or TimeoutException or IOException
                                          || (e is OperationCanceledException && !ct.IsCancellationRequested))
                {
                    Volatile.Write(ref t.DeadUntilTicks, Environment.TickCount64 + (long)_options.DeadTrackerRetryInterval.TotalMilliseconds);
                    errors.Add($"{t.Endpoint}: {Describe(e)}");
                    if (_logger is { } log) ClientLog.TrackerFailed(log, t.Endpoint.ToString(), command, Describe(e));
                    continue;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    throw Cancelled(command, budget, cancellationToken, sent: false);
                }

                bool sent = false;
                try
                {
                    await conn.SendAsync(request, ct).ConfigureAwait(false);
                    sent = true;
                    var line = await conn.ReadLineAsync(ct).ConfigureAwait(false);
                    LastTracker = t.Endpoint.ToString();
                    TrackerResponse response;
                    try
                    {
                        response = TrackerEncoding.ParseReply(line.Span, command, LastTracker);
                    }
                    catch (MogileFSProtocolException) { conn.Poison(); throw; }
                    finally { Release(t, conn); }
                    return response;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    conn.Dispose();
                    throw Cancelled(command, budget, cancellationToken, sent);
                }
                catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
                {
                    conn.Dispose();
                    errors.Add($"{t.Endpoint}: {Describe(e)}");
                    if (safety == RequestSafety.NotIdempotent && sent)
                        throw new MogileFSConnectionException("connection_lost",
                            $"connection to tracker {t.Endpoint} lost while waiting for the reply to {command}; " +
                            "the tracker may or may not have carried it out (not retried)", true, e);
                    if (retriedAfterSend && sent)
                        throw new MogileFSConnectionException("connection_lost",
                            $"{command} failed twice: {string.Join("; ", errors.Distinct())}", false, e);
                    if (retriedAfterSend) continue;
                    retriedAfterSend = true;
                    if (conn.Uses > 0) i--; // a pooled connection went bad: try this tracker once more, afresh
                }
            }
        }
        throw new MogileFSConnectionException("tracker_unavailable",
            $"couldn't connect to any mogilefsd tracker ({string.Join("; ", errors.Distinct())})", false);
    }

    /// <summary>Convenience overload taking <c>(name, value)</c> tuples.</summary>
    public Task<TrackerResponse> SendAsync(string command, RequestSafety safety, CancellationToken cancellationToken,
        params (string Key, string? Value)[] args)
        => SendAsync(command, args.Select(a => new KeyValuePair<string, string?>(a.Key, a.Value)), safety, null, cancellationToken);

    private static Exception Cancelled(string command, TimeSpan budget, CancellationToken caller, bool sent)
    {
        if (caller.IsCancellationRequested) return new OperationCanceledException(caller);
        return new MogileFSConnectionException("timeout",
            $"timed out after {budget.TotalSeconds:0.###}s waiting for the tracker to answer {command}" +
            (sent ? " (it may still carry it out)" : ""), sent);
    }

    private static string Describe(Exception e) => e switch
    {
        SocketException se => se.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.TimedOut => "connect timed out",
            SocketError.HostNotFound => "host not found",
            _ => se.Message,
        },
        _ => e.Message,
    };

    private async ValueTask<TrackerConnection> AcquireAsync(TrackerState t, CancellationToken ct)
    {
        while (t.Idle.TryTake(out var c))
        {
            Interlocked.Decrement(ref t.IdleCount);
            if (!c.LooksClosed()) return c;
            c.Dispose();
        }
        var conn = await TrackerConnection.ConnectAsync(t.Endpoint, _options.ConnectTimeout, ct).ConfigureAwait(false);
        Volatile.Write(ref t.DeadUntilTicks, 0);
        return conn;
    }

    private void Release(TrackerState t, TrackerConnection c)
    {
        c.Uses++;
        if (_disposed || c.Broken) { c.Dispose(); return; }
        if (Interlocked.Increment(ref t.IdleCount) > _options.MaxIdleConnectionsPerTracker)
        {
            Interlocked.Decrement(ref t.IdleCount);
            c.Dispose();
            return;
        }
        t.Idle.Add(c);
    }

    /// <summary>Closes every idle connection.</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (var t in _trackers)
            while (t.Idle.TryTake(out var c)) { Interlocked.Decrement(ref t.IdleCount); c.Dispose(); }
    }
}
