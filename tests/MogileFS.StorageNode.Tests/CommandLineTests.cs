using MogileFS.TestSupport;
using MogileFS.Cli.mogstored;

namespace MogileFS.StorageNode.Tests;

/// <summary>Flags and config file as config.md §2, including the file-overrides-flags quirk.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly TempDirectory _dir = new("mogstored-cli-");
    private const string NoDefault = "/nonexistent/mogstored.conf";

    public void Dispose() => _dir.Dispose();

    private string Conf(string text)
    {
        string f = _dir.Combine("mogstored.conf");
        File.WriteAllText(f, text);
        return f;
    }

    [Fact]
    public void Defaults_are_those_of_2_73()
    {
        var s = MogstoredCommandLine.Parse([], NoDefault);
        Assert.Equal("0.0.0.0:7500", s.Options.HttpListen);
        Assert.Equal("0.0.0.0:7501", s.Options.MgmtListen);
        Assert.Equal("/var/mogdata", s.Options.DocRoot);
        Assert.Equal(10000, s.Options.MaxConns);
        Assert.True(s.Options.IoStat);
        Assert.False(s.Daemonize);
        Assert.Null(s.PidFile);
    }

    [Fact]
    public void Join_is_on_by_default_and_turned_off_by_flag_or_file()
    {
        Assert.True(MogstoredCommandLine.Parse([], NoDefault).Options.Join);
        Assert.False(MogstoredCommandLine.Parse(["--join=0"], NoDefault).Options.Join);
        Assert.False(MogstoredCommandLine.Parse([$"--config={Conf("join = 0\n")}"], NoDefault).Options.Join);
    }

    [Fact]
    public void Test_suite_flags()
    {
        var s = MogstoredCommandLine.Parse(["--skipconfig", "--httplisten=127.0.0.1:7500", "--mgmtlisten=127.0.0.1:7501", "--maxconns=1000", "--docroot=/tmp/x/", "--daemonize"], NoDefault);
        Assert.True(s.SkipConfig);
        Assert.Equal("127.0.0.1:7500", s.Options.HttpListen);
        Assert.Equal("127.0.0.1:7501", s.Options.MgmtListen);
        Assert.Equal(1000, s.Options.MaxConns);
        Assert.Equal("/tmp/x", s.Options.DocRoot);
        Assert.True(s.Daemonize);
    }

    [Fact]
    public void Getopt_long_forms()
    {
        var s = MogstoredCommandLine.Parse(["-d", "-s", "--docroot", "/d", "-httplisten=1.2.3.4:1", "--mgmt=5", "--PIDFILE=/p", "--iostat", "stray"], NoDefault);
        Assert.True(s.Daemonize);
        Assert.True(s.SkipConfig);
        Assert.Equal("/d", s.Options.DocRoot);
        Assert.Equal("1.2.3.4:1", s.Options.HttpListen);
        Assert.Equal("5", s.Options.MgmtListen);
        Assert.Equal("/p", s.PidFile);
    }

    [Theory]
    [InlineData("--bogus", "Unknown option: bogus")]
    [InlineData("--se=x", "Option se is ambiguous (server, serverbin)")]
    [InlineData("--maxconns=abc", "Value \"abc\" invalid for option maxconns (number expected)")]
    [InlineData("--docroot", "Option docroot requires an argument")]
    [InlineData("--daemonize=1", "Option daemonize does not take an argument")]
    public void Bad_flags_print_the_error_and_usage(string arg, string message)
    {
        var ex = Assert.Throws<MogstoredUsageException>(() => MogstoredCommandLine.Parse([arg], NoDefault));
        Assert.StartsWith(message + "\n", ex.Message);
        Assert.Contains("Usage: mogstored [OPTS]", ex.Message);
        Assert.Contains("--maxconns=<number>    Number of simultaneous clients to serve. Default 10000", ex.Message);
    }

    [Fact]
    public void Unknown_server_type()
    {
        var ex = Assert.Throws<MogstoredUsageException>(() => MogstoredCommandLine.Parse(["--server=bogus"], NoDefault));
        Assert.Equal("Unknown server type.  Valid options: --server={perlbal,lighttpd,apache,nginx,none}", ex.Message);
        Assert.Equal("none", MogstoredCommandLine.Parse(["--server=none"], NoDefault).Options.Server);
        var ng = MogstoredCommandLine.Parse(["--server=nginx"], NoDefault);
        Assert.Equal("perlbal", ng.Options.Server);
        Assert.NotEmpty(ng.Warnings);
    }

    [Fact]
    public void Config_file_overrides_flags()
    {
        string f = Conf("# sample\nmaxconns = 10000\nhttplisten = 10.0.0.3:7500   # inline comment\nmgmtlisten=0.0.0.0:7601\n\n  docroot   =   /srv/mog/  \niostat = 0\n");
        var s = MogstoredCommandLine.Parse(["--httplisten=10.0.0.4:7500", "--maxconns=5", $"--config={f}"], NoDefault);
        Assert.Equal("10.0.0.3:7500", s.Options.HttpListen);
        Assert.Equal("0.0.0.0:7601", s.Options.MgmtListen);
        Assert.Equal(10000, s.Options.MaxConns);
        Assert.Equal("/srv/mog", s.Options.DocRoot);
        Assert.False(s.Options.IoStat);
    }

    [Fact]
    public void Default_config_file_is_read_unless_skipped()
    {
        string f = Conf("docroot = /from/file\ndaemonize = no\n");
        var s = MogstoredCommandLine.Parse([], f);
        Assert.Equal("/from/file", s.Options.DocRoot);
        Assert.True(s.Daemonize); // Perl truthiness: "no" is true
        Assert.Equal("/var/mogdata", MogstoredCommandLine.Parse(["--skipconfig"], f).Options.DocRoot);
        Assert.Equal("/var/mogdata", MogstoredCommandLine.Parse(["-s"], f).Options.DocRoot);
    }

    [Theory]
    [InlineData("skipconfig = 1\n", "Unknown config setting: skipconfig")]
    [InlineData("http = 1.2.3.4:5\n", "Unknown config setting: http")]
    [InlineData("just words\n", "Unknown config syntax: just words")]
    [InlineData("docroot\n", "Unknown config syntax: docroot")]
    public void Config_errors(string text, string message)
    {
        string f = Conf(text);
        var ex = Assert.Throws<MogstoredUsageException>(() => MogstoredCommandLine.Parse([$"--config={f}"], NoDefault));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void Old_perlbal_syntax_is_a_usage_error()
    {
        string f = Conf("CREATE SERVICE mogstored\n");
        var ex = Assert.Throws<MogstoredUsageException>(() => MogstoredCommandLine.Parse([$"--config={f}"], NoDefault));
        Assert.Contains("is the old syntax", ex.Message);
        Assert.Contains("Usage: mogstored [OPTS]", ex.Message);
    }

    [Fact]
    public void Missing_named_config_file_is_fatal()
    {
        var ex = Assert.Throws<MogstoredUsageException>(() => MogstoredCommandLine.Parse(["--config=/nonexistent/x.conf"], NoDefault));
        Assert.Equal("Config file /nonexistent/x.conf doesn't exist.", ex.Message);
        // ... unless skipconfig
        MogstoredCommandLine.Parse(["--config=/nonexistent/x.conf", "--skipconfig"], NoDefault);
    }

    [Theory]
    [InlineData("127.0.0.1:7500", "127.0.0.1:7500")]
    [InlineData("7500", "0.0.0.0:7500")]
    [InlineData("0.0.0.0:0", "0.0.0.0:0")]
    [InlineData("localhost:80", "127.0.0.1:80")]
    public void Listen_addresses(string value, string expected)
    {
        Assert.Equal(expected, StorageNodeServer.ParseListen(value, "httplisten").ToString());
    }

    [Fact]
    public void Bad_listen_address()
    {
        var ex = Assert.Throws<ArgumentException>(() => StorageNodeServer.ParseListen("1.2.3.4:x", "httplisten"));
        Assert.Contains("httplisten", ex.Message);
    }

    [Fact]
    public void Issue17_limits_from_flags_and_file_and_2_73_abbreviations_unchanged()
    {
        var d = MogstoredCommandLine.Parse(["--maxconns=1000"], NoDefault).Options;
        Assert.Equal(500, d.EffectiveMaxConnsPerIp);
        Assert.Equal(TimeSpan.FromSeconds(10), d.HeaderTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), d.BodyTimeout);
        Assert.Equal(1024, d.BodyMinRate);
        var f = MogstoredCommandLine.Parse(["--config=" + Conf("header_timeout = 5\nbody_timeout = 7\nbody_min_rate = 2048\nmaxconns_per_ip = 20\n")], NoDefault).Options;
        Assert.Equal(TimeSpan.FromSeconds(5), f.HeaderTimeout);
        Assert.Equal(TimeSpan.FromSeconds(7), f.BodyTimeout);
        Assert.Equal(2048, f.BodyMinRate);
        Assert.Equal(20, f.EffectiveMaxConnsPerIp);
        // "--h" meant --httplisten in 2.73 and still does; our keys need their full name.
        Assert.Equal("1.2.3.4:1", MogstoredCommandLine.Parse(["--h=1.2.3.4:1"], NoDefault).Options.HttpListen);
        Assert.Throws<MogstoredUsageException>(() => MogstoredCommandLine.Parse(["--header_timeout=0"], NoDefault));
    }
}
