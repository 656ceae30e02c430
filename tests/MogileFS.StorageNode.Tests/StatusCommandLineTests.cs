using MogileFS.Cli.mogstored;

namespace MogileFS.StorageNode.Tests;

/// <summary>mogstored's status port, access log and log keys (docs/metrics.md).</summary>
public sealed class StatusCommandLineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mogstored-status-").FullName;
    private const string NoDefault = "/nonexistent/mogstored.conf";

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Off_by_default_except_the_access_log()
    {
        var s = MogstoredCommandLine.Parse([], NoDefault);
        Assert.Equal("", s.StatusListen);
        Assert.True(s.Options.AccessLog);
        Assert.Equal("", s.LogTarget);
        Assert.Null(s.LogFile);
        Assert.Equal("text", s.LogFormat);
    }

    [Fact]
    public void Flags_and_file_set_them()
    {
        var s = MogstoredCommandLine.Parse(["--status_listen=127.0.0.1:7580", "--access_log=0", "--log_format=json"], NoDefault);
        Assert.Equal("127.0.0.1:7580", s.StatusListen);
        Assert.False(s.Options.AccessLog);
        Assert.Equal("json", s.LogFormat);

        string conf = Path.Combine(_dir, "m.conf");
        File.WriteAllText(conf, "status_listen = 10.0.0.1:7580\nlog_file = /tmp/x.log\naccess_log = 0\n");
        var f = MogstoredCommandLine.Parse([$"--config={conf}"], NoDefault);
        Assert.Equal("10.0.0.1:7580", f.StatusListen);
        Assert.Equal("/tmp/x.log", f.LogFile);
        Assert.False(f.Options.AccessLog);
    }

    [Theory]
    [InlineData("--status_listen=nowhere", "status_listen")]
    [InlineData("--log_format=xml", "log_format")]
    [InlineData("--log_target=kafka", "log_target")]
    [InlineData("--log_target=file", "log_file")]
    public void Bad_values_are_refused(string flag, string mention)
    {
        var e = Assert.Throws<MogstoredUsageException>(() => MogstoredCommandLine.Parse([flag], NoDefault));
        Assert.Contains(mention, e.Message);
    }

    [Fact]
    public void New_flags_do_not_make_2_73_abbreviations_ambiguous()
    {
        // --s is skipconfig, --d daemonize, --doc docroot: as before the new flags existed.
        var s = MogstoredCommandLine.Parse(["--s", "--doc=/x"], NoDefault);
        Assert.True(s.SkipConfig);
        Assert.Equal("/x", s.Options.DocRoot);
        // and ours only in full
        Assert.Throws<MogstoredUsageException>(() => MogstoredCommandLine.Parse(["--status=1.2.3.4:5"], NoDefault));
    }
}
