using MogileFS.Core.Model;

namespace MogileFS.Tracker.Storage;

public enum HeadStatus { Ok, Missing, CantReach }

/// <summary>Result of a HEAD: the size from Content-Length, 404 (missing), or anything else (cantreach).</summary>
public readonly record struct HeadResult(HeadStatus Status, long Size, string Error)
{
    public static HeadResult Found(long size) => new(HeadStatus.Ok, size, "");
}

public enum MkcolStatus { Created, NotSupported, Failed }

public enum DigestStatus { Ok, Missing, Failed }

public readonly record struct DigestResult(DigestStatus Status, byte[]? Digest, string Error);

public enum CopyStatus { Ok, SourceError, DestinationError }

/// <summary>Result of a storage-to-storage copy; <see cref="Digest"/> is set when a digest was computed.</summary>
public readonly record struct CopyResult(CopyStatus Status, string Error, byte[]? Digest = null)
{
    public bool Ok => Status == CopyStatus.Ok;
}

/// <summary>
/// How long a copy may wait. httpcopy (a query command) bounds only the wait for the source's
/// response headers (node_timeout); replication also bounds every read of the source and the whole
/// PUT (1 MiB/s plus one read timeout), and hashes what it relays when <see cref="Digest"/> is set.
/// </summary>
public readonly record struct CopyOptions(TimeSpan SourceHeaderTimeout, TimeSpan SourceReadTimeout, bool BoundedPut, HashType Digest = HashType.None)
{
    /// <summary>httpcopy: node_timeout for the source's headers, then as long as the bytes keep coming.</summary>
    public static CopyOptions ForCommand(TimeSpan nodeTimeout) => new(nodeTimeout, Timeout.InfiniteTimeSpan, false);

    /// <summary>Replication (jobs.md §5.3): each source read within <paramref name="readTimeout"/>, the PUT bounded.</summary>
    public static CopyOptions ForReplication(TimeSpan readTimeout, HashType digest) => new(readTimeout, readTimeout, true, digest);
}

/// <summary>
/// Everything the tracker asks of a storage node, for query commands and background jobs alike:
/// HEAD for sizes, MKCOL for upload directories, digests (side channel first, HTTP GET fallback),
/// the streaming GET+PUT copy, DELETE, and the monitor's small GETs and PUTs. One per tracker, over
/// one pooled HTTP client. An interface so tests can put a misbehaving node behind it.
/// Connection failures never throw: they come back as results (or status -1 / 500, see each method).
/// </summary>
public interface IStorageNodeClient
{
    /// <summary>node_timeout, validated once (a non-positive setting means 2 s, as in 2.73).</summary>
    TimeSpan NodeTimeout { get; }

    /// <summary>conn_timeout, validated once (a non-positive setting means 2 s, as in 2.73).</summary>
    TimeSpan ConnectTimeout { get; }

    /// <summary>HEAD http://ip:port/path within node_timeout.</summary>
    Task<HeadResult> HeadAsync(string ip, int port, string path, CancellationToken ct = default);

    /// <summary>MKCOL http://ip:port/dir (dir ends with '/').</summary>
    Task<MkcolStatus> MkcolAsync(string ip, int port, string dir, CancellationToken ct = default);

    /// <summary>
    /// Digest of the stored data: <c>&lt;ALG&gt; &lt;path&gt;</c> on the side channel (mogstored_stream_port),
    /// falling back to an HTTP GET on http://ip:httpPort/path when the side channel is unreachable, says
    /// the file is missing, or does not support the request (as 2.73's HTTPFile::digest).
    /// <paramref name="expectedSize"/> sets the deadline (size / 2 MiB/s + node_timeout).
    /// </summary>
    Task<DigestResult> DigestAsync(string ip, int httpPort, string path, HashType alg, long expectedSize, CancellationToken ct = default);

    /// <summary>
    /// <see cref="DigestAsync"/> for fsck: the side-channel request carries the reason <c>fsck</c>
    /// (<c>MD5 &lt;path&gt; fsck</c>; the node runs one such digest per filesystem at a time) and may
    /// take an hour longer (storage-node.md §5.2).
    /// </summary>
    Task<DigestResult> FsckDigestAsync(string ip, int httpPort, string path, HashType alg, long expectedSize, CancellationToken ct = default) =>
        DigestAsync(ip, httpPort, path, alg, expectedSize, ct);

    /// <summary>
    /// GET the source replica (must have exactly <paramref name="expectedLength"/> bytes) and PUT it to the
    /// destination, streaming. <paramref name="contentMd5"/> (raw digest) is sent as Content-MD5 when given.
    /// Failures are attributed to the side they happened on.
    /// </summary>
    Task<CopyResult> CopyAsync(string srcUrl, string dstUrl, long expectedLength, byte[]? contentMd5, CopyOptions options, CancellationToken ct = default);

    /// <summary>The copy of httpcopy (<see cref="CopyOptions.ForCommand"/>).</summary>
    Task<CopyResult> CopyAsync(string srcUrl, string dstUrl, long expectedLength, byte[]? contentMd5, CancellationToken ct = default) =>
        CopyAsync(srcUrl, dstUrl, expectedLength, contentMd5, CopyOptions.ForCommand(NodeTimeout), ct);

    /// <summary>GET a small body (usage file, test-write readback). Status -1 with the error text on failure.</summary>
    Task<(int Status, byte[] Body, string Error)> GetSmallAsync(string url, TimeSpan timeout, CancellationToken ct);

    /// <summary>PUT a small body; optional Content-MD5 (raw digest). Status -1 on connection failure.</summary>
    Task<int> PutSmallAsync(string url, byte[] body, byte[]? contentMd5, TimeSpan timeout, CancellationToken ct);

    /// <summary>DELETE; connection failures and timeouts come back as 500 (as 2.73 reports them).</summary>
    Task<(int Status, string Error)> DeleteAsync(string url, TimeSpan timeout, CancellationToken ct);
}
