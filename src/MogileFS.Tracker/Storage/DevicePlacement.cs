namespace MogileFS.Tracker.Storage;

/// <summary>What placement needs to know about one device (a view over the metadata cache).</summary>
/// <param name="DevId">device id</param>
/// <param name="HostId">host id</param>
/// <param name="MbTotal">device.mb_total, null when unknown</param>
/// <param name="MbUsed">device.mb_used, null when unknown</param>
/// <param name="Writable">device status alive, host status alive, and the monitor sees it writeable</param>
public readonly record struct PlacementCandidate(int DevId, int HostId, long? MbTotal, long? MbUsed, bool Writable)
{
    /// <summary>2.73 <c>mb_free</c>: known only when mb_total is non-zero and mb_used is known.</summary>
    public long? MbFree => MbTotal is > 0 && MbUsed is not null ? MbTotal - MbUsed : null;

    /// <summary>2.73 <c>percent_free</c>: 0 when usage is unknown.</summary>
    public double PercentFree => MbTotal is > 0 && MbUsed is not null ? 1.0 - (double)MbUsed.Value / MbTotal.Value : 0;

    /// <summary>2.73 <c>should_get_new_files</c> (jobs.md §2.3).</summary>
    public bool ShouldGetNewFiles(long minFreeSpaceMb)
        => Writable && !(MbTotal is > 0 && (MbFree ?? 0) < minFreeSpaceMb);
}

/// <summary>
/// create_open device selection (tracker-protocol.md §7.7 step 4, jobs.md §12.2).
///
/// Differences from 2.73, on purpose: with <c>multi_dest</c> the destinations are on distinct hosts
/// (the rule 2.73 meant; its check compared device ids with host ids, quirk Q8). When fewer hosts than
/// three are writable we return fewer destinations, which every client accepts (1..3).
/// </summary>
public static class DevicePlacement
{
    public const int MaxCandidates = 20;

    /// <summary>
    /// Chooses up to <paramref name="maxDest"/> (1 or 3) devices and writes their indexes (into
    /// <paramref name="devices"/>) to <paramref name="chosen"/>. Returns the count; 0 means
    /// <c>no_devices</c>. <paramref name="sizeBytes"/> is the numified <c>size</c> argument when it was
    /// truthy, else null.
    /// </summary>
    public static int Choose(ReadOnlySpan<PlacementCandidate> devices, double? sizeBytes, int maxDest,
        long minFreeSpaceMb, Random rng, Span<int> chosen)
    {
        int n = devices.Length;
        if (n == 0 || maxDest <= 0) return 0;
        Span<int> pool = n <= 256 ? stackalloc int[n] : new int[n];
        int count = 0;

        // 1. size filter: devices with known free space larger than size; else those with unknown free space.
        if (sizeBytes is double size)
        {
            for (int i = 0; i < n; i++)
                if (devices[i].MbFree is long f && f * 1048576.0 > size) pool[count++] = i;
            if (count == 0)
                for (int i = 0; i < n; i++)
                    if (devices[i].MbFree is null) pool[count++] = i;
        }
        else
        {
            for (int i = 0; i < n; i++) pool[count++] = i;
        }

        // 2. writable devices only.
        int w = 0;
        for (int i = 0; i < count; i++)
            if (devices[pool[i]].ShouldGetNewFiles(minFreeSpaceMb)) pool[w++] = pool[i];
        count = w;
        if (count == 0) return 0;

        // 3. most free first (stable, like Perl's merge sort), keep 20, weighted draw by 100 * free fraction.
        var cands = pool[..count];
        for (int i = 1; i < cands.Length; i++)
        {
            int v = cands[i];
            double pv = devices[v].PercentFree;
            int j = i - 1;
            while (j >= 0 && devices[cands[j]].PercentFree < pv) { cands[j + 1] = cands[j]; j--; }
            cands[j + 1] = v;
        }
        if (cands.Length > MaxCandidates) cands = cands[..MaxCandidates];

        Span<double> weights = stackalloc double[cands.Length];
        for (int i = 0; i < cands.Length; i++) weights[i] = 100 * devices[cands[i]].PercentFree;
        Span<int> order = stackalloc int[cands.Length];
        int drawn = WeightedShuffle.Shuffle(weights, order, rng);

        // 4. first drawn device; with multi_dest more, one per host.
        int picked = 0;
        for (int k = 0; k < drawn && picked < maxDest; k++)
        {
            int idx = cands[order[k]];
            bool sameHost = false;
            for (int c = 0; c < picked; c++)
                if (devices[chosen[c]].HostId == devices[idx].HostId) { sameHost = true; break; }
            if (sameHost) continue;
            chosen[picked++] = idx;
        }
        return picked;
    }
}
