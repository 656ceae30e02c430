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

    internal static Transcript Load(string file) =>
        TranscriptParser.ParseFile(TranscriptPath(file));

    internal static async Task<ReplayResult> ReplayAsync(TrackerHost host, string file, ITestOutputHelper output)
    {
        var t = Load(file);
        var replayer = new TranscriptReplayer(new NoStorage(host.EndPoint), new ReplayOptions { Log = output.WriteLine });
        var r = await replayer.ReplayAsync(t);
        output.WriteLine(r.Report());
        return r;
    }

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    [InlineData(Db.MySql)]
    public async Task Framing_callid_and_encoding_transcripts(Db db)
    {
        if (db == Db.Postgres && PostgresServer.SkipRequested) return;
        if (db == Db.MySql && MariaDbServer.SkipReason != null) return;
        await using var host = await TrackerHost.StartAsync(db, queryJobs: 3);
        foreach (var f in new[] { "01-framing-basics.txt", "01a-callid-edge-cases.txt", "02-url-encoding.txt" })
            (await ReplayAsync(host, f, output)).ThrowIfFailed();
    }

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    [InlineData(Db.MySql)]
    public async Task Metadata_transcripts_03_to_05a(Db db)
    {
        if (db == Db.Postgres && PostgresServer.SkipRequested) return;
        if (db == Db.MySql && MariaDbServer.SkipReason != null) return;
        await using var host = await TrackerHost.StartAsync(db, queryJobs: 3);
        foreach (var f in new[] { "03-domains.txt", "04-classes.txt", "05-hosts.txt", "05a-dup-errors.txt" })
            (await ReplayAsync(host, f, output)).ThrowIfFailed();
    }

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    [InlineData(Db.MySql)]
    public async Task Devices_transcript_06_after_05(Db db)
    {
        if (db == Db.Postgres && PostgresServer.SkipRequested) return;
        if (db == Db.MySql && MariaDbServer.SkipReason != null) return;
        await using var host = await TrackerHost.StartAsync(db, queryJobs: 3);
        (await ReplayAsync(host, "05-hosts.txt", output)).ThrowIfFailed();
        // There are no storage nodes here, so what the monitor observes is not compared
        // (the integration tests replay this file against real nodes).
        var text = File.ReadAllText(TranscriptPath("06-devices.txt"), System.Text.Encoding.UTF8)
            .Replace("#~ vary-keys: ", "#~ vary-keys: dev*_observed_state dev*_reject_bad_md5 ", StringComparison.Ordinal);
        var r = await new TranscriptReplayer(new NoStorage(host.EndPoint), new ReplayOptions { Log = output.WriteLine })
            .ReplayAsync(TranscriptParser.Parse("06-devices.txt", text));
        output.WriteLine(r.Report());
        r.ThrowIfFailed();
    }

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    [InlineData(Db.MySql)]
    public async Task Server_settings_transcript_18(Db db)
    {
        if (db == Db.Postgres && PostgresServer.SkipRequested) return;
        if (db == Db.MySql && MariaDbServer.SkipReason != null) return;
        await using var host = await TrackerHost.StartAsync(db, queryJobs: 3);
        (await ReplayAsync(host, "03-domains.txt", output)).ThrowIfFailed();
        // list_keys in file 18 needs the keys file 12 created.
        await host.Server.Services.Store.WriteAsync(static async (s, ct) =>
        {
            long fid = 100;
            foreach (var k in new[] { "LIST/upper", "list/a", "list/b", "list/c" })
                await s.Sql("INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (@f, 1, CAST(@k AS TEXT), 1, 0, 1)")
                    .Int("@f", fid++).Text("@k", k).ExecuteAsync(ct);
        }, default);
        var text = File.ReadAllText(TranscriptPath("18-server-settings.txt"), System.Text.Encoding.UTF8);
        if (db == Db.Postgres)
        {
            // 2.73 on PostgreSQL matches list_keys prefixes case-sensitively whatever the setting (schema.md §5).
            text = text.Replace("< OK key_1=LIST/upper&key_2=list/a&key_count=4&key_3=list/b&key_4=list/c&next_after=list/c\\r\\n",
                "< OK key_count=1&key_1=LIST/upper&next_after=LIST/upper\\r\\n", StringComparison.Ordinal);
        }
        if (db == Db.MySql)
        {
            // 2.73 on MySQL: case-insensitive, in the column's collation (latin1_swedish_ci): LIST/upper after list/c.
            text = text.Replace("< OK key_1=LIST/upper&key_2=list/a&key_count=4&key_3=list/b&key_4=list/c&next_after=list/c\\r\\n",
                "< OK key_count=4&key_1=list/a&key_2=list/b&key_3=list/c&key_4=LIST/upper&next_after=list/c\\r\\n", StringComparison.Ordinal);
        }
        var r = await new TranscriptReplayer(new NoStorage(host.EndPoint), new ReplayOptions { Log = output.WriteLine })
            .ReplayAsync(TranscriptParser.Parse("18-server-settings.txt", text));
        output.WriteLine(r.Report());
        r.ThrowIfFailed();
    }

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    [InlineData(Db.MySql)]
    public async Task Misc_transcript_19(Db db)
    {
        if (db == Db.Postgres && PostgresServer.SkipRequested) return;
        if (db == Db.MySql && MariaDbServer.SkipReason != null) return;
        await using var host = await TrackerHost.StartAsync(db, queryJobs: 3);
        (await ReplayAsync(host, "19-misc.txt", output)).ThrowIfFailed();
    }

    [Theory]
    [InlineData(Db.Sqlite)]
    [InlineData(Db.Postgres)]
    [InlineData(Db.MySql)]
    public async Task Admin_transcripts_24_25_26(Db db)
    {
        if (db == Db.Postgres && PostgresServer.SkipRequested) return;
        if (db == Db.MySql && MariaDbServer.SkipReason != null) return;
        await using var host = await TrackerHost.StartAsync(db, queryJobs: 3);
        // The background jobs start after the first monitor round; !jobs in file 24 lists all seven.
        var jobs = host.Server.Services.Jobs;
        await host.Server.Services.Monitor.WaitForFirstRoundAsync(default);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (jobs.All.Count(j => j.Running > 0) < 7 && sw.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        foreach (var j in jobs.All) output.WriteLine($"job {j.Name}: {j.Running} running, {j.Desired} desired");
        // !recent in file 24 lists 50 earlier queries.
        await using (var c = await host.ConnectAsync())
            for (int i = 0; i < 50; i++) Assert.Equal("OK ", await c.QueryAsync("noop"));
        // Compared as recorded: 2.73's job classes, !stats lines and "Message sent to 1 children." for the reaper.
        foreach (var f in new[] { "24-admin-commands.txt", "25-admin-watch.txt", "26-admin-shutdown.txt" })
            (await ReplayAsync(host, f, output)).ThrowIfFailed();
        await host.Server.Completion.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
