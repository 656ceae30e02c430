using System.Collections.Concurrent;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway.S3;

/// <summary>
/// Two caches in front of reads (docs/s3.md, "Caches"):
///
/// * key → (fid, S3 row), kept for <see cref="GatewayOptions.ObjectCacheTime"/>. A write or delete
///   through this gateway drops the key's entry once the tracker has answered, and a lookup that
///   started before such a change never stores its (older) answer: every key hashes to a stripe
///   whose counter the change bumps, and a lookup stores only if its stripe's counter is the one it
///   read before asking the database. Changes made elsewhere (another gateway, a MogileFS client)
///   are seen once the entry expires: that is the window. A copy that answers 404 (the file was
///   deleted or replaced) drops the entry and the read looks again in the database.
/// * fid → bytes of small files (whole files up to <see cref="GatewayOptions.ContentCacheMaxObject"/>,
///   <see cref="GatewayOptions.ContentCacheSize"/> in all). A fid's bytes never change, so an entry
///   can never be wrong; it is only used for a fid the key lookup returned. Two generations share
///   the budget, half each: new files go into the current one; when it is full it becomes the
///   previous one and the old previous one is dropped; a hit in the previous generation moves the
///   file to the current one. So files read again and again stay while a stream of files read
///   once passes through, an approximation of least-recently-used at the cost of a dictionary
///   lookup, and a hot set larger than the budget still hits for what fits.
/// </summary>
public sealed class ObjectCache
{
    private const int Stripes = 4096;
    private readonly long[] _stripes = new long[Stripes];
    private readonly ConcurrentDictionary<(string Bucket, string Key), (ObjectEntry Entry, ObjectMeta Meta, long Until)> _meta = new();
    private sealed class Generation
    {
        public readonly ConcurrentDictionary<long, byte[]> Files = new();
        public long Bytes;
    }

    private Generation _current = new(), _previous = new();
    private readonly object _turn = new();
    private readonly long _ttlMs;
    private readonly long _contentBudget;
    private long _adds;
    private const int MaxEntries = 200_000;

    public ObjectCache(GatewayOptions options)
    {
        _ttlMs = (long)options.ObjectCacheTime.TotalMilliseconds;
        _contentBudget = options.ContentCacheSize;
        MaxContentObject = _contentBudget <= 0 ? 0 : (int)Math.Min(Math.Min(options.ContentCacheMaxObject, _contentBudget), int.MaxValue);
    }

    /// <summary>Largest file kept in the content cache (0: none).</summary>
    public int MaxContentObject { get; }

    public bool Enabled => _ttlMs > 0;

    private static int Stripe(string bucket, string key) => (int)((uint)HashCode.Combine(bucket, key) % Stripes);

    /// <summary>The stripe counter to pass to <see cref="Add"/>; read it before asking the database.</summary>
    public long Stamp(string bucket, string key) => Volatile.Read(ref _stripes[Stripe(bucket, key)]);

    public bool TryGet(string bucket, string key, out ObjectEntry entry, out ObjectMeta meta)
    {
        if (_ttlMs > 0 && _meta.TryGetValue((bucket, key), out var hit) && hit.Until > Environment.TickCount64)
        {
            (entry, meta) = (hit.Entry, hit.Meta);
            return true;
        }
        entry = null!;
        meta = null!;
        return false;
    }

    /// <summary>Keeps a lookup's answer unless the key changed through this gateway since <paramref name="stamp"/>.</summary>
    public void Add(string bucket, string key, long stamp, ObjectEntry entry, ObjectMeta meta)
    {
        if (_ttlMs <= 0) return;
        int s = Stripe(bucket, key);
        if (Volatile.Read(ref _stripes[s]) != stamp) return;
        // Count takes every lock of the dictionary: look only now and then (expired entries are dropped by this clear).
        if ((Interlocked.Increment(ref _adds) & 1023) == 0 && _meta.Count >= MaxEntries) _meta.Clear();
        _meta[(bucket, key)] = (entry, meta, Environment.TickCount64 + _ttlMs);
        // A change that bumped the stripe after the check above removes after it, or we remove here.
        if (Volatile.Read(ref _stripes[s]) != stamp) _meta.TryRemove((bucket, key), out _);
    }

    /// <summary>The key was written or deleted through this gateway (<see cref="Mogile.MogileAccess.KeyChanged"/>): forget it and refuse older answers.</summary>
    public void Invalidate(string bucket, string key)
    {
        Interlocked.Increment(ref _stripes[Stripe(bucket, key)]);
        _meta.TryRemove((bucket, key), out _);
    }

    /// <summary>Forgets a key's entry if it names <paramref name="fid"/> (a copy of it answered 404), or any entry when null.</summary>
    public void Forget(string bucket, string key, long? fid)
    {
        if (_meta.TryGetValue((bucket, key), out var hit) && (fid is null || hit.Entry.Fid == fid))
            _meta.TryRemove(new KeyValuePair<(string, string), (ObjectEntry, ObjectMeta, long)>((bucket, key), hit));
    }

    public byte[]? Content(long fid)
    {
        var current = Volatile.Read(ref _current);
        if (current.Files.TryGetValue(fid, out var b)) return b;
        if (!Volatile.Read(ref _previous).Files.TryGetValue(fid, out b)) return null;
        AddContent(fid, b); // read again: keep it in the current generation
        return b;
    }

    public void AddContent(long fid, byte[] bytes)
    {
        if (bytes.Length > MaxContentObject || _contentBudget <= 0) return;
        var current = Volatile.Read(ref _current);
        if (Interlocked.Add(ref current.Bytes, bytes.Length) > _contentBudget / 2 && current.Files.Count > 0)
        {
            lock (_turn)
            {
                // The generation that filled up becomes the previous one (once, whoever gets here first).
                if (ReferenceEquals(_current, current))
                {
                    Volatile.Write(ref _previous, current);
                    Volatile.Write(ref _current, new Generation());
                }
                current = _current;
            }
            Interlocked.Add(ref current.Bytes, bytes.Length);
        }
        if (!current.Files.TryAdd(fid, bytes)) Interlocked.Add(ref current.Bytes, -bytes.Length);
    }

    /// <summary>Bytes of files kept (both generations; at most the budget plus one file per generation).</summary>
    public long ContentBytes => Volatile.Read(ref _current).Bytes + Volatile.Read(ref _previous).Bytes;
}
