using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace MogileFS.Integration.Tests.Transcripts;

/// <summary>How much of a transcript file a test replays.</summary>
public static class ReplayMode
{
    /// <summary>The whole file.</summary>
    public const string Full = "full";

    /// <summary>Up to the first <c>wait:</c> directive; the rest needs background jobs.</summary>
    public const string UntilWait = "until-wait";
}

/// <summary>
/// The order and mode in which the transcripts are replayed on one fresh cluster. Files need the
/// state earlier files left (fids, keys, devices), so every replay first replays the files before
/// it that have not run yet (see <see cref="TranscriptClusterFixture"/>).
/// </summary>
public static class TranscriptPlan
{
    public const string NeedsJobs = "needs background jobs (issue 4/5)";

    /// <summary>Where the build copies tests/TestData/transcripts.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "TestData", "transcripts");

    /// <summary>(file, mode, skip reason or null). File 09 waits for replication (the harness can stand
    /// in for the replication job, see ClusterReplayEnvironment). Files 21 and 22 wait for the fsck and
    /// rebalance jobs; each has a full row and a row up to its first wait, and <see cref="FullReplays"/>
    /// picks which of the two runs.</summary>
    public static IReadOnlyList<(string File, string Mode, string? Skip)> Entries =>
        FullReplays ? WithJobs : WithoutJobs;

    /// <summary>Files 21 and 22 are replayed in full now that the fsck and rebalance jobs exist.
    /// MOGILEFS_TRANSCRIPTS_PARTIAL=1 replays only their parts before the first wait (for a tracker
    /// built without background jobs) and reports the full rows as skipped.</summary>
    public static bool FullReplays => Environment.GetEnvironmentVariable("MOGILEFS_TRANSCRIPTS_PARTIAL") != "1";

    private static readonly IReadOnlyList<(string File, string Mode, string? Skip)> WithJobs =
        WithoutJobsList().Select(e => e.File is "21-fsck.txt" or "22-rebalance.txt"
            ? (e.File, e.Mode, e.Mode == ReplayMode.Full ? null : (string?)"the full replay runs instead (set MOGILEFS_TRANSCRIPTS_PARTIAL=1 for this one)")
            : e).ToList();

    private static readonly IReadOnlyList<(string File, string Mode, string? Skip)> WithoutJobs = WithoutJobsList();

    private static List<(string File, string Mode, string? Skip)> WithoutJobsList() =>
    [
        ("01-framing-basics.txt", ReplayMode.Full, null),
        ("01a-callid-edge-cases.txt", ReplayMode.Full, null),
        ("02-url-encoding.txt", ReplayMode.Full, null),
        ("03-domains.txt", ReplayMode.Full, null),
        ("04-classes.txt", ReplayMode.Full, null),
        ("05-hosts.txt", ReplayMode.Full, null),
        ("05a-dup-errors.txt", ReplayMode.Full, null),
        ("06-devices.txt", ReplayMode.Full, null),
        ("07-create-open.txt", ReplayMode.Full, null),
        ("08-create-close.txt", ReplayMode.Full, null),
        ("09-get-paths.txt", ReplayMode.Full, null),
        ("10-file-info.txt", ReplayMode.Full, null),
        ("11-file-debug.txt", ReplayMode.Full, null),
        ("12-list-keys.txt", ReplayMode.Full, null),
        ("13-list-fids.txt", ReplayMode.Full, null),
        ("14-rename.txt", ReplayMode.Full, null),
        ("15-updateclass.txt", ReplayMode.Full, null),
        ("16-delete.txt", ReplayMode.Full, null),
        ("17-edit-file.txt", ReplayMode.Full, null),
        ("18-server-settings.txt", ReplayMode.Full, null),
        ("19-misc.txt", ReplayMode.Full, null),
        ("20-httpcopy.txt", ReplayMode.Full, null),
        ("21-fsck.txt", ReplayMode.UntilWait, null),
        ("21-fsck.txt", ReplayMode.Full, NeedsJobs),
        ("22-rebalance.txt", ReplayMode.UntilWait, null),
        ("22-rebalance.txt", ReplayMode.Full, NeedsJobs),
        ("23-large-fid-and-utf8-keys.txt", ReplayMode.Full, null),
        ("24-admin-commands.txt", ReplayMode.Full, null),
        ("25-admin-watch.txt", ReplayMode.Full, null),
        ("26-admin-shutdown.txt", ReplayMode.Full, null),
    ];

    /// <summary>The entries that run (skip == null), in order.</summary>
    public static IEnumerable<(string File, string Mode)> Runnable => Entries.Where(e => e.Skip == null).Select(e => (e.File, e.Mode));

    public static int IndexOf(string file, string mode)
    {
        for (int i = 0; i < Entries.Count; i++)
            if (Entries[i].File == file && Entries[i].Mode == mode) return i;
        throw new ArgumentException($"{file} ({mode}) is not in the transcript plan");
    }
}

/// <summary>Theory rows from <see cref="TranscriptPlan"/>: the runnable ones, or (with
/// <c>skipped: true</c>) the ones that wait for background jobs, reported as skipped with the reason.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class TranscriptPlanDataAttribute : DataAttribute
{
    private readonly bool _skipped;

    public TranscriptPlanDataAttribute(bool skipped = false)
    {
        _skipped = skipped;
        if (skipped) Skip = TranscriptPlan.FullReplays ? "the full replay runs instead (set MOGILEFS_TRANSCRIPTS_PARTIAL=1 for this one)" : TranscriptPlan.NeedsJobs;
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
        TranscriptPlan.Entries.Where(e => (e.Skip != null) == _skipped).Select(e => new object[] { e.File, e.Mode });
}

/// <summary>Runs the transcript theory rows in plan order (xunit's default order is by hash).</summary>
public sealed class TranscriptOrderer : ITestCaseOrderer
{
    public const string TypeName = "MogileFS.Integration.Tests.Transcripts.TranscriptOrderer";
    public const string AssemblyName = "MogileFS.Integration.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(tc => tc.TestMethod.Method.Name, StringComparer.Ordinal).ThenBy(tc => Rank(tc));

    private static int Rank(ITestCase tc)
    {
        var args = tc.TestMethodArguments;
        if (args is { Length: 2 } && args[0] is string file && args[1] is string mode)
        {
            try { return TranscriptPlan.IndexOf(file, mode); } catch (ArgumentException) { }
        }
        return int.MaxValue;
    }
}
