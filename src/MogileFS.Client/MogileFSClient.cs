using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using MogileFS.Client.Protocol;
using MogileFS.Client.Storage;
using MogileFS.Client.Tracker;

namespace MogileFS.Client;

/// <summary>
/// Stores, fetches, lists, renames and deletes files in one MogileFS domain. Thread-safe:
/// create one per domain and share it.
/// </summary>
/// <example>
/// <code>
/// using var mogile = new MogileFSClient(new MogileFSClientOptions
/// {
///     Trackers = { "10.0.0.1:7001", "10.0.0.2:7001" },
///     Domain = "photos",
/// });
/// await using (var file = File.OpenRead("cat.jpg"))
///     await mogile.StoreAsync("cat.jpg", file, new StoreOptions { Class = "originals" });
/// await using (var output = File.Create("copy.jpg"))
///     await mogile.FetchAsync("cat.jpg", output);
/// </code>
/// </example>
public sealed class MogileFSClient : IDisposable
{
    private readonly TrackerBackend _backend;
    private readonly bool _ownsBackend;
    private readonly StorageHttp _http;

    /// <summary>Creates a client with its own tracker connections.</summary>
    /// <exception cref="ArgumentException">No domain or no trackers configured.</exception>
    public MogileFSClient(MogileFSClientOptions options) : this(new TrackerBackend(options), ownsBackend: true) { }

    /// <summary>Creates a client that shares <paramref name="backend"/> (e.g. with a <see cref="MogileFSAdmin"/>).</summary>
    public MogileFSClient(TrackerBackend backend) : this(backend, ownsBackend: false) { }

    private MogileFSClient(TrackerBackend backend, bool ownsBackend)
    {
        if (string.IsNullOrEmpty(backend.Options.Domain))
            throw new ArgumentException("a domain is required for file operations", nameof(backend));
        _backend = backend;
        _ownsBackend = ownsBackend;
        Domain = backend.Options.Domain!;
        _http = new StorageHttp(backend.Options);
        _ownsHttp = true;
    }

    private MogileFSClient(MogileFSClient parent, string domain)
    {
        _backend = parent._backend;
        _http = parent._http;
        Domain = domain;
    }

    private readonly bool _ownsHttp;

    /// <summary>
    /// A client for another domain that shares this one's tracker connections and HTTP pool: cheap,
    /// so it can be made per call (<c>client.ForDomain("photos").StoreAsync(...)</c>). Disposing it
    /// frees nothing; the connections belong to this client.
    /// </summary>
    /// <param name="domain">The domain the returned client works in.</param>
    /// <exception cref="ArgumentException"><paramref name="domain"/> is empty.</exception>
    public MogileFSClient ForDomain(string domain)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        return new MogileFSClient(this, domain);
    }

    /// <summary>The domain this client works in.</summary>
    public string Domain { get; }

    /// <summary>The tracker connection pool (for sending raw commands).</summary>
    public TrackerBackend Backend => _backend;

    private static KeyValuePair<string, string?> P(string k, string? v) => new(k, v);
    private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- store

    /// <summary>
    /// Stores <paramref name="content"/> under <paramref name="key"/>: <c>create_open</c>, an HTTP PUT
    /// streamed to the first destination the tracker offers (the others are tried if it fails and
    /// the data can be re-read), then <c>create_close</c> with the size and optional checksum.
    /// An existing file with the same key is replaced.
    /// </summary>
    /// <returns>The fid, length and location of the new file.</returns>
    /// <exception cref="MogileFSTrackerException">The tracker refused (<c>unreg_class</c>, <c>no_devices</c>, <c>size_mismatch</c>, ...).</exception>
    /// <exception cref="MogileFSStorageException">No destination accepted the data.</exception>
    /// <exception cref="MogileFSConnectionException">Tracker unreachable or timed out.</exception>
    public async Task<StoreResult> StoreAsync(string key, Stream content, StoreOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(content);
        options ??= new StoreOptions();
        long? length = options.Length;
        if (length is null && content.CanSeek) length = Math.Max(0, content.Length - content.Position);
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(options), "Length must not be negative");

        var openArgs = new List<KeyValuePair<string, string?>>();
        if (options.CreateOpenArgs != null) openArgs.AddRange(options.CreateOpenArgs.Select(kv => P(kv.Key, kv.Value)));
        openArgs.Add(P("domain", Domain));
        openArgs.Add(P("class", string.IsNullOrEmpty(options.Class) ? null : options.Class));
        openArgs.Add(P("key", key));
        openArgs.Add(P("fid", N(options.Fid ?? 0)));
        openArgs.Add(P("multi_dest", "1"));
        if (length > 0) openArgs.Add(P("size", N(length.Value)));
        TrackerResponse open;
        try
        {
            open = await _backend.SendAsync("create_open", openArgs, RequestSafety.NotIdempotent, null, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (MogileFSConnectionException e) when (e.ErrorCode == "connection_lost" && options.Fid is null)
        {
            // The tracker died (or the connection broke) after create_open was sent. Its only effect
            // is a reserved fid and a temp-file row, which the tracker's reaper removes; nothing a
            // reader can see. So ask again (the backend moves on to another tracker).
            open = await _backend.SendAsync("create_open", openArgs, RequestSafety.NotIdempotent, null, cancellationToken)
                .ConfigureAwait(false);
        }

        var fid = open.GetInt64("fid");
        var dests = new List<(int DevId, string Path)>();
        if (open.ContainsKey("dev_count"))
        {
            long count = open.GetInt64("dev_count");
            for (int i = 1; i <= count; i++)
            {
                var path = open.Get($"path_{i}");
                if (!string.IsNullOrEmpty(path)) dests.Add(((int)open.GetInt64($"devid_{i}"), path));
            }
        }
        else if (open.Get("path") is { Length: > 0 } single)
        {
            dests.Add(((int)open.GetInt64("devid"), single));
        }
        if (dests.Count == 0)
            throw new MogileFSProtocolException($"create_open for '{key}' returned no destination");

        long startPosition = content.CanSeek ? content.Position : 0;
        var attempts = new List<StorageAttempt>();
        (int DevId, string Path)? written = null;
        long bytes = 0;
        string? checksum = null;
        foreach (var dest in dests)
        {
            using var hash = options.Checksum switch
            {
                ChecksumAlgorithm.Md5 => IncrementalHash.CreateHash(HashAlgorithmName.MD5),
                ChecksumAlgorithm.Sha1 => IncrementalHash.CreateHash(HashAlgorithmName.SHA1),
                _ => null,
            };
            var outcome = await _http.PutAsync(dest.Path, content, length, hash, options.Progress, cancellationToken)
                .ConfigureAwait(false);
            if (outcome.Error is null)
            {
                written = dest;
                bytes = outcome.BytesSent;
                if (hash != null)
                {
                    var hex = Convert.ToHexStringLower(hash.GetHashAndReset());
                    checksum = (options.Checksum == ChecksumAlgorithm.Md5 ? "MD5:" : "SHA-1:") + hex;
                }
                break;
            }
            attempts.Add(new StorageAttempt(dest.Path, outcome.Status, outcome.Error));
            if (outcome.SourceTouched && outcome.BytesSent > 0)
            {
                if (!content.CanSeek) break; // the data is gone; cannot try another destination
                content.Position = startPosition;
            }
        }
        if (written is null)
        {
            var detail = string.Join("; ", attempts.Select(a => $"{a.Url}: {a.Error}"));
            if (attempts.Count < dests.Count)
                detail += " (the source stream cannot be rewound, so the other destinations were not tried)";
            throw new MogileFSStorageException("storage", $"upload of '{key}' failed: {detail}", attempts);
        }

        var closeArgs = new List<KeyValuePair<string, string?>>();
        if (options.CreateCloseArgs != null) closeArgs.AddRange(options.CreateCloseArgs.Select(kv => P(kv.Key, kv.Value)));
        closeArgs.Add(P("fid", N(fid)));
        closeArgs.Add(P("devid", N(written.Value.DevId)));
        closeArgs.Add(P("domain", Domain));
        closeArgs.Add(P("size", N(bytes)));
        closeArgs.Add(P("key", key));
        closeArgs.Add(P("path", written.Value.Path));
        if (checksum != null)
        {
            closeArgs.Add(P("checksum", checksum));
            if (options.ChecksumVerify) closeArgs.Add(P("checksumverify", "1"));
        }
        var closeTimeout = options.ChecksumVerify ? Timeout.InfiniteTimeSpan : (TimeSpan?)null;
        try
        {
            await _backend.SendAsync("create_close", closeArgs, RequestSafety.NotIdempotent, closeTimeout, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (MogileFSConnectionException lost) when (lost.ErrorCode == "connection_lost")
        {
            await RetryCreateCloseAsync(key, fid, closeArgs, closeTimeout, lost, cancellationToken).ConfigureAwait(false);
        }
        if (options.MinCopies > 1) await WaitForCopiesAsync(key, fid, options.MinCopies, options.MinCopiesTimeout, cancellationToken).ConfigureAwait(false);
        return new StoreResult(fid, bytes, written.Value.DevId, written.Value.Path, checksum);
    }

    /// <summary>Polls <c>file_info</c> until the tracker records <paramref name="copies"/> copies of <paramref name="fid"/>.</summary>
    private async Task WaitForCopiesAsync(string key, long fid, int copies, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        int delayMs = 20;
        int have = 0;
        while (true)
        {
            var info = await FileInfoAsync(key, false, ct).ConfigureAwait(false);
            if (info is null || info.Fid != fid)
                throw new MogileFSException("not_replicated", $"'{key}' was replaced or deleted while waiting for {copies} copies of fid {fid}");
            have = info.DevCount;
            if (have >= copies) return;
            if (DateTime.UtcNow >= deadline) break;
            await Task.Delay(delayMs, ct).ConfigureAwait(false);
            delayMs = Math.Min(delayMs * 2, 500);
        }
        throw new MogileFSException("not_replicated",
            $"'{key}' (fid {fid}) is stored but has {have} of the {copies} copies asked for after {timeout.TotalSeconds:0.#} s");
    }

    /// <summary>
    /// create_close's connection broke after the request was sent, so the tracker may or may not
    /// have committed the file. Sending it again (to another tracker) is safe because a close is
    /// keyed by the fid: the first tracker to take the fid's temp-file row commits it, any other
    /// gets <c>no_temp_file</c>. On <c>no_temp_file</c> the key is looked up: if it names our fid
    /// the first close did commit, and the store succeeded; otherwise the original error stands.
    /// </summary>
    private async Task RetryCreateCloseAsync(string key, long fid, List<KeyValuePair<string, string?>> closeArgs,
        TimeSpan? timeout, MogileFSConnectionException lost, CancellationToken ct)
    {
        try
        {
            await _backend.SendAsync("create_close", closeArgs, RequestSafety.NotIdempotent, timeout, ct).ConfigureAwait(false);
            return;
        }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "no_temp_file")
        {
            MogileFileInfo? info;
            try { info = await FileInfoAsync(key, false, ct).ConfigureAwait(false); }
            catch (MogileFSException) { throw lost; }
            if (info?.Fid == fid) return;
            throw lost;
        }
        catch (MogileFSConnectionException) { throw lost; }
    }

    /// <summary>Stores a byte buffer under <paramref name="key"/>.</summary>
    public Task<StoreResult> StoreBytesAsync(string key, ReadOnlyMemory<byte> data, string? @class = null,
        CancellationToken cancellationToken = default)
        => StoreAsync(key, new ReadOnlyMemoryStream(data), new StoreOptions { Class = @class }, cancellationToken);

    /// <summary>Stores the file at <paramref name="localPath"/> under <paramref name="key"/>.</summary>
    public async Task<StoreResult> StoreFileAsync(string key, string localPath, StoreOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        await using var fs = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
        return await StoreAsync(key, fs, options, cancellationToken).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- fetch

    /// <summary>
    /// Writes the file stored under <paramref name="key"/> to <paramref name="destination"/>:
    /// <c>get_paths</c>, then a GET of each path in order until one succeeds. A download that
    /// breaks part-way resumes from the same offset on the next copy (HTTP Range), so nothing
    /// is written twice and the destination need not be seekable.
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="MogileFSTrackerException"><c>unknown_key</c> and other tracker errors.</exception>
    /// <exception cref="MogileFSStorageException">No copy could be read (<c>no_paths</c> when the tracker knows none).</exception>
    public async Task<long> FetchAsync(string key, Stream destination, FetchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        options ??= new FetchOptions();
        var paths = await GetPathsAsync(key, new GetPathsOptions { NoVerify = options.NoVerify, Zone = options.Zone },
            cancellationToken).ConfigureAwait(false);
        return await FetchPathsAsync(key, paths, destination, options, cancellationToken).ConfigureAwait(false);
    }

    internal async Task<long> FetchPathsAsync(string key, IReadOnlyList<string> paths, Stream destination,
        FetchOptions options, CancellationToken cancellationToken)
    {
        if (paths.Count == 0)
            throw new MogileFSStorageException("no_paths", $"no paths found for key '{key}' (no readable copy)", []);
        var attempts = new List<StorageAttempt>();
        var written = new StrongBox<long>(0);
        foreach (var path in paths)
        {
            var outcome = await _http.GetAsync(path, destination, written.Value, written, options.LengthKnown,
                options.Progress, cancellationToken).ConfigureAwait(false);
            if (outcome.Error is null) return written.Value;
            attempts.Add(new StorageAttempt(path, outcome.Status, outcome.Error));
        }
        throw new MogileFSStorageException("storage",
            $"could not fetch '{key}' from any of {paths.Count} path(s): " +
            string.Join("; ", attempts.Select(a => $"{a.Url}: {a.Error}")), attempts);
    }

    /// <summary>
    /// Opens the file for reading, from <paramref name="offset"/> for <paramref name="length"/> bytes
    /// (to the end when null), as a stream straight from a storage node (HTTP Range). The copies are
    /// tried in the tracker's order until one answers; the stream must be disposed.
    /// </summary>
    /// <param name="key">The file's key.</param>
    /// <param name="offset">First byte to read (0 = start).</param>
    /// <param name="length">Number of bytes, or null for the rest of the file.</param>
    /// <param name="cancellationToken">Cancels opening (reads take their own token).</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative offset or length.</exception>
    /// <exception cref="MogileFSTrackerException"><c>unknown_key</c> and other tracker errors.</exception>
    /// <exception cref="MogileFSStorageException">No copy could be opened (or the range is beyond the end).</exception>
    public async Task<Stream> OpenReadAsync(string key, long offset = 0, long? length = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is { } l) ArgumentOutOfRangeException.ThrowIfNegative(l, nameof(length));
        var paths = await GetPathsAsync(key, null, cancellationToken).ConfigureAwait(false);
        if (paths.Count == 0)
            throw new MogileFSStorageException("no_paths", $"no paths found for key '{key}' (no readable copy)", []);
        if (length == 0) return new MemoryStream([], writable: false);
        bool ranged = offset > 0 || length is not null;
        var attempts = new List<StorageAttempt>();
        foreach (var path in paths)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (ranged) request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(offset, length is { } n ? offset + n - 1 : null);
            HttpResponseMessage response;
            try { response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false); }
            catch (HttpRequestException e) { attempts.Add(new StorageAttempt(path, null, StorageHttp.OneLine(e))); continue; }
            int status = (int)response.StatusCode;
            if (status == (ranged ? 206 : 200))
                return new ResponseStream(response, await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
            response.Dispose();
            attempts.Add(new StorageAttempt(path, status, status == 416 ? "range beyond the end of the file" : $"HTTP {status}"));
        }
        throw new MogileFSStorageException("storage",
            $"could not open '{key}' on any of {paths.Count} path(s): " +
            string.Join("; ", attempts.Select(a => $"{a.Url}: {a.Error}")), attempts);
    }

    /// <summary>The body of a storage-node response; disposing it ends the response.</summary>
    private sealed class ResponseStream(HttpResponseMessage response, Stream body) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => response.Content.Headers.ContentLength ?? throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => body.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => body.Read(buffer);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => body.ReadAsync(buffer, offset, count, ct);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => body.ReadAsync(buffer, ct);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) { body.Dispose(); response.Dispose(); }
            base.Dispose(disposing);
        }
    }

    /// <summary>Reads the whole file into memory. Meant for small files.</summary>
    public async Task<byte[]> GetBytesAsync(string key, CancellationToken cancellationToken = default)
    {
        using var ms = new MemoryStream();
        await FetchAsync(key, ms, null, cancellationToken).ConfigureAwait(false);
        return ms.ToArray();
    }

    /// <summary>Downloads the file to <paramref name="localPath"/> (written to a temporary name, renamed when complete).</summary>
    public async Task<long> FetchToFileAsync(string key, string localPath, FetchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(localPath);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.part");
        try
        {
            long n;
            await using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1, useAsync: true))
                n = await FetchAsync(key, fs, options, cancellationToken).ConfigureAwait(false);
            File.Move(tmp, full, overwrite: true);
            return n;
        }
        catch
        {
            try { File.Delete(tmp); } catch { }
            throw;
        }
    }

    // ---------------------------------------------------------------- metadata

    /// <summary>The URLs of the copies of <paramref name="key"/>, best first (may be empty).</summary>
    /// <exception cref="MogileFSTrackerException"><c>unknown_key</c> when the key does not exist.</exception>
    public async Task<IReadOnlyList<string>> GetPathsAsync(string key, GetPathsOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new GetPathsOptions();
        var r = await _backend.SendAsync("get_paths", [
            P("domain", Domain), P("key", key), P("noverify", options.NoVerify ? "1" : "0"),
            P("zone", options.Zone), P("pathcount", options.PathCount is { } pc ? N(pc) : null),
        ], RequestSafety.Idempotent, null, cancellationToken).ConfigureAwait(false);
        long n = r.GetInt64("paths");
        var list = new List<string>((int)Math.Min(n, 64));
        for (int i = 1; i <= n; i++)
            if (r.Get($"path{i}") is { Length: > 0 } p) list.Add(p);
        return list;
    }

    /// <summary>Deletes <paramref name="key"/>. Returns false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            await _backend.SendAsync("delete", [P("domain", Domain), P("key", key)], RequestSafety.NotIdempotent,
                null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "unknown_key") { return false; }
    }

    /// <summary>
    /// Renames <paramref name="fromKey"/> to <paramref name="toKey"/>. Returns false when
    /// <paramref name="fromKey"/> did not exist. Throws <c>key_exists</c> when the target is taken.
    /// </summary>
    public async Task<bool> RenameAsync(string fromKey, string toKey, CancellationToken cancellationToken = default)
    {
        try
        {
            await _backend.SendAsync("rename", [P("domain", Domain), P("from_key", fromKey), P("to_key", toKey)],
                RequestSafety.NotIdempotent, null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "unknown_key") { return false; }
    }

    /// <summary>Moves an existing file to another class (the tracker re-replicates it).</summary>
    public Task UpdateClassAsync(string key, string @class, CancellationToken cancellationToken = default)
        => _backend.SendAsync("updateclass", [P("domain", Domain), P("key", key), P("class", @class)],
            RequestSafety.NotIdempotent, null, cancellationToken);

    /// <summary>Metadata of <paramref name="key"/>, or <see langword="null"/> when it does not exist.</summary>
    public async Task<MogileFileInfo?> FileInfoAsync(string key, bool includeDevices = false,
        CancellationToken cancellationToken = default)
    {
        TrackerResponse r;
        try
        {
            r = await _backend.SendAsync("file_info", [P("domain", Domain), P("key", key), P("devices", includeDevices ? "1" : "0")],
                RequestSafety.Idempotent, null, cancellationToken).ConfigureAwait(false);
        }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "unknown_key") { return null; }
        IReadOnlyList<int>? devids = null;
        if (r.Get("devids") is { } d)
            devids = d.Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return new MogileFileInfo(r.GetInt64("fid"), r.Get("domain") ?? Domain, r.Get("class") ?? "default",
            r.Get("key") ?? key, r.GetInt64("length"), (int)r.GetInt64("devcount"), r.Get("checksum"), devids, r);
    }

    /// <summary>Everything the tracker knows about the file stored under <paramref name="key"/> (<c>file_debug</c>).</summary>
    public async Task<IReadOnlyDictionary<string, string>> FileDebugAsync(string key, CancellationToken cancellationToken = default)
        => await _backend.SendAsync("file_debug", [P("domain", Domain), P("key", key)], RequestSafety.Idempotent,
            null, cancellationToken).ConfigureAwait(false);

    /// <summary>Everything the tracker knows about file id <paramref name="fid"/> (<c>file_debug</c>).</summary>
    public async Task<IReadOnlyDictionary<string, string>> FileDebugAsync(long fid, CancellationToken cancellationToken = default)
        => await _backend.SendAsync("file_debug", [P("domain", Domain), P("fid", N(fid))], RequestSafety.Idempotent,
            null, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// One page of keys starting with <paramref name="prefix"/> and greater than <paramref name="after"/>
    /// (at most <paramref name="limit"/>, which the tracker caps at 1000). An empty page when nothing matches.
    /// </summary>
    public async Task<KeyPage> ListKeysPageAsync(string? prefix, string? after, int limit = 1000,
        CancellationToken cancellationToken = default)
    {
        TrackerResponse r;
        try
        {
            r = await _backend.SendAsync("list_keys", [
                P("domain", Domain), P("prefix", string.IsNullOrEmpty(prefix) ? null : prefix),
                P("after", string.IsNullOrEmpty(after) ? null : after), P("limit", N(limit)),
            ], RequestSafety.Idempotent, null, cancellationToken).ConfigureAwait(false);
        }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "none_match") { return new KeyPage([], null); }
        long n = r.GetInt64("key_count");
        var keys = new List<string>((int)Math.Min(n, 1000));
        for (int i = 1; i <= n; i++) keys.Add(r.Get($"key_{i}") ?? "");
        return new KeyPage(keys, r.Get("next_after") ?? (keys.Count > 0 ? keys[^1] : null));
    }

    /// <summary>
    /// Every key starting with <paramref name="prefix"/>, ascending, fetched page by page as the
    /// caller enumerates.
    /// </summary>
    public async IAsyncEnumerable<string> ListKeysAsync(string? prefix = null, int pageSize = 1000,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (pageSize is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(pageSize), "1..1000");
        string? after = null;
        while (true)
        {
            var page = await ListKeysPageAsync(prefix, after, pageSize, cancellationToken).ConfigureAwait(false);
            foreach (var k in page.Keys) yield return k;
            if (page.Keys.Count < pageSize || page.NextAfter is null) yield break;
            after = page.NextAfter;
        }
    }

    /// <summary>Checks that a tracker answers (<c>noop</c>).</summary>
    public Task NoopAsync(CancellationToken cancellationToken = default)
        => _backend.SendAsync("noop", [], RequestSafety.Idempotent, null, cancellationToken);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
        if (_ownsBackend) _backend.Dispose();
    }

    /// <summary>A read-only, seekable stream over memory (no copy).</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> data) : Stream
    {
        private int _pos;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _pos; set => _pos = (int)Math.Clamp(value, 0, data.Length); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(buffer.Length, data.Length - _pos);
            data.Span.Slice(_pos, n).CopyTo(buffer);
            _pos += n;
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => new(Read(buffer.Span));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.FromResult(Read(buffer, offset, count));
        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset, SeekOrigin.Current => _pos + offset, _ => data.Length + offset,
        };
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
