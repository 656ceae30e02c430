using System.Globalization;
using System.Text;
using MogileFS.Core.Protocol;

namespace MogileFS.Tracker.Jobs.Rebalance;

/// <summary>
/// The <c>rebal_state</c> server setting (jobs.md §10.3): <c>key=value</c> items separated by single
/// spaces, lists joined with <c>,</c>. Parsing is tolerant (unknown keys are kept and written back,
/// empty list elements such as 2.73's <c>completed_devs=,3</c> are dropped); keys are written in a
/// fixed order.
/// </summary>
public sealed class RebalanceState
{
    private static readonly string[] Order =
    [
        "completed_devs", "source_devs", "sdev_current", "sdev_lastfid", "sdev_limit", "limit", "fids_queued", "bytes_queued",
        "time_started", "time_finished", "time_stopped", "time_latest_run", "time_latest_empty_run", "empty_runs",
    ];

    private readonly Dictionary<string, string> _extra = new(StringComparer.Ordinal);

    public List<int> CompletedDevs { get; } = new();
    /// <summary>Source devices not started yet.</summary>
    public List<int> SourceDevs { get; } = new();
    /// <summary>Device being emptied now (0 = none).</summary>
    public int SdevCurrent { get; set; }
    /// <summary>Last fid queued from the current device (the cursor).</summary>
    public long SdevLastFid { get; set; }
    /// <summary>Remaining per-device budget (count or bytes) of the current device.</summary>
    public long SdevLimit { get; set; }
    /// <summary>Remaining global budget (limit_type=global).</summary>
    public long Limit { get; set; }
    public long FidsQueued { get; set; }
    public long BytesQueued { get; set; }
    public long TimeStarted { get; set; }
    public long TimeFinished { get; set; }
    public long TimeStopped { get; set; }
    public long TimeLatestRun { get; set; }
    public long TimeLatestEmptyRun { get; set; }
    public long EmptyRuns { get; set; }

    /// <summary>Ours: the global budget was initialised from the policy (2.73 never did, quirk 15.10).</summary>
    public bool GlobalLimitSet { get; set; }

    public static RebalanceState Parse(string? text)
    {
        var st = new RebalanceState();
        if (string.IsNullOrEmpty(text)) return st;
        foreach (var item in text.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = item.IndexOf('=');
            string key = eq < 0 ? item : item[..eq];
            string value = eq < 0 ? "" : item[(eq + 1)..];
            switch (key)
            {
                case "completed_devs": ParseList(value, st.CompletedDevs); break;
                case "source_devs": ParseList(value, st.SourceDevs); break;
                case "sdev_current": st.SdevCurrent = (int)Perl.IntAsLong(value); break;
                case "sdev_lastfid": st.SdevLastFid = Perl.IntAsLong(value); break;
                case "sdev_limit": st.SdevLimit = Perl.IntAsLong(value); break;
                case "limit": st.Limit = Perl.IntAsLong(value); break;
                case "fids_queued": st.FidsQueued = Perl.IntAsLong(value); break;
                case "bytes_queued": st.BytesQueued = Perl.IntAsLong(value); break;
                case "time_started": st.TimeStarted = Perl.IntAsLong(value); break;
                case "time_finished": st.TimeFinished = Perl.IntAsLong(value); break;
                case "time_stopped": st.TimeStopped = Perl.IntAsLong(value); break;
                case "time_latest_run": st.TimeLatestRun = Perl.IntAsLong(value); break;
                case "time_latest_empty_run": st.TimeLatestEmptyRun = Perl.IntAsLong(value); break;
                case "empty_runs": st.EmptyRuns = Perl.IntAsLong(value); break;
                case "global_limit_set": st.GlobalLimitSet = Perl.IsTrue(value); break;
                default: st._extra[key] = value; break;
            }
        }
        return st;
    }

    private static void ParseList(string value, List<int> into)
    {
        into.Clear();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int d) && d > 0) into.Add(d);
    }

    public override string ToString()
    {
        var sb = new StringBuilder(256);
        void Add(string k, string v)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(k).Append('=').Append(v);
        }
        static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        foreach (var k in Order)
        {
            Add(k, k switch
            {
                "completed_devs" => string.Join(',', CompletedDevs),
                "source_devs" => string.Join(',', SourceDevs),
                "sdev_current" => N(SdevCurrent),
                "sdev_lastfid" => N(SdevLastFid),
                "sdev_limit" => N(SdevLimit),
                "limit" => N(Limit),
                "fids_queued" => N(FidsQueued),
                "bytes_queued" => N(BytesQueued),
                "time_started" => N(TimeStarted),
                "time_finished" => N(TimeFinished),
                "time_stopped" => N(TimeStopped),
                "time_latest_run" => N(TimeLatestRun),
                "time_latest_empty_run" => N(TimeLatestEmptyRun),
                _ => N(EmptyRuns),
            });
        }
        if (GlobalLimitSet) Add("global_limit_set", "1");
        foreach (var kv in _extra.OrderBy(k => k.Key, StringComparer.Ordinal)) Add(kv.Key, kv.Value);
        return sb.ToString();
    }
}
