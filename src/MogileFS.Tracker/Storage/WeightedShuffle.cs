namespace MogileFS.Tracker.Storage;

/// <summary>
/// Weighted random order, as MogileFS 2.73's <c>weighted_list</c>: items with weight &lt;= 0 are
/// dropped; each draw picks a remaining item with probability weight / sum of remaining weights.
/// Works in place on caller-provided spans so the hot paths (create_open, get_paths) allocate nothing.
/// </summary>
public static class WeightedShuffle
{
    /// <summary>
    /// Writes the drawn order of item indexes into <paramref name="order"/> and returns how many
    /// were written (items with a positive weight). <paramref name="weights"/> is consumed (its
    /// entries are zeroed as items are drawn).
    /// </summary>
    public static int Shuffle(Span<double> weights, Span<int> order, Random rng)
    {
        double sum = 0;
        int remaining = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] > 0 && !double.IsNaN(weights[i])) { sum += weights[i]; remaining++; }
            else weights[i] = 0;
        }
        int n = 0;
        while (remaining > 0)
        {
            int pick = -1;
            if (remaining == 1)
            {
                for (int i = 0; i < weights.Length; i++) if (weights[i] > 0) { pick = i; break; }
            }
            else
            {
                double val = rng.NextDouble() * sum, cur = 0;
                int last = -1;
                for (int i = 0; i < weights.Length; i++)
                {
                    if (weights[i] <= 0) continue;
                    last = i;
                    cur += weights[i];
                    if (cur >= val) { pick = i; break; }
                }
                pick = pick < 0 ? last : pick; // floating-point rounding at the very end
            }
            order[n++] = pick;
            sum -= weights[pick];
            weights[pick] = 0;
            remaining--;
        }
        return n;
    }
}
