using System.Net;
using MogileFS.TestSupport;
using MogileFS.TestSupport.Transcripts;
using Xunit.Abstractions;

namespace MogileFS.Tracker.Tests.Core;

/// <summary>Replays the metadata transcripts (no storage node needed) against a real tracker.</summary>
public sealed class TranscriptReplayTests(ITestOutputHelper output)
{
    internal sealed class NoStorage(IPEndPoint tracker) : IReplayEnvironment
    {
        public IPEndPoint TrackerEndPoint { get; } = tracker;
        public CapturePorts Ports => CapturePorts.Identity;
        public string? LocalPathForUrl(string url) => null;
        public Task<string?> StandInAsync(WaitStep step, ReplaySideChannel side, CancellationToken ct) => Task.FromResult<string?>(null);
    }

    public static string TranscriptPath(string file)
    {
        var dir = AppContext.BaseDirectory;
        while (dir != null && !Directory.Exists(Path.Combine(dir, "tests", "TestData", "transcripts")))
            dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? throw new DirectoryNotFoundException("tests/TestData/transcripts"), "tests", "TestData", "transcripts", file);
    }

    internal static async Task<ReplayResult> ReplayAsync(TrackerHost host, string file, ITestOutputHelper output)
    {
        var t = TranscriptParser.ParseFile(TranscriptPath(file));
        var replayer = new TranscriptReplayer(new NoStorage(host.EndPoint), new ReplayOptions { Log = output.WriteLine });
        var r = await replayer.ReplayAsync(t);
        output.WriteLine(r.Report());
        return r;
    }

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task Framing_callid_and_encoding_transcripts(Db db)
    {
        if (db == Db.Postgres && PostgresServer.SkipRequested) return;
        await using var host = await TrackerHost.StartAsync(db, queryJobs: 3);
        foreach (var f in new[] { "01-framing-basics.txt", "01a-callid-edge-cases.txt", "02-url-encoding.txt" })
            (await ReplayAsync(host, f, output)).ThrowIfFailed();
    }

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    public async Task Metadata_transcripts_03_to_05a(Db db)
    {
        if (db == Db.Postgres && PostgresServer.SkipRequested) return;
        await using var host = await TrackerHost.StartAsync(db, queryJobs: 3);
        foreach (var f in new[] { "03-domains.txt", "04-classes.txt", "05-hosts.txt", "05a-dup-errors.txt" })
            (await ReplayAsync(host, f, output)).ThrowIfFailed();
    }
}
