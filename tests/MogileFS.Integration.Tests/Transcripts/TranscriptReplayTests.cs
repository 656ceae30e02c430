using MogileFS.TestSupport;
using MogileFS.TestSupport.Transcripts;
using Xunit.Abstractions;

namespace MogileFS.Integration.Tests.Transcripts;

/// <summary>
/// Replays the transcripts captured from mogilefsd 2.73 (tests/TestData/transcripts) against our
/// tracker and storage nodes, in file order on one fresh cluster per database. A failure lists
/// every differing line: transcript line, request as sent, expected and actual reply.
/// </summary>
public abstract class TranscriptReplayTests<TFixture>(TFixture fixture, ITestOutputHelper output)
    where TFixture : TranscriptClusterFixture
{
    protected async Task ReplayCore(string file, string mode)
    {
        var (result, earlier) = await fixture.ReplayAsync(file, mode, output.WriteLine);
        output.WriteLine(result.Report());
        var failedBefore = earlier.Where(r => !r.Passed).Select(r => r.File).Distinct().ToList();
        if (!result.Passed)
        {
            string context = failedBefore.Count > 0
                ? $"\n(earlier files with differences, so the state may differ from the capture: {string.Join(", ", failedBefore)})"
                : "";
            throw new TranscriptReplayException(result.Report() + context + "\n--- server log (warnings) ---\n" + fixture.Cluster.Logs.Dump(40));
        }
    }
}

[TestCaseOrderer(TranscriptOrderer.TypeName, TranscriptOrderer.AssemblyName)]
public sealed class SqliteTranscriptReplayTests(SqliteTranscriptFixture fixture, ITestOutputHelper output)
    : TranscriptReplayTests<SqliteTranscriptFixture>(fixture, output), IClassFixture<SqliteTranscriptFixture>
{
    [Theory]
    [TranscriptPlanData]
    [TranscriptPlanData(skipped: true)]
    public Task Replay(string file, string mode) => ReplayCore(file, mode);
}

[TestCaseOrderer(TranscriptOrderer.TypeName, TranscriptOrderer.AssemblyName)]
public sealed class PostgresTranscriptReplayTests(PostgresTranscriptFixture fixture, ITestOutputHelper output)
    : TranscriptReplayTests<PostgresTranscriptFixture>(fixture, output), IClassFixture<PostgresTranscriptFixture>
{
    [PostgresTheory]
    [TranscriptPlanData]
    [TranscriptPlanData(skipped: true)]
    public Task Replay(string file, string mode) => ReplayCore(file, mode);
}

[TestCaseOrderer(TranscriptOrderer.TypeName, TranscriptOrderer.AssemblyName)]
public sealed class MySqlTranscriptReplayTests(MySqlTranscriptFixture fixture, ITestOutputHelper output)
    : TranscriptReplayTests<MySqlTranscriptFixture>(fixture, output), IClassFixture<MySqlTranscriptFixture>
{
    [MariaDbTheory]
    [TranscriptPlanData]
    [TranscriptPlanData(skipped: true)]
    public Task Replay(string file, string mode) => ReplayCore(file, mode);
}
