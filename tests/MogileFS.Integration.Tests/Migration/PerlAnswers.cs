using System.Net;
using MogileFS.TestSupport;
using MogileFS.TestSupport.Transcripts;

namespace MogileFS.Integration.Tests.Migration;

/// <summary>
/// The requests and the 2.73 tracker's replies of tests/TestData/mysql/perl-2.73-answers.txt, and
/// their comparison with what a tracker of ours answers on the same data. Compared like the
/// transcript replays (ReplyComparer: OK lines as multisets of pairs, enumerations as sets of
/// records), with the storage nodes' port mapped, get_paths as a set of URLs (2.73 orders them by
/// device weight and at random), and only what the storage nodes report about themselves masked
/// (device usage and observed state, fsck_status' current time).
/// </summary>
public static class PerlAnswers
{
    public sealed record Exchange(int Line, string Request, string Reply)
    {
        public string Command => Request.Split(' ', 2)[0];
    }

    public const int RecordedHttpPort = 7500;

    public static List<Exchange> Load(string file)
    {
        var lines = File.ReadAllLines(file);
        var list = new List<Exchange>();
        for (int i = 0; i + 1 < lines.Length; i += 2)
        {
            if (!lines[i].StartsWith("> ", StringComparison.Ordinal) || !lines[i + 1].StartsWith("< ", StringComparison.Ordinal))
                throw new FormatException($"{file}:{i + 1}: expected a '> ' line and a '< ' line");
            list.Add(new Exchange(i + 1, lines[i][2..], lines[i + 1][2..]));
        }
        return list;
    }

    private static readonly string[] DeviceMasks =
        ["dev*_mb_total", "dev*_mb_used", "dev*_mb_free", "dev*_mb_asof", "dev*_utilization", "dev*_observed_state"];

    /// <summary>Sends every request to <paramref name="tracker"/>; returns one line per difference.
    /// <paramref name="overrides"/> replaces expected replies by request (documented differences).</summary>
    public static async Task<List<string>> CompareAsync(IPEndPoint tracker, int httpPort, IEnumerable<Exchange> exchanges,
        IReadOnlyDictionary<string, string>? overrides = null)
    {
        var problems = new List<string>();
        var list = exchanges.ToList();
        // Every copy of every file, from 2.73's file_debug replies (get_paths returns 2 of them, chosen
        // by device weight and at random).
        var copies = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var d in list.Where(x => x.Command == "file_debug" && x.Reply.StartsWith("OK", StringComparison.Ordinal)))
        {
            var pairs = TrackerClient.ParseOk(d.Reply);
            copies[pairs["fid_domain"] + "\n" + pairs["fid_dkey"]] = pairs.Where(kv => kv.Key.StartsWith("devpath_", StringComparison.Ordinal))
                .Select(kv => MapPort(kv.Value, httpPort)).ToHashSet(StringComparer.Ordinal);
        }
        foreach (var x in list)
        {
            string expected = overrides != null && overrides.TryGetValue(x.Request, out var o) ? o : x.Reply;
            expected = MapPort(expected, httpPort);
            string actual = await TrackerClient.QueryOnceAsync(tracker, x.Request);
            string? problem = x.Command == "get_paths"
                ? ComparePaths(expected, actual, copies.GetValueOrDefault(KeyOf(x.Request)))
                : ReplyComparer.CompareLine(expected + "\\r\\n", actual + "\\r\\n", x.Command,
                    x.Command switch
                    {
                        "get_devices" => DeviceMasks,
                        "fsck_status" => ["current_time"],
                        _ => [],
                    }, []);
            if (problem != null)
                problems.Add($"answers line {x.Line}: {x.Request}\n    {problem}\n    2.73: {expected}\n    ours: {actual}");
        }
        return problems;
    }

    private static string MapPort(string text, int httpPort) =>
        text.Replace($":{RecordedHttpPort}/", $":{httpPort}/", StringComparison.Ordinal)
            .Replace($"_http_port={RecordedHttpPort}", $"_http_port={httpPort}", StringComparison.Ordinal);

    private static string KeyOf(string request)
    {
        var args = TrackerClient.ParseOk("OK " + request.Split(' ', 2)[1]);
        return args.GetValueOrDefault("domain") + "\n" + args.GetValueOrDefault("key");
    }

    /// <summary>Same number of paths; the same set, or (when the file has more copies than were
    /// returned) paths that are all copies of the file.</summary>
    private static string? ComparePaths(string expected, string actual, HashSet<string>? allCopies)
    {
        if (ReplyComparer.StatusOf(expected + "\\r\\n") != ReplyComparer.StatusOf(actual + "\\r\\n")) return "reply status differs";
        if (!expected.StartsWith("OK", StringComparison.Ordinal)) return expected == actual ? null : "line differs";
        var e = TrackerClient.ParseOk(expected);
        var a = TrackerClient.ParseOk(actual);
        var ePaths = e.Where(kv => kv.Key.StartsWith("path", StringComparison.Ordinal) && kv.Key != "paths").Select(kv => kv.Value).Order().ToList();
        var aPaths = a.Where(kv => kv.Key.StartsWith("path", StringComparison.Ordinal) && kv.Key != "paths").Select(kv => kv.Value).Order().ToList();
        if (e.GetValueOrDefault("paths") != a.GetValueOrDefault("paths")) return "paths count differs";
        if (ePaths.SequenceEqual(aPaths)) return null;
        if (allCopies != null && allCopies.Count > ePaths.Count && aPaths.Distinct().Count() == aPaths.Count && aPaths.All(allCopies.Contains)) return null;
        return "the set of paths differs";
    }
}
