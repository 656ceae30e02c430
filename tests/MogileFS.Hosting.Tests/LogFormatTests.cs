using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using MogileFS.Hosting.Logging;

namespace MogileFS.Hosting.Tests;

/// <summary>The one log line format of mogilefsd and mogstored, text and JSON (docs/metrics.md, "Logs").</summary>
public sealed partial class LogFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mogilefs-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [LoggerMessage(1, LogLevel.Information, "{Method} {Path} {Status} ms={Ms}")]
    private static partial void Access(ILogger logger, string method, string path, int status, double ms);

    private string[] Write(string format, Action<ILoggerFactory> log)
    {
        string file = Path.Combine(_dir, format + ".log");
        File.WriteAllText(file, "an older line\n"); // appended to, never truncated
        using (var f = ProcessLogging.Create(new LogSettings { Program = "mogtest", File = file, Format = format }, daemonized: false))
            log(f);
        return File.ReadAllLines(file);
    }

    [Fact]
    public void Text_lines_carry_time_level_program_component_and_message()
    {
        var lines = Write("text", f =>
        {
            f.CreateLogger("MogileFS.Tracker.Jobs").LogWarning("replication of fid {Fid} failed", 42);
            Access(f.CreateLogger("mogstored.access"), "GET", "/dev1/x.fid", 200, 0.5);
            f.CreateLogger("x").LogError(new InvalidOperationException("boom\nsecond line"), "it broke");
            f.CreateLogger("x").LogDebug("not at info level");
        });
        Assert.Equal("an older line", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d warn  mogtest\[\d+\] Tracker\.Jobs: replication of fid 42 failed$", lines[1]);
        Assert.EndsWith(" info  mogtest[" + Environment.ProcessId + "] mogstored.access: GET /dev1/x.fid 200 ms=0.5", lines[2]);
        Assert.EndsWith("error mogtest[" + Environment.ProcessId + "] x: it broke (InvalidOperationException: boom second line)", lines[3]);
    }

    [Fact]
    public void Json_lines_are_objects_with_every_field()
    {
        var lines = Write("json", f => Access(f.CreateLogger("mogstored.access"), "PUT", "/dev2/y.fid", 201, 1.25));
        using var doc = JsonDocument.Parse(lines[1]);
        var o = doc.RootElement;
        Assert.Equal("info", o.GetProperty("level").GetString());
        Assert.Equal("mogtest", o.GetProperty("program").GetString());
        Assert.Equal(Environment.ProcessId, o.GetProperty("pid").GetInt32());
        Assert.Equal("mogstored.access", o.GetProperty("component").GetString());
        Assert.Equal("PUT /dev2/y.fid 201 ms=1.25", o.GetProperty("msg").GetString());
        Assert.Equal("/dev2/y.fid", o.GetProperty("Path").GetString());
        Assert.Equal(201, o.GetProperty("Status").GetInt32());
        Assert.Equal(1.25, o.GetProperty("Ms").GetDouble());
        Assert.True(DateTimeOffset.TryParse(o.GetProperty("time").GetString(), out _));
    }

    [Fact]
    public void Settings_are_checked_and_the_target_follows_2_73()
    {
        Assert.Null(new LogSettings { Program = "p" }.Problem());
        Assert.Contains("log_format", new LogSettings { Program = "p", Format = "xml" }.Problem());
        Assert.Contains("log_file", new LogSettings { Program = "p", Target = "file" }.Problem());
        Assert.Equal("stderr", new LogSettings { Program = "p" }.EffectiveTarget(daemonized: false));
        Assert.Equal("syslog", new LogSettings { Program = "p" }.EffectiveTarget(daemonized: true));
        Assert.Equal("file", new LogSettings { Program = "p", File = "/x" }.EffectiveTarget(daemonized: true));
        Assert.Throws<IOException>(() => ProcessLogging.Create(
            new LogSettings { Program = "p", File = Path.Combine(_dir, "no/such/dir/x.log") }, false));
    }

    [Fact]
    public void A_burst_larger_than_the_queue_loses_lines_but_says_so()
    {
        var lines = Write("text", f =>
        {
            var l = f.CreateLogger("burst");
            for (int i = 0; i < 100_000; i++) l.LogInformation("line {N}", i);
        });
        int written = lines.Count(x => x.Contains(" burst: line "));
        Assert.True(written >= 16384, $"{written} lines");
        if (written < 100_000)
            Assert.True(lines.Any(x => Regex.IsMatch(x, @"warn  mogtest\[\d+\] Logging: \d+ log lines dropped")),
                $"{written} lines, no drop warning; last: {lines[^1]}");
    }
}
