using System.Buffers;
using System.Globalization;
using System.Text.RegularExpressions;
using MogileFS.Core.Protocol;
using MogileFS.Tracker.Runtime;
using MogileFS.Tracker.Server;

namespace MogileFS.Tracker.Admin;

public enum AdminOutcome { Replied, Shutdown }

/// <summary>
/// The '!' commands (tracker-protocol.md §8), answered by the connection itself, never queued.
/// Word matching follows 2.73: exact "stats", then prefixes shutdown, jobs, want, to, queue/pend,
/// watch, recent, version; anything else prints the help text.
/// </summary>
internal static partial class AdminCommands
{
    public const string Version = "2.73";

    // Exact bytes of 2.73's help text (T24): bare LF line ends, then ".\r\n".
    private const string HelpText =
        "Mogilefsd admin commands:\n" +
        "\n" +
        "    !version    Server version\n" +
        "    !recent     Recently executed queries and how long they took.\n" +
        "    !queue      Queries that are pending execution.\n" +
        "    !stats      General stats on what we're up to.\n" +
        "    !watch      Observe errors/messages from children.\n" +
        "    !jobs       Outstanding job counts, desired level, and pids.\n" +
        "    !shutdown   Immediately kill all of mogilefsd.\n" +
        "\n" +
        "    !to <job class> <message>\n" +
        "                Send <message> to all workers of <job class>.\n" +
        "                Mostly used for debugging.\n" +
        "\n" +
        "    !want <count> <job class>\n" +
        "                Alter the level of workers of this class desired.\n" +
        "                Example: !want 20 queryworker, !want 3 replicate.\n" +
        "                See !jobs for what jobs are available.\n" +
        "\n";

    [GeneratedRegex(@"^(\d+)\s+(\S+)")]
    private static partial Regex WantArgs();

    [GeneratedRegex(@"^(\S+)\s+(.+)$")]
    private static partial Regex ToArgs();

    public static AdminOutcome Execute(TrackerServer server, ClientConnection conn, string word, string args, IBufferWriter<byte> o)
    {
        if (word == "stats") Stats(server, o);
        else if (word.StartsWith("shutdown", StringComparison.Ordinal)) return AdminOutcome.Shutdown;
        else if (word.StartsWith("jobs", StringComparison.Ordinal)) Jobs(server, o);
        else if (word.StartsWith("want", StringComparison.Ordinal)) Want(server, args, o);
        else if (word.StartsWith("to", StringComparison.Ordinal)) To(server, args, o);
        else if (word.StartsWith("queue", StringComparison.Ordinal) || word.StartsWith("pend", StringComparison.Ordinal))
        {
            foreach (var (ip, line) in server.Scheduler.Snapshot()) Line(o, ip + " " + line);
        }
        else if (word.StartsWith("watch", StringComparison.Ordinal))
        {
            bool added = server.Runtime.Errors.Toggle(conn, conn.EnqueueWatchLine);
            Line(o, added ? "Added you to watcher list." : "Removed you from watcher list.");
        }
        else if (word.StartsWith("recent", StringComparison.Ordinal))
        {
            foreach (var l in server.Recent.Lines()) Line(o, l);
        }
        else if (word.StartsWith("version", StringComparison.Ordinal)) Line(o, Version);
        else Raw(o, HelpText);
        Raw(o, ".\r\n");
        return AdminOutcome.Replied;
    }

    private static void Stats(TrackerServer server, IBufferWriter<byte> o)
    {
        var rt = server.Runtime;
        var sched = server.Scheduler;
        long uptime = (long)(rt.Clock.GetUtcNow() - rt.StartedAt).TotalSeconds;
        int running = sched.Running, limit = sched.Limit;
        Line(o, Inv($"uptime {uptime}"));
        Line(o, Inv($"pending_queries {sched.Pending}"));
        Line(o, Inv($"processing_queries {running}"));
        Line(o, Inv($"bored_queryworkers {Math.Max(0, limit - running)}"));
        rt.Jobs.Counters["queries"] = server.QueryCount;
        rt.Jobs.Counters["times_out_of_qworkers"] = Interlocked.Read(ref sched.TimesOutOfWorkers);
        foreach (var kv in rt.Jobs.Counters.OrderBy(k => k.Key, StringComparer.Ordinal))
            Line(o, Inv($"{kv.Key} {kv.Value}"));
    }

    private static void Jobs(TrackerServer server, IBufferWriter<byte> o)
    {
        // 2.73 starts every worker but the monitor only once the monitor's first round is done, so
        // until then !jobs lists the monitor alone (upstream tests wait for "queryworker count" before
        // they send !want, which answers an error until that round is done).
        bool monitorGood = server.Runtime.Monitor.HasCompletedFirstRound;
        foreach (var j in server.Runtime.Jobs.All)
        {
            if (!j.EverRan || (!monitorGood && j.Kind != JobKind.Monitor)) continue;
            Line(o, Inv($"{j.Name} count {j.Running}"));
            Line(o, Inv($"{j.Name} desired {j.Desired}"));
            Line(o, $"{j.Name} pids {string.Join(' ', j.WorkerIds.Select(i => i.ToString(CultureInfo.InvariantCulture)))}");
        }
    }

    private static void Want(TrackerServer server, string args, IBufferWriter<byte> o)
    {
        var m = WantArgs().Match(args);
        if (!m.Success)
        {
            Line(o, "ERROR: usage: !want <count> <jobclass>");
            return;
        }
        if (!server.Runtime.Monitor.HasCompletedFirstRound)
        {
            Line(o, "ERROR: Monitor has not completed initial run yet\n"); // 10.Q29: the extra LF is 2.73's
            return;
        }
        var job = m.Groups[2].Value;
        if (!server.Runtime.Jobs.TryGet(job, out var info))
        {
            var names = string.Join(", ", server.Runtime.Jobs.All.Select(j => j.Name));
            Line(o, $"ERROR: Invalid class '{job}'.  Valid classes: {names}");
            return;
        }
        int count = int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? Math.Min(c, JobCatalog.MaxWorkers) : JobCatalog.MaxWorkers;
        info.SetDesired(count);
        Line(o, Inv($"Now desiring {count} children doing '{job}'."));
    }

    private static void To(TrackerServer server, string args, IBufferWriter<byte> o)
    {
        var m = ToArgs().Match(args);
        if (!m.Success)
        {
            Line(o, "ERROR: usage: !to <jobclass> <message>");
            return;
        }
        int n = server.Runtime.Jobs.TryGet(m.Groups[1].Value, out var job) ? job.SendMessage(m.Groups[2].Value) : 0;
        Line(o, Inv($"Message sent to {n} children."));
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static void Line(IBufferWriter<byte> o, string text)
    {
        Raw(o, text);
        Raw(o, "\r\n");
    }

    /// <summary>Writes chars as bytes (admin text is ASCII; request lines echoed by !queue/!recent are byte strings).</summary>
    private static void Raw(IBufferWriter<byte> o, string text)
    {
        var span = o.GetSpan(text.Length);
        int n = ByteString.ToBytes(text, span);
        o.Advance(n);
    }
}
