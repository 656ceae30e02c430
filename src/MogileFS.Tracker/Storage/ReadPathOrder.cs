namespace MogileFS.Tracker.Storage;

/// <summary>
/// get_paths replica ordering (tracker-protocol.md §7.9 step 2, jobs.md §12.1): weighted random order,
/// weight = 102 - utilisation when the monitor reports a whole-number utilisation, else the device
/// weight; a weight of 0 (or none) counts as 100 and a negative weight drops the replica.
/// </summary>
public static class ReadPathOrder
{
    /// <summary>The weight 2.73 gives a device in get_paths.</summary>
    public static double Weight(string? observedUtilization, long? deviceWeight)
    {
        if (IsWholeNumber(observedUtilization) && long.TryParse(observedUtilization, out long util))
        {
            long w = 102 - util;
            return w == 0 ? 100 : w;
        }
        long dw = deviceWeight ?? 0;
        return dw == 0 ? 100 : dw;
    }

    private static bool IsWholeNumber(string? s)
    {
        if (string.IsNullOrEmpty(s) || s.Length > 18) return false;
        foreach (char c in s) if (c < '0' || c > '9') return false;
        return true;
    }

    /// <summary>Orders <paramref name="weights"/> (consumed) into <paramref name="order"/>; returns the count.</summary>
    public static int Order(Span<double> weights, Span<int> order, Random rng)
        => WeightedShuffle.Shuffle(weights, order, rng);
}
