using System.Security.Cryptography;
using System.Text.RegularExpressions;
using MogileFS.TestSupport;

namespace MogileFS.Client.Tests;

/// <summary>Each tool run as a process against the real cluster, its output checked against the 2.30 layout.</summary>
[Collection(ClusterCollection.Name)]
public class ToolProcessTests(ClusterFixture fx)
{
    // One tracker: mogadm changes must be visible to the next command at once.
    private string T => "--trackers=" + fx.TrackerAddresses[0];
    private const string D = "--domain=testdom";

    private static Task<ToolRunner.Result> Run(string tool, params string[] args) => ToolRunner.RunAsync(tool, args);

    [Fact]
    public async Task Upload_fetch_info_list_rename_delete()
    {
        using var dir = new TempDirectory("mogtools-");
        var data = RandomNumberGenerator.GetBytes(70_000);
        var src = dir.Combine("in.bin");
        await File.WriteAllBytesAsync(src, data);

        var up = await Run("mogupload", T, D, "--key=tools/a", $"--file={src}", "--class=c1");
        Assert.Equal(0, up.ExitCode);
        Assert.Equal("", up.Out + up.Err); // quiet when not at a terminal

        var stdinUp = await ToolRunner.RunAsync("mogupload", [T, D, "--key=tools/stdin", "--file=-"], stdin: data);
        Assert.Equal(0, stdinUp.ExitCode);

        var dst = dir.Combine("out.bin");
        var fetch = await Run("mogfetch", T, D, "--key=tools/a", $"--file={dst}");
        Assert.Equal(0, fetch.ExitCode);
        Assert.Equal(data, await File.ReadAllBytesAsync(dst));

        var fetchStdin = await Run("mogfetch", T, D, "--key=tools/stdin", "--file=" + dir.Combine("s.bin"));
        Assert.Equal(0, fetchStdin.ExitCode);
        Assert.Equal(data, await File.ReadAllBytesAsync(dir.Combine("s.bin")));

        var info = await Run("mogfileinfo", T, D, "--key=tools/a");
        Assert.Equal(0, info.ExitCode);
        var lines = info.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("- file: tools/a", lines[0]);
        Assert.Equal("     class:                   c1", lines[1]);
        Assert.Matches(@"^  devcount:                    [12]$", lines[2]); // 2 once replicated (class c1)
        Assert.Equal("    domain:              testdom", lines[3]);
        Assert.Matches(@"^       fid:\s+\d+$", lines[4]);
        Assert.Equal("       key:              tools/a", lines[5]);
        Assert.Equal("    length:                70000", lines[6]);
        Assert.Matches(@"^ - http://127\.0\.\d\.\d:\d+/dev\d+/\d/\d{3}/\d{3}/\d{10}\.fid$", lines[7]);

        var list = await Run("moglistkeys", T, D, "--key_prefix=tools/");
        Assert.Equal(0, list.ExitCode);
        Assert.Equal("tools/a\ntools/stdin\n", list.Out);

        Assert.Equal(0, (await Run("mogrename", T, D, "--old_key=tools/a", "--new_key=tools/b")).ExitCode);
        var renamedAgain = await Run("mogrename", T, D, "--old_key=tools/a", "--new_key=tools/c");
        Assert.Equal(1, renamedAgain.ExitCode);
        Assert.Equal("Error renaming 'tools/a': no such key in domain 'testdom'\n", renamedAgain.Err); // issue 12 item 6

        Assert.Equal(0, (await Run("mogdelete", T, D, "--key=tools/b")).ExitCode);
        var del = await Run("mogdelete", T, D, "--key=tools/b");
        Assert.Equal(1, del.ExitCode);
        Assert.Equal("Error deleting file: unknown_key unknown_key\n", del.Err);

        var missing = await Run("mogfetch", T, D, "--key=tools/b", "--file=" + dir.Combine("x"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("Error fetching paths: unknown_key unknown_key\n", missing.Err);
        Assert.False(File.Exists(dir.Combine("x")));

        var none = await Run("moglistkeys", T, D, "--key_prefix=nothing/");
        Assert.Equal(1, none.ExitCode);
        Assert.StartsWith("Error listing files: none_match", none.Err);
    }

    [Fact]
    public async Task Fetch_to_stdout_and_config_file()
    {
        using var home = new TempDirectory("mogtools-home-");
        await File.WriteAllTextAsync(Path.Combine(home.Path, ".mogilefs.conf"),
            $"# test config\ntrackers = {string.Join(",", fx.TrackerAddresses)}\ndomain = testdom  # the domain\n");
        var up = await ToolRunner.RunAsync("mogupload", ["--key=conf/x", "--file=-"], home.Path, "hello world"u8.ToArray());
        Assert.Equal(0, up.ExitCode);
        var fetch = await ToolRunner.RunAsync("mogfetch", ["--key=conf/x", "--file=-"], home.Path);
        Assert.Equal(0, fetch.ExitCode);
        Assert.Equal("hello world", fetch.Out);
    }

    [Fact]
    public async Task Drain_note_says_whether_files_will_move()
    {
        // Issue 12 item 3: the README's "drain moves files" held only with drain_moves_files set,
        // and the note pointed to a docs/wiki that does not exist.
        var off = await Run("mogadm", T, "device", "mark", "h3", "5", "drain");
        await Run("mogadm", T, "device", "mark", "h3", "5", "alive");
        Assert.Equal(0, off.ExitCode);
        Assert.Contains("mogadm settings set drain_moves_files 1", off.Out);
        Assert.DoesNotContain("wiki", off.Out);
        Assert.Equal(0, (await Run("mogadm", T, "settings", "set", "drain_moves_files", "1")).ExitCode);
        try
        {
            var on = await Run("mogadm", T, "device", "mark", "h3", "5", "drain");
            await Run("mogadm", T, "device", "mark", "h3", "5", "alive");
            Assert.Contains("drain_moves_files is on", on.Out);
        }
        finally
        {
            await Run("mogadm", T, "settings", "set", "drain_moves_files", "0");
        }
    }

    [Fact]
    public async Task Errors_are_one_line_and_non_zero()
    {
        var usage = await Run("mogupload");
        Assert.Equal(1, usage.ExitCode);
        Assert.StartsWith("Usage: mogupload --trackers=host", usage.Out);

        var noTracker = await Run("mogfileinfo", "--trackers=127.0.0.1:1", D, "--key=x");
        Assert.Equal(1, noTracker.ExitCode);
        Assert.Single(noTracker.Err.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("Error fetching file info: couldn't connect to any mogilefsd tracker", noTracker.Err);

        var bad = await Run("mogfetch", T, D, "--bogus=1");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("Unknown option: bogus", bad.Out);

        var noFile = await Run("mogupload", T, D, "--key=x");
        Assert.Equal(1, noFile.ExitCode);
        Assert.Equal("Must specify a file to upload with --file\n", noFile.Err);
    }

    [Fact]
    public async Task Listfids_and_filedebug()
    {
        using var client = fx.Client();
        var stored = await client.StoreBytesAsync("dbg/one", "abc"u8.ToArray());
        var fids = await Run("moglistfids", T, $"--fromfid={stored.Fid - 1}", "--count=1");
        Assert.Equal(0, fids.ExitCode);
        // devcount is 1, or 2 once the replicator has copied it (class default: mindevcount 2).
        Assert.Matches(new Regex($"^fid {stored.Fid}\nclass default\ndevcount [12]\ndomain testdom\nkey dbg/one\nlength 3\n\n$"), fids.Out);

        var dbg = await Run("mogfiledebug", T, D, "--key=dbg/one");
        Assert.Equal(0, dbg.ExitCode);
        Assert.Contains("Fetching and summing paths...\n", dbg.Out);
        Assert.Contains($"\nResults for path: {stored.Path.Replace("27500", "")}", dbg.Out.Replace("27500", ""));
        Assert.Contains(" - MD5 Hash: 900150983cd24fb0d6963f7d28e17f72\n", dbg.Out);
        Assert.Contains(" - Length: 3\n", dbg.Out);
        Assert.Contains(" - HTTP result: 200 OK\n", dbg.Out);
        Assert.Contains("\n- File Row:\n", dbg.Out);
        Assert.Contains("\n      dkey:              dbg/one\n", dbg.Out);
        Assert.Matches(new Regex(@"\n- Raw devids: \d+(,\d+)?\n"), dbg.Out);

        var byFid = await Run("mogfiledebug", T, $"--fid={stored.Fid}", "--paths=print");
        Assert.Equal(0, byFid.ExitCode);
        Assert.Contains($"Paths...\n - ", byFid.Out);

        var badMode = await Run("mogfiledebug", T, D, "--key=dbg/one", "--paths=nope");
        Assert.Equal(1, badMode.ExitCode);
    }

    [Fact]
    public async Task Mogadm_commands_and_layout()
    {
        var usage = await Run("mogadm");
        Assert.NotEqual(0, usage.ExitCode);
        Assert.StartsWith("Usage:  (enter any command prefix, leaving off options, for further help)\n\n  mogadm check  ", usage.Out);
        Assert.Contains("         host add ...              Add a host to MogileFS.\n", usage.Out);

        var help = await Run("mogadm", T, "class", "add");
        Assert.Equal(1, help.ExitCode);
        Assert.Contains("ERROR: Missing argument 'domain'", help.Out);
        Assert.Contains("      <domain>             Domain to add class to.\n", help.Out);

        Assert.Equal(0, (await Run("mogadm", T, "domain", "add", "admtools")).ExitCode);
        var dup = await Run("mogadm", T, "domain", "add", "admtools");
        Assert.Equal(1, dup.ExitCode);
        Assert.Equal("Error creating domain: domain_exists That domain already exists\n", dup.Err);
        var added = await Run("mogadm", T, "--verbose", "class", "add", "admtools", "big", "--mindevcount=3", "--hashtype=MD5");
        Assert.Equal(0, added.ExitCode);
        Assert.Equal("Class created.\n", added.Out);

        var list = await Run("mogadm", T, "class", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.StartsWith(" domain               class                mindevcount   replpolicy   hashtype\n" +
                          "-------------------- -------------------- ------------- ------------ -------\n", list.Out);
        Assert.Contains(" admtools             big                       3        MultipleHosts() MD5    \n", list.Out);
        Assert.Contains(" admtools             default                   2        MultipleHosts() NONE   \n", list.Out);

        var hosts = await Run("mogadm", T, "host", "list");
        Assert.Equal(0, hosts.ExitCode);
        Assert.Matches(new Regex(@"^h1 \[1\]: alive\n  IP:       127\.0\.\d\.1:\d+\n\n"), hosts.Out);

        var devs = await Run("mogadm", T, "device", "list");
        Assert.Equal(0, devs.ExitCode);
        Assert.Contains("h1 [1]: alive\n                    used(G)    free(G)   total(G)  weight(%)\n", devs.Out);
        Assert.Matches(new Regex(@"\n   dev1:   alive +\d+\.\d{3} +\d+\.\d{3} +\d+\.\d{3}        100\n"), devs.Out);

        var next = await Run("mogadm", T, "device", "next");
        Assert.Equal("6\n", next.Out);

        Assert.Equal(0, (await Run("mogadm", T, "settings", "set", "memcache_ttl", "77")).ExitCode);
        var settings = await Run("mogadm", T, "settings", "list");
        Assert.Matches(new Regex(@"(^|\n) {13}memcache_ttl = 77\n"), settings.Out);
        var badSetting = await Run("mogadm", T, "settings", "set", "bogus", "1");
        Assert.Equal(1, badSetting.ExitCode);
        Assert.Equal("not_writable not_writable\n", badSetting.Err);

        var fsck = await Run("mogadm", T, "fsck", "status");
        Assert.Equal(0, fsck.ExitCode);
        Assert.StartsWith("\n    Running: No\n     Status: ", fsck.Out);
        Assert.Contains(" Check Type: Normal (check policy + files)\n", fsck.Out);

        var summary = await Run("mogadm", T, "device", "summary");
        Assert.StartsWith("Hostname        HostID  Status   used(G)  free(G) total(G)    %Used\nh1              [   1]:  alive", summary.Out);

        var check = await Run("mogadm", T, "check");
        Assert.Equal(0, check.ExitCode);
        Assert.Contains("Checking trackers...\n", check.Out);
        Assert.Contains("Checking hosts...\n  [ 1] h1 ... OK\n", check.Out);
        Assert.Contains("Checking devices...\n  host device         size(G)    used(G)    free(G)   use%   ob state   I/O%\n", check.Out);
        Assert.Matches(new Regex(@"\n  \[ 1\] dev1 +\d+\.\d{3}"), check.Out);
        Assert.Contains("             total:", check.Out);

        Assert.Equal(0, (await Run("mogadm", T, "class", "delete", "admtools", "big")).ExitCode);
        Assert.Equal(0, (await Run("mogadm", T, "domain", "delete", "admtools")).ExitCode);
    }

    [Fact]
    public async Task Mogstats_reads_the_database()
    {
        using var client = fx.Client();
        await client.StoreBytesAsync("stats/1", new byte[2048]);
        var r = await Run("mogstats", [$"--db_dsn={fx.Cluster.Dsn}", .. (fx.Cluster.DbUser is { } u ? new[] { $"--db_user={u}", $"--db_pass={fx.Cluster.DbPass}" } : []),
            "--stats=fids,files,devices,delete-queue"]);
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("Fetching statistics... (fids,files,devices,delete-queue)\n", r.Out);
        Assert.Contains("\nStatistics for devices...\n  device     host                   files     status\n", r.Out);
        Assert.Matches(new Regex(@"\n  Max file id: \d+\n"), r.Out);
        Assert.Matches(new Regex(@"\n  testdom              default +\d+ +\d+ +\d+\n"), r.Out);
        Assert.EndsWith("\ndone\n", r.Out);

        var bad = await Run("mogstats", "--db_dsn=DBI:SQLite:dbname=/x.db", "--stats=nope");
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith("ERROR: Invalid stat nope\n", bad.Out);
    }
}

/// <summary>The tools against a cluster whose trackers (and mogstats) use MySQL.</summary>
[Collection(MySqlClusterCollection.Name)]
public sealed class MySqlToolProcessTests(MySqlClusterFixture fx) : ToolProcessTests(fx);
