using MogileFS.Core.Model;

namespace MogileFS.Tracker.Jobs.Fsck;

/// <summary>What fsck does about the digests of a fid's good copies (jobs.md §11.4).</summary>
public sealed class ChecksumDecision
{
    /// <summary>Events to log, in order.</summary>
    public List<(string Code, int? DevId)> Events { get; } = new();

    /// <summary>A checksum row to create (NSUM).</summary>
    public (HashType Type, byte[] Digest)? CreateRow { get; set; }

    /// <summary>Copies whose location must be forgotten because they disagree with the stored checksum.</summary>
    public List<int> Remove { get; } = new();
}

/// <summary>
/// 2.73's <c>fix_checksums</c> as a pure function, so every branch is unit-testable:
/// <list type="number">
/// <item>all copies agree: a stored row that differs is <c>BALG</c> (other algorithm) or <c>BSUM</c>;
///   no row and the class has a hashtype → create it (<c>NSUM</c>).</item>
/// <item>copies disagree and a row exists: the copies matching the row win, the others are forgotten
///   (and re-replicated from a good copy); none matches → <c>BSUM</c> (class with hashtype only).</item>
/// <item>copies disagree, no row, <c>fsck_checksum</c> set (algorithm or <c>off</c>) → <c>MSUM</c>.</item>
/// <item>otherwise <c>BSUM</c> (class with hashtype only).</item>
/// </list>
/// In case 2 the forgotten copies are not logged themselves: the log shows the <c>REPL</c> that
/// follows (2.73's fsck_log rows, which tools and MogileFS's own tests count), and !watch shows
/// "removing file_on mapping" per copy. The scrubber (ours) asks for a <c>BSUM</c> with the devid of
/// each such copy, so bit rot it finds is visible as bit rot.
/// </summary>
public static class ChecksumResolver
{
    public static ChecksumDecision Resolve(IReadOnlyList<(int DevId, byte[] Digest)> copies,
        (HashType Type, byte[] Digest)? row, HashType algorithm, HashType classHash, FsckChecksumMode mode, bool logEachBadCopy = false)
    {
        var d = new ChecksumDecision();
        int distinct = CountDistinct(copies);
        if (distinct == 1)
        {
            var digest = copies[0].Digest;
            if (row is { } r)
            {
                if (!r.Digest.AsSpan().SequenceEqual(digest))
                    d.Events.Add((r.Type != algorithm ? FsckEventCode.BadAlgorithm : FsckEventCode.BadChecksum, null));
            }
            else if (classHash != HashType.None)
            {
                d.CreateRow = (classHash, digest);
                d.Events.Add((FsckEventCode.NoChecksum, null));
            }
            return d;
        }
        if (row is { } stored)
        {
            var good = copies.Where(c => c.Digest.AsSpan().SequenceEqual(stored.Digest)).ToList();
            if (good.Count > 0)
            {
                foreach (var c in copies)
                {
                    if (c.Digest.AsSpan().SequenceEqual(stored.Digest)) continue;
                    d.Remove.Add(c.DevId); // fsck: logged as the REPL that follows, as 2.73 (t/50-checksum.t)
                    if (logEachBadCopy) d.Events.Add((FsckEventCode.BadChecksum, c.DevId));
                }
            }
            else if (classHash != HashType.None)
            {
                d.Events.Add((FsckEventCode.BadChecksum, null));
            }
            return d;
        }
        if (mode.IsSet)
        {
            d.Events.Add((FsckEventCode.MultipleChecksums, null));
            return d;
        }
        if (classHash != HashType.None) d.Events.Add((FsckEventCode.BadChecksum, null));
        return d;
    }

    private static int CountDistinct(IReadOnlyList<(int DevId, byte[] Digest)> copies)
    {
        var seen = new List<byte[]>(copies.Count);
        foreach (var (_, digest) in copies)
            if (!seen.Any(s => s.AsSpan().SequenceEqual(digest))) seen.Add(digest);
        return seen.Count;
    }
}
