using MogileFS.TestSupport;
using MogileFS.Tools.Common;

namespace MogileFS.Client.Tests;

/// <summary>
/// Issue 12 items 5 and 6: every program answers <c>--help</c> with all its options and exit 0,
/// <c>--version</c> with our version and the MogileFS version it is compatible with; error texts
/// name the wrong thing once, in words.
/// </summary>
public class HelpAndErrorTextTests
{
    private static readonly string[] ToolCommon = ["--trackers", "--domain", "--conf", "--config", "--help", "--version"];

    // Every option each program accepts (its Getopt table); --help must list all of them.
    public static TheoryData<string, string[]> Programs => new()
    {
        { "mogupload", [.. ToolCommon, "--class", "--key", "--file", "--checksum", "--checksumverify"] },
        { "mogfetch", [.. ToolCommon, "--key", "--file"] },
        { "mogdelete", [.. ToolCommon, "--key"] },
        { "mogfileinfo", [.. ToolCommon, "--key"] },
        { "moglistkeys", [.. ToolCommon, "--key_prefix"] },
        { "moglistfids", [.. ToolCommon, "--fromfid", "--count"] },
        { "mogrename", [.. ToolCommon, "--old_key", "--new_key", "--class"] },
        { "mogfiledebug", [.. ToolCommon, "--key", "--fid", "--paths"] },
        { "mogadm", ["--trackers", "--config", "--lib", "--help", "--verbose", "--version"] },
        { "mogstats", ["--config", "--lib", "--help", "--verbose", "--stats", "--db_dsn", "--db_user", "--db_pass", "--version"] },
        { "mogstored", ["--iostat", "--skipconfig", "--daemonize", "--config", "--httplisten", "--mgmtlisten", "--docroot",
            "--maxconns", "--server", "--serverbin", "--pidfile", "--header_timeout", "--body_timeout", "--body_min_rate",
            "--maxconns_per_ip", "--help", "--version"] },
        { "mogilefsd", ["--config", "--skipconfig", "--debug", "--daemonize", "--dsn", "--dbuser", "--dbpass", "--user",
            "--confport", "--listen", "--workers", "--no_http", "--workerport", "--max_disk_age", "--min_free_space",
            "--default_mindevcount", "--node_timeout", "--conn_timeout", "--conn_pool_size", "--max_handles", "--pidfile",
            "--no_schema_check", "--plugins", "--repl_use_get_port", "--local_network", "--mogstored_stream_port",
            "job_master", "--help", "--version"] },
        { "mogdbsetup", ["--dbhost", "--dbport", "--dbname", "--dbrootuser", "--dbrootpass", "--dbuser", "--dbpass",
            "--help", "--verbose", "--yes", "--noschemabump", "--type", "--plugins", "--version"] },
        { "mogdbcopy", ["--from-dsn", "--from-user", "--from-pass", "--to-dsn", "--to-user", "--to-pass", "--overwrite",
            "--verify-only", "--batch-size", "--quiet", "--help", "--version"] },
        { "mogcluster", ["--data", "--postgres", "--mysql", "--my-port", "--pg-port", "--tracker", "--ips", "--http-port",
            "--mgmt-port", "--help", "--version"] },
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task Help_lists_every_option_and_exits_0(string program, string[] options)
    {
        var r = await ToolRunner.RunAsync(program, ["--help"]);
        Assert.True(r.ExitCode == 0, $"{program} --help exited {r.ExitCode}: {r.Err}");
        foreach (var o in options) Assert.Contains(o, r.Out);
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task Version_names_our_version_and_MogileFS_2_73(string program, string[] _)
    {
        var r = await ToolRunner.RunAsync(program, ["--version"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Matches($@"^{program} \d+\.\d+\.\d+.* compatible with MogileFS 2\.73", r.Out);
    }

    [Fact]
    public async Task Upload_of_a_directory_says_it_is_a_directory()
    {
        var r = await ToolRunner.RunAsync("mogupload", ["--trackers=127.0.0.1:1", "--domain=d", "--key=k", "--file=/tmp"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("Could not open /tmp: it is a directory, not a file\n", r.Err);
        var f = await ToolRunner.RunAsync("mogfetch", ["--trackers=127.0.0.1:1", "--domain=d", "--key=k", "--file=/tmp"]);
        Assert.NotEqual(0, f.ExitCode);
    }

    [Fact]
    public async Task An_unreachable_tracker_is_named_once()
    {
        var r = await ToolRunner.RunAsync("mogfileinfo", ["--trackers=127.0.0.1:1", "--domain=d", "--key=k"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(r.Err, "127\\.0\\.0\\.1:1\\b"));
    }

    [Fact]
    public void Progress_bar_blanks_what_a_longer_line_left()
    {
        // "265.6 MiB/s in 0:010": the final, shorter line must overwrite all of the longer one.
        var frame = ProgressBar.Frame("uploading 10 B in 0:01", "uploading 10 B 265.6 MiB/s ETA 0:010".Length);
        Assert.Equal("\r" + "uploading 10 B in 0:01".PadRight(36), frame);
        Assert.Equal(37, frame.Length);
    }
}
