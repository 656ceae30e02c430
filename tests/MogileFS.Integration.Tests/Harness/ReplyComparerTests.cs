using MogileFS.TestSupport.Transcripts;

namespace MogileFS.Integration.Tests.Harness;

public class ReplyComparerTests
{
    private static string? Line(string expected, string actual, string? command = null, string[]? keys = null, string[]? res = null) =>
        ReplyComparer.CompareLine(expected, actual, command, keys ?? [], res ?? []);

    [Fact]
    public void Ok_lines_compare_as_unordered_pairs()
    {
        Assert.Null(Line("OK a=1&b=2\\r\\n", "OK b=2&a=1\\r\\n"));
        Assert.Null(Line("OK \\r\\n", "OK \\r\\n"));
        Assert.Contains("missing pair(s): b=2", Line("OK a=1&b=2\\r\\n", "OK a=1\\r\\n"));
        Assert.Contains("unexpected pair(s): c=3", Line("OK a=1\\r\\n", "OK a=1&c=3\\r\\n"));
        Assert.Contains("missing pair(s): a=1", Line("OK a=1\\r\\n", "OK a=2\\r\\n"));
        // Pairs are a multiset: a duplicate counts.
        Assert.NotNull(Line("OK a=1&a=1\\r\\n", "OK a=1\\r\\n"));
        // The exact framing is part of the reply: "OK" needs its space and CRLF.
        Assert.NotNull(Line("OK \\r\\n", "OK\\r\\n"));
        Assert.NotNull(Line("OK a=1\\r\\n", "OK a=1\\n"));
    }

    [Fact]
    public void Vary_keys_mask_values_but_keys_must_be_present()
    {
        string[] keys = ["devid", "path"];
        Assert.Null(Line("OK devid=4&fid=1&path=http://x/1\\r\\n", "OK fid=1&devid=2&path=http://y/2\\r\\n", keys: keys));
        Assert.Contains("missing pair(s): path", Line("OK devid=4&fid=1&path=p\\r\\n", "OK fid=1&devid=2\\r\\n", keys: keys));
        Assert.Contains("fid=1", Line("OK devid=4&fid=1\\r\\n", "OK fid=2&devid=4\\r\\n", keys: keys));
        // A varying key the capture did not have is optional (replqueue_* in file_debug).
        Assert.Null(Line("OK a=1\\r\\n", "OK a=1&count=5\\r\\n", keys: ["count"]));
    }

    [Fact]
    public void Wildcard_vary_keys_vary_in_name_and_number_but_must_occur()
    {
        string[] keys = ["devpath_*", "devids", "replqueue_*"];
        Assert.Null(Line("OK devpath_1=a&devpath_4=b&devids=1,4&fid_fid=7\\r\\n",
            "OK devpath_2=a&devpath_3=b&devids=2,3&fid_fid=7&replqueue_nexttry=5\\r\\n", keys: keys));
        Assert.Null(Line("OK devpath_1=a&devpath_4=b&devids=1,4\\r\\n", "OK devpath_2=a&devids=2\\r\\n", keys: keys));
        Assert.Contains("matching 'devpath_*'", Line("OK devpath_1=a&devpath_4=b&devids=1,4\\r\\n", "OK devids=2\\r\\n", keys: keys));
    }

    [Fact]
    public void Wildcards_inside_a_name_are_fields_of_varying_records_and_optional()
    {
        string[] keys = ["row_*_devid", "row_*_fid", "row_count"];
        Assert.Null(Line("OK row_1_fid=5&row_1_devid=4&row_count=1\\r\\n", "OK row_1_fid=6&row_count=1\\r\\n", keys: keys));
    }

    [Fact]
    public void Get_domains_records_are_compared_as_sets_with_renumbering()
    {
        string expected = "OK domain2class1name=default&domain2=otherdom&domain2classes=1&domain1=testdom&domain1classes=2"
            + "&domain1class1name=default&domain1class1mindevcount=2&domain1class2name=c1&domain1class2mindevcount=3&domains=2\\r\\n";
        string renumbered = "OK domain1=otherdom&domain1classes=1&domain1class1name=default&domain2=testdom&domain2classes=2"
            + "&domain2class2name=default&domain2class2mindevcount=2&domain2class1name=c1&domain2class1mindevcount=3&domains=2\\r\\n";
        Assert.Null(Line(expected, renumbered, "get_domains"));
        // The same line compared as plain pairs is different: renumbering only applies to enumerations.
        Assert.NotNull(Line(expected, renumbered, "noop"));
        // A class moved to another domain is a difference even though all values still occur.
        string moved = "OK domain1=otherdom&domain1classes=1&domain1class1name=c1&domain2=testdom&domain2classes=2"
            + "&domain2class2name=default&domain2class2mindevcount=2&domain2class1name=default&domain1class1mindevcount=3&domains=2\\r\\n";
        Assert.Contains("record", Line(expected, moved, "get_domains"));
    }

    [Fact]
    public void Get_hosts_get_devices_and_server_settings_records()
    {
        Assert.Null(Line("OK host1_hostname=h2&host1_hostid=2&host2_hostname=h1&host2_hostid=1&hosts=2\\r\\n",
            "OK host1_hostname=h1&host1_hostid=1&host2_hostname=h2&host2_hostid=2&hosts=2\\r\\n", "get_hosts"));
        Assert.Contains("missing record(s)", Line("OK host1_hostname=h2&host1_hostid=1&hosts=1\\r\\n",
            "OK host1_hostname=h2&host1_hostid=2&hosts=1\\r\\n", "get_hosts"));
        Assert.Null(Line("OK dev1_devid=3&dev1_mb_used=10&dev2_devid=1&dev2_mb_used=11&devices=2\\r\\n",
            "OK dev2_devid=3&dev2_mb_used=99&dev1_devid=1&dev1_mb_used=98&devices=2\\r\\n", "get_devices",
            keys: ["dev1_mb_used", "dev2_mb_used"]));
        Assert.Null(Line("OK key_1=a&value_1=1&key_2=b&value_2=2&key_count=2\\r\\n",
            "OK key_2=a&value_2=1&key_1=b&value_1=2&key_count=2\\r\\n", "server_settings"));
        Assert.NotNull(Line("OK key_1=a&value_1=1&key_2=b&value_2=2&key_count=2\\r\\n",
            "OK key_1=a&value_1=2&key_2=b&value_2=1&key_count=2\\r\\n", "server_settings"));
    }

    [Fact]
    public void Err_lines_are_byte_for_byte_after_regex_masks()
    {
        Assert.Null(Line("ERR no_domain No+domain+provided\\r\\n", "ERR no_domain No+domain+provided\\r\\n"));
        Assert.NotNull(Line("ERR no_domain No+domain+provided \\r\\n", "ERR no_domain No+domain+provided\\r\\n"));
        Assert.Contains("status", Line("ERR no_domain No+domain+provided\\r\\n", "ERR no_key No+domain+provided\\r\\n"));
        string[] res = ["http://127\\.0\\.2\\.[12]:27500/dev\\d+/", "(?<=error: ).*(?=\\\\r\\\\n)"];
        Assert.Null(Line("ERR size_verify_error path:+http://127.0.2.1:27500/dev1/0/1.fid%3B+error:+Crashed+at+X.%0A\\r\\n",
            "ERR size_verify_error path:+http://127.0.2.2:27500/dev3/0/1.fid%3B+error:+\\r\\n", res: res));
        Assert.NotNull(Line("ERR size_verify_error path:+http://127.0.2.1:27500/dev1/0/1.fid%3B+error:+x\\r\\n",
            "ERR size_verify_error path:+http://127.0.2.2:27500/dev3/0/2.fid%3B+error:+x\\r\\n", res: res));
    }

    [Fact]
    public void A_perl_location_mask_makes_the_location_and_its_newline_optional()
    {
        string[] res = [ReplyComparer.PerlLocationPattern];
        const string err = "ERR invalid_format Unknown+format+at+/REDACTED/lib/MogileFS/Config.pm+line+344.%0A\\r\\n";
        Assert.Null(Line(err, "ERR invalid_format Unknown+format\\r\\n", res: res));
        Assert.Null(Line(err, "ERR invalid_format Unknown+format+at+/x/y.pm+line+1.%0A\\r\\n", res: res));
        Assert.Null(Line(err, "ERR invalid_format Unknown+format%0A\\r\\n", res: res)); // the newline alone is optional too
        // The sentence before the location must still be byte-identical, and the code must match.
        Assert.NotNull(Line(err, "ERR invalid_format Unknown+formats\\r\\n", res: res));
        Assert.NotNull(Line(err, "ERR invalid_format Unknown\\r\\n", res: res));
        Assert.Contains("status", Line(err, "ERR bad_format Unknown+format\\r\\n", res: res));
        // Without the mask nothing is optional.
        Assert.NotNull(Line("ERR invalid_format Unknown+format%0A\\r\\n", "ERR invalid_format Unknown+format\\r\\n"));
        // !watch lines (not encoded), together with another mask.
        string[] watch = [@"(?<=queryworker\()\d+", ReplyComparer.PerlLocationPattern];
        const string w = ":: [queryworker(2709)] Error running command 'test': Crashed on purpose at /REDACTED/lib/MogileFS/Worker/Query.pm line 186.\\r\\n";
        Assert.Null(Line(w, ":: [queryworker(77)] Error running command 'test': Crashed on purpose\\r\\n", res: watch));
        Assert.NotNull(Line(w, ":: [queryworker(77)] Error running command 'test': Crashed\\r\\n", res: watch));
        Assert.NotNull(Line(w, ":: [monitor(77)] Error running command 'test': Crashed on purpose\\r\\n", res: watch));
    }

    [Fact]
    public void A_mask_over_the_whole_line_still_requires_the_same_outcome()
    {
        Assert.Null(Line("OK value_1=17&key_count=1&key_1=schema_version\\r\\n", "OK key_count=3&x=y\\r\\n", "server_settings", res: [".*"]));
        Assert.Contains("status", Line("OK value_1=17\\r\\n", "ERR failure Operation+failed\\r\\n", "server_settings", res: [".*"]));
    }

    [Fact]
    public void Admin_blocks()
    {
        string[] stats = ["uptime 117\\r\\n", "queries 420\\r\\n", ".\\r\\n"];
        Assert.Null(ReplyComparer.CompareBlock(stats, ["uptime 3\\r\\n", "queries 5\\r\\n", ".\\r\\n"], ["\\d+"]));
        Assert.Contains("lines", ReplyComparer.CompareBlock(stats, ["uptime 3\\r\\n", ".\\r\\n"], ["\\d+"]));
        Assert.Contains("line 2", ReplyComparer.CompareBlock(stats, ["uptime 3\\r\\n", "querys 5\\r\\n", ".\\r\\n"], ["\\d+"]));
        // The rebalance queue's counters appear when background rebalance work was sent: not compared
        // unless the capture has them.
        Assert.Null(ReplyComparer.CompareBlock(stats, ["uptime 3\\r\\n", "queries 5\\r\\n", "work_sent_to_rebalance 1\\r\\n", ".\\r\\n"], ["\\d+"]));
        Assert.NotNull(ReplyComparer.CompareBlock(stats, ["uptime 3\\r\\n", "queries 5\\r\\n", "work_sent_to_replicate 1\\r\\n", ".\\r\\n"], ["\\d+"]));
        // A block masked entirely ('!recent' with '.*') may have any number of lines.
        string[] recent = ["127.0.0.1 noop 0.1 0.1\\r\\n", "127.0.0.1 noop 0.1 0.1\\r\\n", ".\\r\\n"];
        Assert.Null(ReplyComparer.CompareBlock(recent, ["a\\r\\n", ".\\r\\n"], [".*"]));
        // Help text: bare LF lines are not CRLF lines.
        Assert.NotNull(ReplyComparer.CompareBlock(["help\\n", ".\\r\\n"], ["help\\r\\n", ".\\r\\n"], []));
    }
}
