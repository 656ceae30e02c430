using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using MogileFS.Gateway.Mogile;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway.S3;

/// <summary>
/// Object operations. An object is a MogileFS key in the bucket's domain; its bytes are the
/// key's current file, read and written over HTTP like any MogileFS client does, and its S3 facts
/// (ETag, Content-Type, metadata, Last-Modified) are the <c>s3_object</c> row of that file's fid.
///
/// Consistency: a request first reads the key's current fid and its row in one query, then reads
/// only paths of that fid (a fid's bytes never change), so bytes and metadata always belong to the
/// same version even while other clients overwrite or delete the key. When the fid's paths have
/// gone (overwritten or deleted meanwhile) the lookup is repeated.
///
/// Paths cache: get_paths answers are kept per fid for a few seconds, which saves the tracker round
/// trip on hot objects. It cannot serve stale bytes (a fid is immutable); a path that no longer has
/// the file (deleted, moved) answers 404 and the entry is dropped and asked for again.
/// </summary>
public sealed partial class Objects
{
    private readonly GatewayContext g;
    private readonly ConcurrentDictionary<long, (IReadOnlyList<string> Paths, long Until)> _paths = new();
    private const int PathCacheMillis = 5000;
    private const int PathCacheMax = 100_000;

    public Objects(GatewayContext context) => g = context;

    /// <summary>Multipart hook: serves a GET of an object whose file is a manifest (set by <see cref="Multipart"/>).
    /// Arguments: request, entry, meta, range (null = whole). Headers other than length/status are already set.</summary>
    public Func<S3Request, ObjectEntry, ObjectMeta, (long Offset, long Length)?, Task>? ServeManifest { get; set; }

    /// <summary>Multipart hook: opens a byte range of a manifest object for reading (copy sources).</summary>
    public Func<string, ObjectEntry, long, long, CancellationToken, Task<Stream>>? OpenManifest { get; set; }

    /// <summary>Multipart hook: called after a manifest object's key was deleted (to drop its parts).</summary>
    public Func<string, int, ObjectEntry, CancellationToken, Task>? ManifestDeleted { get; set; }

    /// <summary>Largest key MogileFS can store: <c>file.dkey</c> is VARCHAR(255), in bytes.</summary>
    public const int MaxKeyBytes = 255;

    public static void CheckKey(string key)
    {
        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
            throw new S3Exception(400, "KeyTooLongError", $"Your key is too long: MogileFS keys are at most {MaxKeyBytes} bytes").With("Key", key);
    }

    /// <summary>ETag of a file that was stored without S3 (no MD5 known): unique per file, and with a '-' so
    /// that clients do not mistake it for an MD5 of the content.</summary>
    public static string ForeignETag(long fid) => "mogilefs-fid-" + fid.ToString(CultureInfo.InvariantCulture);

    /// <summary>The key's current file and its S3 facts; a file made outside S3 is recorded on first sight.</summary>
    public async Task<(ObjectEntry Entry, ObjectMeta Meta)?> LookupAsync(int dmid, string key, CancellationToken ct)
    {
        var e = await g.Store.FindObjectAsync(dmid, key, ct).ConfigureAwait(false);
        if (e is null) return null;
        if (e.Meta is { } m) return (e, m);
        var adopted = new ObjectMeta(e.Fid, e.Length, ForeignETag(e.Fid), null, null, g.Clock.GetUtcNow().ToUnixTimeMilliseconds(), 0);
        await g.Store.AdoptAsync(dmid, key, adopted, ct).ConfigureAwait(false);
        // Another gateway may have adopted it first: take the row that won.
        var again = await g.Store.FindObjectAsync(dmid, key, ct).ConfigureAwait(false);
        if (again?.Meta is { } won && again.Fid == e.Fid) return (again, won);
        return (e, adopted);
    }

    /// <summary>As <see cref="LookupAsync"/>, answered from the object cache when it can be (GET and HEAD; <see cref="ObjectCache"/>).</summary>
    internal async ValueTask<(ObjectEntry Entry, ObjectMeta Meta)?> LookupCachedAsync(string bucket, int dmid, string key, bool fresh, CancellationToken ct)
    {
        var cache = g.Cache;
        if (!fresh && cache.TryGet(bucket, key, out var ce, out var cm)) return (ce, cm);
        long stamp = cache.Stamp(bucket, key);
        var found = await LookupAsync(dmid, key, ct).ConfigureAwait(false);
        if (found is { } f) cache.Add(bucket, key, stamp, f.Entry, f.Meta);
        else cache.Forget(bucket, key, null);
        return found;
    }

    /// <summary>Paths of <paramref name="fid"/> (the key's file), from the cache or the tracker; empty when the
    /// key no longer names that file.</summary>
    internal async Task<IReadOnlyList<string>> PathsAsync(string bucket, string key, long fid, CancellationToken ct)
    {
        long now = Environment.TickCount64;
        if (_paths.TryGetValue(fid, out var hit) && hit.Until > now) return hit.Paths;
        var all = await g.Mogile.GetPathsAsync(bucket, key, ct).ConfigureAwait(false);
        var mine = new List<string>(all.Count);
        foreach (var p in all)
        {
            var pf = MogileAccess.FidOfPath(p);
            if (pf is null || pf == fid) mine.Add(p);
        }
        if (mine.Count > 0)
        {
            if (_paths.Count >= PathCacheMax) _paths.Clear();
            _paths[fid] = (mine, now + PathCacheMillis);
        }
        return mine;
    }

    internal void ForgetPaths(long fid) => _paths.TryRemove(fid, out _);
}
