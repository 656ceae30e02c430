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

    /// <summary>
    /// We send 2.73's error sentences without the Perl source locations the capture contains
    /// (tracker-protocol.md 10.Q28; docs/tracker.md). Strip them from the expectations.
    /// </summary>
    internal static string WithoutPerlLocations(string text)
    {
        text = System.Text.RegularExpressions.Regex.Replace(text, @"\+at\+/REDACTED/\S*?\+line\+\d+\.%0A", "");
        return System.Text.RegularExpressions.Regex.Replace(text, @" at /REDACTED/\S* line \d+\.", "");
    }

    internal static Transcript Load(string file) =>
        TranscriptParser.Parse(file, WithoutPerlLocations(File.ReadAllText(TranscriptPath(file), System.Text.Encoding.UTF8)));

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

    /// <summary>
    /// Stand-in for the monitor job (a later issue): after every cache reload it marks devices that a
    /// monitor would probe (device readable, host alive/readonly) writeable and leaves the rest unknown.
    /// </summary>
    internal static void FakeMonitor(TrackerHost host)
    {
        var rt = host.Server.Services;
        rt.Metadata.Reloaded += snap =>
        {
            foreach (var h in snap.Hosts)
                rt.Observations.SetHostReachable(h.Id, h.Status is MogileFS.Core.Model.HostState.Alive or MogileFS.Core.Model.HostState.Readonly);
            foreach (var d in snap.Devices)
            {
                if (MogileFS.Core.Model.States.CanRead(d.Status))
                    rt.Observations.Set(d.Id, new MogileFS.Tracker.Metadata.DeviceObservation(MogileFS.Core.Model.ObservedState.Writeable, null, true, DateTimeOffset.UtcNow));
                else if (d.Status == MogileFS.Core.Model.DeviceState.Dead)
                    rt.Observations.Set(d.Id, new MogileFS.Tracker.Metadata.DeviceObservation(MogileFS.Core.Model.ObservedState.Unreachable, null, null, DateTimeOffset.UtcNow));
                else rt.Observations.Forget(d.Id);
            }
        };
    }

    [Fact]
    public async Task Devices_transcript_06_after_05()
    {
        await using var host = await TrackerHost.StartAsync(Db.Sqlite, queryJobs: 3);
        FakeMonitor(host);
        foreach (var f in new[] { "05-hosts.txt", "06-devices.txt" })
            (await ReplayAsync(host, f, output)).ThrowIfFailed();
    }

    [Fact]
    public async Task Server_settings_transcript_18()
    {
        await using var host = await TrackerHost.StartAsync(Db.Sqlite, queryJobs: 3);
        (await ReplayAsync(host, "03-domains.txt", output)).ThrowIfFailed();
        // list_keys in file 18 needs the keys file 12 created.
        await host.Server.Services.Store.WriteAsync(static async (s, ct) =>
        {
            long fid = 100;
            foreach (var k in new[] { "LIST/upper", "list/a", "list/b", "list/c" })
                await s.Sql("INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (@f, 1, CAST(@k AS TEXT), 1, 0, 1)")
                    .Int("@f", fid++).Text("@k", k).ExecuteAsync(ct);
        }, default);
        (await ReplayAsync(host, "18-server-settings.txt", output)).ThrowIfFailed();
    }

    [Fact]
    public async Task Misc_transcript_19()
    {
        await using var host = await TrackerHost.StartAsync(Db.Sqlite, queryJobs: 3);
        (await ReplayAsync(host, "19-misc.txt", output)).ThrowIfFailed();
    }

    [Fact]
    public async Task Admin_transcripts_24_25_26()
    {
        await using var host = await TrackerHost.StartAsync(Db.Sqlite, queryJobs: 3);
        // Stand-ins for the background jobs (a later issue): one worker each, reaper answers !to.
        var jobs = host.Server.Services.Jobs;
        foreach (var name in new[] { "delete", "fsck", "job_master", "monitor", "reaper", "replicate" })
            Assert.True(jobs.TryGet(name, out var j)) ;
        foreach (var name in new[] { "delete", "fsck", "job_master", "monitor", "reaper", "replicate" })
        {
            jobs.TryGet(name, out var j);
            j.SetWorkers(new[] { MogileFS.Tracker.Runtime.JobRegistry.NewWorkerId() });
        }
        jobs.TryGet("reaper", out var reaper);
        reaper.MessageHandler = _ => 1;
        await host.Server.Services.Monitor.WaitForFirstRoundAsync(default);
        // !recent in file 24 lists 50 earlier queries.
        await using (var c = await host.ConnectAsync())
            for (int i = 0; i < 50; i++) Assert.Equal("OK ", await c.QueryAsync("noop"));
        foreach (var f in new[] { "24-admin-commands.txt", "25-admin-watch.txt", "26-admin-shutdown.txt" })
            (await ReplayAsync(host, f, output)).ThrowIfFailed();
        await host.Server.Completion.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
