using System.Buffers;
using System.Text;
using MogileFS.Core.Protocol;

namespace MogileFS.Tracker.Tests.Core;

/// <summary>Argument decoder, reply encoder and line framing against the exact bytes of T01/T01a/T02.</summary>
public sealed class CodecTests
{
    private static string Echo(string argString)
    {
        // What clear_cache answers: every decoded argument re-encoded.
        var a = RequestArgs.Parse(Encoding.Latin1.GetBytes(argString));
        var r = new ReplyBuilder();
        for (int i = 0; i < a.Count; i++) r.Add(a[i].Name, a[i].Value);
        return r.ToWireString();
    }

    [Theory]
    [InlineData("a=1", "OK a=1\r\n")]
    [InlineData("k+1=v+1&k%2b2=%2a%2F%3d%26%25", "OK k+1=v+1&k%2B2=%2A/%3D%26%25\r\n")]
    [InlineData("u=http%3A%2F%2Fh%3A1%2Fa%5Cb%2Cc", "OK u=http://h:1/a\\b,c\r\n")]
    [InlineData("bad=%zz%4", "OK bad=%25zz%254\r\n")]
    [InlineData("flag", "OK flag=\r\n")]
    [InlineData("=v", "OK =v\r\n")]
    [InlineData("a=b=c", "OK a=b\r\n")]
    [InlineData("&&x=1&&0&y=2&", "OK x=1&y=2\r\n")]
    [InlineData("d=1&d=2&d=3", "OK d=1%002%003\r\n")]
    [InlineData("z=0&z=5&e=&e=7", "OK z=05&e=7\r\n")]
    [InlineData("n=%C3%A9t%C3%A9", "OK n=%C3%A9t%C3%A9\r\n")]
    [InlineData("r=\u00c3\u00a9", "OK r=%C3%A9\r\n")] // raw bytes C3 A9
    [InlineData("", "OK \r\n")]
    [InlineData("%252F=x", "OK %252F=x\r\n")] // decoded once: %25 2F -> "%2F", re-encoded "%252F"
    [InlineData("t=%4", "OK t=%254\r\n")]
    public void Transcript02_decode_then_encode(string args, string expected) => Assert.Equal(expected, Echo(args));

    [Fact]
    public void Repeated_names_merge_with_nul_only_after_a_true_value()
    {
        var a = RequestArgs.Parse("d=1&d=2&z=0&z=5&e=&e=7&o=00&o=1");
        Assert.Equal("1\u00002", a.Get("d"));
        Assert.Equal("05", a.Get("z"));
        Assert.Equal("7", a.Get("e"));
        Assert.Equal("00\u00001", a.Get("o"));
    }

    [Fact]
    public void Has_get_and_missing()
    {
        var a = RequestArgs.Parse("callid&x=&domain=d");
        Assert.True(a.Has("callid"));
        Assert.Equal("", a.Get("callid"));
        Assert.Null(a.Get("nope"));
        Assert.False(a.HasValue("x"));
        Assert.True(a.HasValue("domain"));
        Assert.False(a.IsTrue("x"));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("0", false)]
    [InlineData("00", true)]
    [InlineData("0.0", true)]
    [InlineData(" 0", true)]
    [InlineData("abc", true)]
    public void Perl_truthiness(string? v, bool expected) => Assert.Equal(expected, Perl.IsTrue(v));

    [Theory]
    [InlineData("4xyz", 4)]
    [InlineData("abc", 0)]
    [InlineData("1e3", 1000)]
    [InlineData("  -2.5e1x", -25)]
    [InlineData("+7", 7)]
    [InlineData(".5", 0.5)]
    [InlineData("5.", 5)]
    [InlineData("1e", 1)]
    [InlineData("", 0)]
    [InlineData("-", 0)]
    [InlineData("0x10", 0)]
    public void Perl_numify(string v, double expected) => Assert.Equal(expected, Perl.Numify(v));

    [Theory]
    [InlineData("2.9", 2)]
    [InlineData("-2.9", -2)]
    [InlineData("x", 0)]
    public void Perl_int_truncates(string v, double expected) => Assert.Equal(expected, Perl.Int(v));

    [Theory]
    [InlineData(4, "4")]
    [InlineData(1.5, "1.5")]
    [InlineData(1e20, "1e+20")]
    [InlineData(-3, "-3")]
    public void Perl_number_formatting(double d, string expected) => Assert.Equal(expected, Perl.FormatNumber(d));

    [Fact]
    public void Eurl_escapes_exactly_the_spec_set()
    {
        var all = new StringBuilder();
        for (int b = 0; b < 256; b++) all.Append((char)b);
        var enc = Eurl.Encode(all.ToString());
        foreach (var c in "ABCXYZabcxyz0189_,-./\\:") Assert.Contains(c, enc);
        Assert.Contains("%00", enc);
        Assert.Contains("%0A", enc);
        Assert.Contains("%2B", enc); // '+'
        Assert.Contains("%25", enc); // '%'
        Assert.Contains("%FF", enc);
        Assert.Equal("a+b", Eurl.Encode("a b"));
        Assert.Equal("%28%29%26%3D", Eurl.Encode("()&="));
        Assert.Equal(256 - 69 - 1, enc.Count(c => c == '%')); // 62 alphanumerics + 7 marks and the space are not %-escaped
    }

    /// <summary>list_keys writes keys from their bytes (no string per key): the same wire bytes as from a byte string.</summary>
    [Theory]
    [InlineData("plain/key")]
    [InlineData("")]
    [InlineData("a b&c=d%e+f")]
    [InlineData("\u00ff\u00fe\u0000\u0001\u007f")]
    [InlineData("\u00c3\u00a9t\u00c3\u00a9/\u00e2\u0098\u0083")]
    public void Byte_span_values_encode_like_byte_strings(string key)
    {
        var fromString = new ReplyBuilder().Add("key_count", 1).Add("key_", 1, "", key).ToWireString("7");
        var fromBytes = new ReplyBuilder().Add("key_count", 1).Add("key_", 1, "", Encoding.Latin1.GetBytes(key).AsSpan()).ToWireString("7");
        Assert.Equal(fromString, fromBytes);
    }

    [Fact]
    public void Ok_reply_with_no_pairs_has_the_trailing_space()
    {
        Assert.Equal("OK \r\n", new ReplyBuilder().ToWireString());
    }

    [Theory]
    [InlineData("abc", "OK callid=abc\r\n")]
    [InlineData("", "OK callid=\r\n")]
    [InlineData("0", "OK callid=0\r\n")]
    [InlineData("a b&c", "OK callid=a+b%26c\r\n")]
    public void Callid_on_ok(string callid, string expected) => Assert.Equal(expected, new ReplyBuilder().ToWireString(callid));

    [Theory]
    [InlineData("42", "ERR unreg_domain Domain+name+invalid/not+found 42\r\n")]
    [InlineData("", "ERR unreg_domain Domain+name+invalid/not+found \r\n")]
    [InlineData(null, "ERR unreg_domain Domain+name+invalid/not+found\r\n")]
    public void Callid_on_err(string? callid, string expected)
    {
        var r = new ReplyBuilder();
        r.Error("unreg_domain");
        Assert.Equal(expected, r.ToWireString(callid));
    }

    [Theory]
    [InlineData("domain_has_classes", null, "ERR domain_has_classes domain_has_classes\r\n")]
    [InlineData("bad_params", null, "ERR bad_params Invalid+parameters+to+command%3B+please+see+documentation\r\n")]
    [InlineData("host_mismatch", null, "ERR host_mismatch The+device+specified+doesn%27t+belong+to+the+host+specified\r\n")]
    [InlineData("none_match", null, "ERR none_match No+keys+match+that+pattern+and+after-value+%28if+any%29.\r\n")]
    [InlineData("bad_args", "No hostid/hostname parameter", "ERR bad_args No+hostid/hostname+parameter\r\n")]
    public void Error_texts(string code, string? message, string expected)
    {
        var w = new ArrayBufferWriter<byte>();
        ReplyBuilder.WriteError(w, code, message, null);
        Assert.Equal(expected, Encoding.Latin1.GetString(w.WrittenSpan));
    }

    [Fact]
    public void Numbered_keys()
    {
        var r = new ReplyBuilder();
        r.Add("dev", 3, "_devid", 7).Add("key_", 1, "", "k");
        r.StartKey().KeyPart("domain").KeyPart(1).KeyPart("class").KeyPart(2).KeyPart("name").Value("c1");
        Assert.Equal("OK dev3_devid=7&key_1=k&domain1class2name=c1\r\n", r.ToWireString());
    }

    [Theory]
    [InlineData("noop", true, "noop", "")]
    [InlineData("noop ", true, "noop", "")]
    [InlineData("   NoOp\tcallid=t", true, "NoOp", "callid=t")]
    [InlineData("noopx=1", true, "noopx", "=1")]
    [InlineData(" ", false, "", "")]
    [InlineData("@@@", false, "", "")]
    [InlineData("!", false, "", "")]
    [InlineData("123-456 noop", true, "123", "-456 noop")]
    [InlineData("get_paths domain=a b&key=c ", true, "get_paths", "domain=a b&key=c ")]
    public void Query_dispatch(string line, bool ok, string cmd, string args)
    {
        Assert.Equal(ok, RequestLine.TryParseQuery(Encoding.Latin1.GetBytes(line), out var c, out var a));
        if (!ok) return;
        Assert.Equal(cmd, Encoding.Latin1.GetString(c));
        Assert.Equal(args, Encoding.Latin1.GetString(a));
    }

    [Theory]
    [InlineData("!stats", true, "stats", "")]
    [InlineData("!want 2 monitor", true, "want", "2 monitor")]
    [InlineData("!want   x  ", true, "want", "x  ")]
    [InlineData("!stats ", false, "", "")]
    [InlineData("!stats  ", true, "stats", " ")]
    [InlineData("!", false, "", "")]
    [InlineData("! stats", false, "", "")]
    [InlineData("noop", false, "", "")]
    public void Admin_syntax(string line, bool ok, string word, string args)
    {
        Assert.Equal(ok, RequestLine.TryParseAdmin(Encoding.Latin1.GetBytes(line), out var w, out var a));
        if (!ok) return;
        Assert.Equal(word, Encoding.Latin1.GetString(w));
        Assert.Equal(args, Encoding.Latin1.GetString(a));
    }

    [Fact]
    public void Framing_removes_one_cr_before_lf_only()
    {
        Assert.True(RequestLine.TryReadLine("noop\r\r\nx"u8, out var line, out int consumed));
        Assert.Equal("noop\r", Encoding.Latin1.GetString(line));
        Assert.Equal(7, consumed);
        Assert.False(RequestLine.TryReadLine("noop"u8, out _, out _));
        Assert.True(RequestLine.TryReadLine("\n"u8, out line, out consumed));
        Assert.Equal(0, line.Length);
    }

    [Fact]
    public void Byte_strings_round_trip_any_bytes()
    {
        var bytes = new byte[256];
        for (int i = 0; i < 256; i++) bytes[i] = (byte)i;
        var s = ByteString.FromBytes(bytes);
        Assert.Equal(bytes, ByteString.ToBytes(s));
        Assert.Equal("caf\u00c3\u00a9", ByteString.FromText("café"));
        Assert.Equal("café", ByteString.TryToText("caf\u00c3\u00a9"));
        Assert.Null(ByteString.TryToText("\u00ff\u00fe"));
    }
}
