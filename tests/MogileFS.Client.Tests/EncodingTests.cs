using System.Text;
using MogileFS.Client;
using MogileFS.Client.Protocol;

namespace MogileFS.Client.Tests;

public class EncodingTests
{
    [Fact]
    public void Escape_keeps_only_the_protocol_literals()
    {
        Assert.Equal("a/b:c.d-e_f,g\\h", TrackerEncoding.Escape("a/b:c.d-e_f,g\\h"));
        Assert.Equal("a+b%2B%26%3D%25", TrackerEncoding.Escape("a b+&=%"));
        Assert.Equal("%C3%A9%0A%00", TrackerEncoding.Escape("é\n\0"));
    }

    [Fact]
    public void Request_line_leaves_out_null_values_and_keeps_the_space_after_the_command()
    {
        var line = Encoding.ASCII.GetString(TrackerEncoding.BuildRequest("get_paths",
            [new("domain", "d"), new("zone", null), new("key", "x y")]));
        Assert.Equal("get_paths domain=d&key=x+y\r\n", line);
        Assert.Equal("noop \r\n", Encoding.ASCII.GetString(TrackerEncoding.BuildRequest("noop", [])));
    }

    [Fact]
    public void Ok_reply_pairs_are_decoded_plus_before_percent()
    {
        var r = TrackerEncoding.ParseReply("OK key=a%2Bb+c&path=http://x:1/dev1/0.fid&empty=&flag\r"u8, "x", "t");
        Assert.Equal("a+b c", r["key"]);
        Assert.Equal("http://x:1/dev1/0.fid", r["path"]);
        Assert.Equal("", r["empty"]);
        Assert.Equal("", r["flag"]);
        Assert.Empty(TrackerEncoding.ParseReply("OK "u8, "x", "t"));
    }

    [Fact]
    public void Err_reply_becomes_an_exception_with_code_and_decoded_message()
    {
        var e = Assert.Throws<MogileFSTrackerException>(() =>
            TrackerEncoding.ParseReply("ERR unknown_key unknown_key\r"u8, "get_paths", "t:1"));
        Assert.Equal("unknown_key", e.ErrorCode);
        Assert.Equal("unknown_key unknown_key", e.Message);
        e = Assert.Throws<MogileFSTrackerException>(() =>
            TrackerEncoding.ParseReply("ERR key_exists Target+key+name+already+exists%3B+can%27t+overwrite. 42"u8, "rename", "t:1"));
        Assert.Equal("Target key name already exists; can't overwrite.", e.TrackerMessage);
    }

    [Fact]
    public void Garbage_reply_is_a_protocol_error()
    {
        Assert.Throws<MogileFSProtocolException>(() => TrackerEncoding.ParseReply("HTTP/1.0 400 Bad"u8, "noop", "t"));
        Assert.Throws<MogileFSProtocolException>(() => TrackerEncoding.ParseReply("OKAY"u8, "noop", "t"));
    }

    [Theory]
    [InlineData("t1", "t1", 7001)]
    [InlineData("t1:7002", "t1", 7002)]
    [InlineData("127.0.0.1:1", "127.0.0.1", 1)]
    [InlineData("[::1]:7003", "::1", 7003)]
    public void Tracker_addresses(string text, string host, int port)
    {
        var e = Tracker.TrackerEndpoint.Parse(text);
        Assert.Equal(host, e.Host);
        Assert.Equal(port, e.Port);
    }

    [Fact]
    public void Bad_tracker_address_is_rejected()
    {
        Assert.Throws<FormatException>(() => Tracker.TrackerEndpoint.Parse("h:99999"));
        Assert.Throws<FormatException>(() => Tracker.TrackerEndpoint.Parse(":7001"));
    }
}
