using System.Collections.Concurrent;

namespace MogileFS.Tracker.Storage;

/// <summary>
/// Creates the three parent directories of a new fid on a device with MKCOL before create_open replies
/// (tracker-protocol.md §6.4, storage-node.md §3.5), remembering what it learnt so a busy tracker does
/// not send three MKCOLs per upload:
/// <list type="bullet">
/// <item>a node that answered 400/501 ("MKCOL not supported", what mogstored does) gets no MKCOL for
///   that device for <see cref="NotSupportedMemory"/> (2.73 remembers it until the device object is
///   rebuilt, which happens every few minutes);</item>
/// <item>a leaf directory (<c>/devN/a/bbb/ccc/</c>) whose MKCOLs all answered 2xx or 405 ("already
///   exists") is remembered for <see cref="DirectoryMemory"/> (2.73: one hour per directory path);</item>
/// <item>other answers and connection failures are not remembered, so the next upload retries; the
///   result never changes the create_open reply (2.73 ignores it too).</item>
/// </list>
/// Keys include the node's IP and port, so moving a device to another host starts afresh.
/// </summary>
public sealed class DirectoryVivifier
{
    public static readonly TimeSpan NotSupportedMemory = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan DirectoryMemory = TimeSpan.FromHours(1);
    private static readonly TimeSpan CleanInterval = TimeSpan.FromMinutes(5);

    private readonly IStorageNodeClient _client;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(int DevId, string Ip, int Port), long> _noMkcolUntil = new();
    private readonly ConcurrentDictionary<(int DevId, string Ip, int Port, long Leaf), long> _leafMadeAt = new();
    private long _lastClean;

    public DirectoryVivifier(IStorageNodeClient client, TimeProvider? time = null)
    {
        _client = client;
        _time = time ?? TimeProvider.System;
        _lastClean = _time.GetTimestamp();
    }

    /// <summary>Number of MKCOL requests sent so far (tests, !stats).</summary>
    public long MkcolsSent => Interlocked.Read(ref _mkcolsSent);
    private long _mkcolsSent;

    /// <summary>The leaf directory number: the first seven of the ten padded digits of the fid.</summary>
    public static long LeafOf(long fid)
    {
        // For fids of more than ten digits the directories come from the first ten digits.
        long f = fid;
        while (f >= 10_000_000_000L) f /= 10;
        return f / 1000;
    }

    /// <summary>
    /// True when no MKCOL is needed (already known); otherwise sends them. Returns whether the
    /// directories are believed to exist (informational; create_open ignores it).
    /// </summary>
    public ValueTask<bool> EnsureAsync(int devid, string ip, int port, long fid, bool skipMkcol, CancellationToken ct = default)
    {
        if (skipMkcol) return ValueTask.FromResult(true);
        long now = _time.GetTimestamp();
        if (_noMkcolUntil.TryGetValue((devid, ip, port), out long until) && now < until) return ValueTask.FromResult(true);
        var leafKey = (devid, ip, port, LeafOf(fid));
        if (_leafMadeAt.TryGetValue(leafKey, out long madeAt) && _time.GetElapsedTime(madeAt, now) < DirectoryMemory)
            return ValueTask.FromResult(true);
        return new ValueTask<bool>(MakeAsync(devid, ip, port, fid, leafKey, ct));
    }

    private async Task<bool> MakeAsync(int devid, string ip, int port, long fid, (int, string, int, long) leafKey, CancellationToken ct)
    {
        var (d1, d2, d3) = FidPaths.ParentDirectories(devid, fid);
        bool allOk = true;
        foreach (var dir in new[] { d1, d2, d3 })
        {
            Interlocked.Increment(ref _mkcolsSent);
            var r = await _client.MkcolAsync(ip, port, dir, ct).ConfigureAwait(false);
            if (r == MkcolStatus.NotSupported)
            {
                _noMkcolUntil[(devid, ip, port)] = _time.GetTimestamp() + (long)(NotSupportedMemory.TotalSeconds * _time.TimestampFrequency);
                return true;
            }
            if (r != MkcolStatus.Created) allOk = false;
        }
        long now = _time.GetTimestamp();
        if (allOk) _leafMadeAt[leafKey] = now;
        MaybeClean(now);
        return allOk;
    }

    private void MaybeClean(long now)
    {
        long last = Interlocked.Read(ref _lastClean);
        if (_time.GetElapsedTime(last, now) < CleanInterval) return;
        if (Interlocked.CompareExchange(ref _lastClean, now, last) != last) return;
        foreach (var kv in _leafMadeAt)
            if (_time.GetElapsedTime(kv.Value, now) >= DirectoryMemory) _leafMadeAt.TryRemove(kv);
        foreach (var kv in _noMkcolUntil)
            if (kv.Value <= now) _noMkcolUntil.TryRemove(kv);
    }
}
