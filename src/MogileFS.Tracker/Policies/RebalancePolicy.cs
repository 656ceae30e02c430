using System.Globalization;
using System.Text;
using MogileFS.Core.Protocol;

namespace MogileFS.Tracker.Policies;

/// <summary>What rebalance needs to know about one device.</summary>
/// <param name="CanDeleteFrom">host alive and device state alive or drain (jobs.md §2.3)</param>
/// <param name="ShouldGetNewFiles">device may receive new files (alive, writeable, host alive, enough space)</param>
public readonly record struct RebalanceDevice(int DevId, int HostId, bool CanDeleteFrom, bool ShouldGetNewFiles, long? MbTotal, long? MbUsed)
{
    private bool UsageKnown => MbTotal is > 0 && MbUsed is not null;
    /// <summary>2.73 <c>percent_full * 100</c>, which is 0 (not undef) when usage is unknown.</summary>
    public double PercentFull100 => UsageKnown ? 100.0 * MbUsed!.Value / MbTotal!.Value : 0;
    /// <summary>2.73 <c>percent_free * 100</c>, 0 when usage is unknown.</summary>
    public double PercentFree100 => UsageKnown ? 100.0 * (1.0 - (double)MbUsed!.Value / MbTotal!.Value) : 0;
    public long? MbFree => UsageKnown ? MbTotal - MbUsed : null;
}

/// <summary>
/// A rebalance policy string (jobs.md §10.2, tracker-protocol.md §11.4): <c>name=value</c> items split on
/// single whitespace characters, comma lists, unknown names rejected. Values are not validated here
/// (2.73 checks them only when the job uses them). Also evaluates the source/destination filters that
/// <c>rebalance_test</c> and <c>rebalance_start</c> report, and builds the initial <c>rebal_state</c>.
/// </summary>
public sealed class RebalancePolicy
{
    private static readonly HashSet<string> ListNames = new(StringComparer.Ordinal)
    {
        "from_hosts", "from_devices", "to_hosts", "to_devices", "not_to_hosts", "not_to_devices",
    };

    private static readonly Dictionary<string, string?> ScalarDefaults = new(StringComparer.Ordinal)
    {
        ["from_all_devs"] = "1",
        ["from_percent_used"] = null,
        ["from_percent_free"] = null,
        ["from_space_used"] = null,
        ["from_space_free"] = null,
        ["fid_age"] = "old",
        ["limit_type"] = "device",
        ["limit_by"] = "none",
        ["limit"] = null,
        ["to_all_devs"] = "1",
        ["to_percent_used"] = null,
        ["to_percent_free"] = null,
        ["to_space_used"] = null,
        ["to_space_free"] = null,
        ["use_dest_devs"] = "all",
        ["leave_in_drain_mode"] = "0",
    };

    private readonly Dictionary<string, string?> _scalars = new(ScalarDefaults, StringComparer.Ordinal);
    private readonly Dictionary<string, List<string?>> _lists = new(StringComparer.Ordinal);

    private RebalancePolicy()
    {
        foreach (var n in ListNames) _lists[n] = new List<string?>();
    }

    public string? Scalar(string name) => _scalars.TryGetValue(name, out var v) ? v : null;
    public IReadOnlyList<string?> List(string name) => _lists[name];

    /// <summary>
    /// Parses a policy. On an unknown name returns false with <paramref name="error"/> =
    /// <c>Invalid setting &lt;name&gt;</c> (2.73 appends a Perl source location, quirk Q28; we do not).
    /// An absent or empty policy parses to the defaults.
    /// </summary>
    public static bool TryParse(string? policy, out RebalancePolicy result, out string? error)
    {
        result = new RebalancePolicy();
        error = null;
        if (string.IsNullOrEmpty(policy)) return true;
        foreach (var tuple in PerlSplit(policy, IsPerlSpace))
        {
            var parts = PerlSplit(tuple, c => c == '=');
            string key = parts.Count > 0 ? parts[0] : "";
            string? value = parts.Count > 1 ? parts[1] : null;
            if (ListNames.Contains(key))
            {
                var list = result._lists[key];
                list.Clear();
                if (value is not null && value.Contains(',')) list.AddRange(PerlSplit(value, c => c == ','));
                else list.Add(value);
            }
            else if (ScalarDefaults.ContainsKey(key))
            {
                // 2.73 stores a comma value as a list even for scalar settings; only its truthiness and
                // numeric value are ever used, so keeping the string is equivalent for the filters.
                result._scalars[key] = value;
            }
            else
            {
                error = "Invalid setting " + key;
                return false;
            }
        }
        return true;
    }

    private static bool IsPerlSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v';

    /// <summary>Perl <c>split /x/</c>: empty leading fields kept, empty trailing fields removed.</summary>
    private static List<string> PerlSplit(string s, Func<char, bool> sep)
    {
        var r = new List<string>();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (!sep(s[i])) continue;
            r.Add(s[start..i]);
            start = i + 1;
        }
        r.Add(s[start..]);
        while (r.Count > 0 && r[^1].Length == 0) r.RemoveAt(r.Count - 1);
        return r;
    }

    private bool InList(string name, long id)
    {
        foreach (var v in _lists[name])
            if (Perl.Numify(v) == id) return true;
        return false;
    }

    private bool HasList(string name) => _lists[name].Count > 0;

    private bool Set(string name, out double threshold)
    {
        var v = Scalar(name);
        threshold = Perl.Numify(v);
        return Perl.IsTrue(v);
    }

    /// <summary>2.73 <c>filter_source_devices</c>: devids in the order given.</summary>
    public List<int> FilterSourceDevices(IEnumerable<RebalanceDevice> devices)
    {
        var r = new List<int>();
        foreach (var d in devices)
        {
            if (!d.CanDeleteFrom) continue;
            if (HasList("from_devices") && !InList("from_devices", d.DevId)) continue;
            if (HasList("from_hosts") && !InList("from_hosts", d.HostId)) continue;
            if (Set("from_percent_used", out var pu) && !(d.PercentFull100 > pu)) continue;
            if (Set("from_percent_free", out var pf) && (d.PercentFree100 == 0 || !(d.PercentFree100 > pf))) continue;
            if (Set("from_space_used", out var su) && !(d.MbUsed is long u && u != 0 && u > su)) continue;
            if (Set("from_space_free", out var sf) && !(d.MbFree is long f && f != 0 && f > sf)) continue;
            r.Add(d.DevId);
        }
        return r;
    }

    /// <summary>2.73 <c>filter_dest_devices</c>; <paramref name="excluded"/> = remaining, completed and current source devices.</summary>
    public List<int> FilterDestDevices(IEnumerable<RebalanceDevice> devices, IReadOnlyCollection<int> excluded)
    {
        var r = new List<int>();
        foreach (var d in devices)
        {
            if (excluded.Contains(d.DevId)) continue;
            if (!d.ShouldGetNewFiles) continue;
            if (HasList("to_devices") && !InList("to_devices", d.DevId)) continue;
            if (HasList("to_hosts") && !InList("to_hosts", d.HostId)) continue;
            if (HasList("not_to_devices") && InList("not_to_devices", d.DevId)) continue;
            if (HasList("not_to_hosts") && InList("not_to_hosts", d.HostId)) continue;
            if (Set("to_percent_used", out var pu) && !(d.PercentFull100 > pu)) continue;
            if (Set("to_percent_free", out var pf) && (d.PercentFree100 == 0 || !(d.PercentFree100 > pf))) continue;
            if (Set("to_space_used", out var su) && !(d.MbUsed is long u && u != 0 && u > su)) continue;
            if (Set("to_space_free", out var sf) && !(d.MbFree is long f && f != 0 && f > sf)) continue;
            r.Add(d.DevId);
        }
        return r;
    }

    /// <summary>
    /// The initial <c>rebal_state</c> of 2.73 (<c>Rebalance::init</c> + <c>save_state</c>): every state key
    /// with its default, <c>source_devs</c> = the source devices, <c>time_started</c> = now. Keys are written
    /// in a fixed order (2.73 uses hash order; mogadm splits on whitespace and '=').
    /// </summary>
    public static string InitialState(IReadOnlyList<int> sourceDevs, long unixNow)
    {
        var sb = new StringBuilder(256);
        sb.Append("completed_devs= source_devs=");
        for (int i = 0; i < sourceDevs.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(sourceDevs[i].ToString(CultureInfo.InvariantCulture));
        }
        sb.Append(" sdev_current=0 sdev_lastfid=0 sdev_limit=0 limit=0 fids_queued=0 bytes_queued=0 time_started=")
          .Append(unixNow.ToString(CultureInfo.InvariantCulture))
          .Append(" time_finished=0 time_stopped=0 time_latest_run=0 time_latest_empty_run=0 empty_runs=0");
        return sb.ToString();
    }
}
