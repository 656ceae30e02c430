using System.Globalization;

namespace MogileFS.Tracker.Policies;

/// <summary>
/// The <c>scrub_rate</c> server setting (ours, docs/fsck-rebalance.md): bytes per second with an
/// optional k/m/g suffix (powers of 1024); 0, empty or anything unparsable = off. Read by
/// set_server_setting to validate and by the scrubber to pace itself.
/// </summary>
public static class ScrubRate
{
    public static long Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return 0;
        var v = value.Trim();
        long mult = 1;
        char last = char.ToLowerInvariant(v[^1]);
        if (last is 'k' or 'm' or 'g')
        {
            mult = last switch { 'k' => 1024L, 'm' => 1024L * 1024, _ => 1024L * 1024 * 1024 };
            v = v[..^1];
        }
        return long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0 ? checked(n * mult) : 0;
    }
}
