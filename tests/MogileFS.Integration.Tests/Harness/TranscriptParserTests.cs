using MogileFS.Integration.Tests.Transcripts;
using MogileFS.TestSupport.Transcripts;

namespace MogileFS.Integration.Tests.Harness;

public class TranscriptParserTests
{
    private static Transcript Load(string file) =>
        TranscriptParser.ParseFile(Path.Combine(TranscriptPlan.Directory, file));

    public static IEnumerable<object[]> AllFiles() =>
        Directory.GetFiles(TranscriptPlan.Directory, "*.txt").Order().Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Every_file_parses_and_every_request_gets_its_reply_or_an_explicit_end(string file)
    {
        var t = Load(file);
        Assert.NotEmpty(t.Title);
        var sends = t.Steps.OfType<SendStep>().SelectMany(s => s.Requests).ToList();
        Assert.NotEmpty(sends);
        var replies = t.Steps.OfType<ExpectStep>().Where(e => e.Kind != ReplyKind.Watch).ToList();
        int expectingReply = sends.Count(r => !r.ExpectsNoReply);
        // Only !shutdown (file 26) goes unanswered: the server closes the connection instead.
        int unanswered = t.Steps.OfType<ExpectCloseStep>().Count();
        Assert.Equal(expectingReply, replies.Count + unanswered);
        Assert.All(replies, r => Assert.NotNull(r.Request));
    }

    [Fact]
    public void Every_file_of_the_plan_exists_and_every_file_is_in_the_plan()
    {
        var files = AllFiles().Select(o => (string)o[0]).ToHashSet();
        var planned = TranscriptPlan.Entries.Select(e => e.File).ToHashSet();
        Assert.Equal(files.Order(), planned.Order());
    }

    [Fact]
    public void Header_request_reply_and_escapes()
    {
        var t = Load("01-framing-basics.txt");
        Assert.Equal("Framing, dispatch, pipelining, callid", t.Title);
        Assert.Contains(t.Description, d => d.StartsWith("Preconditions", StringComparison.Ordinal));
        var first = Assert.IsType<SendStep>(t.Steps[0]);
        Assert.Equal("noop\\r\\n", first.Requests[0].Text);
        Assert.Equal(8, first.Line);
        var reply = Assert.IsType<ExpectStep>(t.Steps[1]);
        Assert.Equal("OK \\r\\n", reply.Lines[0]);
        Assert.Equal(ReplyKind.Query, reply.Kind);
        Assert.Equal("noop", reply.Request!.Command);
        Assert.Equal("OK \r\n"u8.ToArray(), TranscriptText.Unescape(reply.Lines[0]));
    }

    [Fact]
    public void Empty_line_expects_no_reply_and_silence_is_a_step()
    {
        var t = Load("01-framing-basics.txt");
        var empty = t.Steps.OfType<SendStep>().Single(s => s.Requests[0].Text == "\\r\\n");
        Assert.True(empty.Requests[0].ExpectsNoReply);
        int i = t.Steps.ToList().IndexOf(empty);
        var silence = Assert.IsType<ExpectSilenceStep>(t.Steps[i + 1]);
        Assert.Equal(TimeSpan.FromSeconds(1), silence.Duration);
    }

    [Fact]
    public void Write_directive_groups_the_next_lines_into_one_send()
    {
        var t = Load("01-framing-basics.txt");
        var group = t.Steps.OfType<SendStep>().Single(s => s.Requests.Count > 1);
        Assert.Equal(["noop callid=1\\r\\n", "noop callid=2\\r\\n", "bogus_cmd callid=3\\r\\n"], group.Requests.Select(r => r.Text));
        var replies = t.Steps.SkipWhile(s => s != group).Skip(1).Take(3).Cast<ExpectStep>().ToList();
        Assert.Equal(["noop", "noop", "bogus_cmd"], replies.Select(r => r.Request!.Command));
    }

    [Fact]
    public void Admin_replies_are_blocks_and_vary_re_applies_to_the_whole_block()
    {
        var t = Load("24-admin-commands.txt");
        var blocks = t.Steps.OfType<ExpectStep>().Where(e => e.Kind == ReplyKind.AdminBlock).ToList();
        Assert.All(blocks, b => Assert.Equal(".\\r\\n", b.Lines[^1]));
        var help = blocks.First(b => b.Request!.Text == "!help\\r\\n");
        Assert.Equal(20, help.Lines.Count);
        Assert.Equal("Mogilefsd admin commands:\\n", help.Lines[0]);
        var stats = blocks.Where(b => b.Request!.Text == "!stats\\r\\n").ToList();
        Assert.Equal(["\\d+"], stats[0].VaryRegexes);
        Assert.Equal(4, stats[1].VaryRegexes.Count);
        Assert.Equal(" at .* line \\d+\\.", Load("18-server-settings.txt").Steps.OfType<ExpectStep>()
            .First(e => e.VaryRegexes.Count > 0 && e.Lines[0].StartsWith("ERR invalid_format", StringComparison.Ordinal)).VaryRegexes[0]);
    }

    [Fact]
    public void Connections_are_tracked_per_name_and_replies_pair_with_their_own_connection()
    {
        var t = Load("24-admin-commands.txt");
        Assert.Equal(["A", "B1", "B2", "B3", "W"], t.Steps.OfType<ConnectStep>().Select(c => c.Connection));
        var late = t.Steps.OfType<ExpectStep>().Where(e => e.Connection is "B1" or "W").ToList();
        Assert.Equal("sleep duration=3\\r\\n", late[0].Request!.Text);
        Assert.Equal("noop callid=waiting\\r\\n", late[1].Request!.Text);
        Assert.Equal(5, t.Steps.OfType<CloseStep>().Count());
    }

    [Fact]
    public void Watch_lines_are_out_of_band_steps()
    {
        var t = Load("25-admin-watch.txt");
        var watch = Assert.Single(t.Steps.OfType<ExpectStep>(), e => e.Kind == ReplyKind.Watch);
        Assert.Equal("A", watch.Connection);
        Assert.Equal(2, watch.VaryRegexes.Count);
        Assert.Null(watch.Request);
    }

    [Fact]
    public void Labels_http_storage_wait_and_expect_close_are_parsed()
    {
        var t8 = Load("08-create-close.txt");
        var labelled = t8.Steps.OfType<ExpectStep>().First(e => e.Label == "R1");
        Assert.Equal(["dev_count", "devid_*", "path_*"], labelled.VaryKeys);
        var http = t8.Steps.OfType<HttpStep>().First();
        Assert.Equal(("PUT", "R1", "path_1", 200), (http.Method, http.Label, http.Key, http.ExpectedStatus));
        Assert.Equal("hello world"u8.ToArray(), http.Body);
        Assert.Contains(t8.Steps.OfType<HttpStep>(), h => h.Body.Length == 0);

        var storage = Load("09-get-paths.txt").Steps.OfType<StorageStep>().Single();
        Assert.Equal((1022L, "broken"), (storage.Fid, storage.Key));
        Assert.Equal(new DevCountAtLeast("file1", 2), Load("09-get-paths.txt").Steps.OfType<WaitStep>().Single().Condition);
        var waits21 = Load("21-fsck.txt").Steps.OfType<WaitStep>().Select(w => w.Condition).ToList();
        Assert.Equal([new ServerSettingCleared("fsck_host"), new FsckLogged()], waits21);
        Assert.Equal(new ServerSettingCleared("rebal_host"), Load("22-rebalance.txt").Steps.OfType<WaitStep>().Single().Condition);
        Assert.IsType<ExpectCloseStep>(Load("26-admin-shutdown.txt").Steps[^1]);
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void Every_vary_re_masks_something_in_its_expected_lines(string file)
    {
        foreach (var e in Load(file).Steps.OfType<ExpectStep>())
            foreach (var pattern in ReplyComparer.EffectivePatterns(e.Lines, e.VaryRegexes))
                Assert.True(e.Lines.Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, pattern)),
                    $"{file}:{e.Line}: vary-re '{pattern}' matches none of {string.Join("", e.Lines)}");
    }

    [Fact]
    public void Every_subst_form_of_the_files_is_understood()
    {
        var all = AllFiles().Select(o => Load((string)o[0])).SelectMany(t => t.Steps.OfType<SendStep>())
            .SelectMany(s => s.Requests).Where(r => r.Substitution != null).Select(r => r.Substitution!).ToList();
        Assert.Equal(31, all.Count);
        var kinds = all.SelectMany(s => s.Clauses).Select(c => c.GetType().Name).ToHashSet();
        Assert.Equal(
            new[] { nameof(CopyValue), nameof(HostDeviceFrom), nameof(HostDeviceSameAsAbove), nameof(CopyPairsInReplyOrder),
                nameof(DeviceAndPathOnOtherHost), nameof(OtherDeviceOnSameHost), nameof(DeviceOnOtherHost) }.Order(),
            kinds.Order());
        var inserted = all.SelectMany(s => s.Clauses).OfType<CopyValue>().Single(c => c.Insert != null);
        Assert.Equal(("path", "x", "http://"), (inserted.Argument, inserted.Insert, inserted.InsertAfter));
    }

    [Theory]
    [InlineData("#~ frobnicate: x", "unknown directive")]
    [InlineData("#~ subst: devid from somewhere", "Unsupported subst form")]
    [InlineData("#~ wait: until the moon is full", "unsupported wait directive")]
    [InlineData("< OK \\q\\r\\n", "Unknown escape")]
    [InlineData("< OK ", "terminator")]
    [InlineData("just text", "neither")]
    public void Malformed_lines_are_rejected_with_file_and_line(string badLine, string message)
    {
        string content = "# Title\n# desc\n\n> noop\\r\\n\n" + badLine + "\n";
        var e = Assert.Throws<TranscriptFormatException>(() => TranscriptParser.Parse("bad.txt", content));
        Assert.Equal(5, e.LineNumber);
        Assert.StartsWith("bad.txt:5:", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Escape_and_unescape_round_trip_every_byte()
    {
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        string text = TranscriptText.Escape(bytes);
        Assert.Equal(bytes, TranscriptText.Unescape(text));
        Assert.Equal("r=\\xc3\\xa9\\r\\n", TranscriptText.Escape([(byte)'r', (byte)'=', 0xC3, 0xA9, 13, 10]));
        Assert.Equal("a\\\\b", TranscriptText.Escape("a\\b"u8));
    }

    [Fact]
    public void Reply_encoding_matches_the_protocol()
    {
        Assert.Equal("sp+ace/%C3%A9", TranscriptText.EncodeValue("sp ace/\u00e9"));
        Assert.Equal("http://h:1/a\\b,c", TranscriptText.EncodeValue("http://h:1/a\\b,c"));
        Assert.Equal("%26%3D%25%2B", TranscriptText.EncodeValue("&=%+"));
        Assert.Equal("sp ace/\u00e9", TranscriptText.DecodeValue("sp+ace/%C3%A9"));
    }
}
