namespace MogileFS.Client;

/// <summary>Checksum algorithms MogileFS can store with a file.</summary>
public enum ChecksumAlgorithm
{
    /// <summary>No checksum.</summary>
    None,
    /// <summary>MD5 (<c>MD5:&lt;hex&gt;</c>).</summary>
    Md5,
    /// <summary>SHA-1 (<c>SHA-1:&lt;hex&gt;</c>).</summary>
    Sha1,
}

/// <summary>Options for <see cref="MogileFSClient.StoreAsync(string, Stream, StoreOptions?, CancellationToken)"/>.</summary>
public sealed class StoreOptions
{
    /// <summary>The class; <see langword="null"/> or empty = the domain's default class.</summary>
    public string? Class { get; set; }

    /// <summary>
    /// Number of bytes to store. Defaults to the rest of a seekable stream; for a stream of
    /// unknown length the data is sent with chunked transfer encoding, never buffered whole.
    /// </summary>
    public long? Length { get; set; }

    /// <summary>Compute this checksum while uploading and send it with <c>create_close</c>.</summary>
    public ChecksumAlgorithm Checksum { get; set; }

    /// <summary>Ask the tracker to read the stored data back and compare the checksum (slow for big files).</summary>
    public bool ChecksumVerify { get; set; }

    /// <summary>Use this fid instead of letting the tracker allocate one (rarely wanted).</summary>
    public long? Fid { get; set; }

    /// <summary>Progress callback: bytes sent so far for the current attempt.</summary>
    public IProgress<long>? Progress { get; set; }

    /// <summary>
    /// Return only once the tracker records at least this many copies of the new file (0 = return
    /// after <c>create_close</c>, as every MogileFS client does). MogileFS replicates after the
    /// close, so until then the file's only copy is on one node; a caller that must not lose an
    /// acknowledged file to the loss of that node waits for 2 (or the class's count).
    /// </summary>
    public int MinCopies { get; set; }

    /// <summary>How long <see cref="MinCopies"/> waits before the store fails with <c>not_replicated</c> (default 60 s).</summary>
    public TimeSpan MinCopiesTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Extra pairs for <c>create_open</c>.</summary>
    public IDictionary<string, string>? CreateOpenArgs { get; set; }

    /// <summary>Extra pairs for <c>create_close</c>.</summary>
    public IDictionary<string, string>? CreateCloseArgs { get; set; }
}

/// <summary>What a successful store did.</summary>
/// <param name="Fid">The file id.</param>
/// <param name="Length">Bytes stored.</param>
/// <param name="DevId">The device the first copy was written to.</param>
/// <param name="Path">The URL the first copy was written to.</param>
/// <param name="Checksum">The checksum sent (<c>MD5:hex</c>), if one was computed.</param>
public sealed record StoreResult(long Fid, long Length, int DevId, string Path, string? Checksum);

/// <summary>Options for reading.</summary>
public sealed class FetchOptions
{
    /// <summary>Skip the tracker's HEAD check of the first path (default true; every path is tried anyway).</summary>
    public bool NoVerify { get; set; } = true;
    /// <summary><c>alt</c> to get alternate-network addresses.</summary>
    public string? Zone { get; set; }
    /// <summary>Progress callback: bytes written to the destination so far.</summary>
    public IProgress<long>? Progress { get; set; }
    /// <summary>Called once with the file's length when the first response arrives.</summary>
    public Action<long>? LengthKnown { get; set; }
}

/// <summary>Options for <see cref="MogileFSClient.GetPathsAsync"/>.</summary>
public sealed class GetPathsOptions
{
    /// <summary>Skip the tracker's HEAD check of the first path.</summary>
    public bool NoVerify { get; set; }
    /// <summary><c>alt</c> to get alternate-network addresses.</summary>
    public string? Zone { get; set; }
    /// <summary>How many paths at most (the tracker's default is 2).</summary>
    public int? PathCount { get; set; }
}

/// <summary>The reply of <c>file_info</c>.</summary>
/// <param name="Fid">File id.</param>
/// <param name="Domain">Domain name.</param>
/// <param name="Class">Class name.</param>
/// <param name="Key">The key.</param>
/// <param name="Length">Length in bytes.</param>
/// <param name="DevCount">Number of recorded copies.</param>
/// <param name="Checksum">Stored checksum (<c>MD5:hex</c>, or <c>MISSING</c>) when the class has a hash type.</param>
/// <param name="DevIds">Device ids holding copies, when requested.</param>
/// <param name="Raw">Every pair the tracker sent.</param>
public sealed record MogileFileInfo(long Fid, string Domain, string Class, string Key, long Length, int DevCount,
    string? Checksum, IReadOnlyList<int>? DevIds, IReadOnlyDictionary<string, string> Raw);

/// <summary>One page of <c>list_keys</c>.</summary>
/// <param name="Keys">The keys, ascending.</param>
/// <param name="NextAfter">Pass as <c>after</c> to get the next page; <see langword="null"/> when nothing matched.</param>
public sealed record KeyPage(IReadOnlyList<string> Keys, string? NextAfter);
