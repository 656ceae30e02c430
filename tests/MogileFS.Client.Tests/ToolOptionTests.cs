using MogileFS.Hosting;
using MogileFS.Tools.Common;

namespace MogileFS.Client.Tests;

/// <summary>The tools' flags (GetoptConfig.Tools, as MogileFS::Utils and mogadm read them): the
/// exact problem texts, the first of which ends parsing, and how values are taken.</summary>
public sealed class ToolOptionTests
{
    private static readonly string[] Specs = ["key=s", "count=i", "fid=i", "policy-only", "help", "conf=s", "config=s"];

    private static GetoptLong.Result Parse(params string[] args) => new GetoptLong(GetoptConfig.Tools, Specs).Parse(args);

    [Theory]
    [InlineData("--bogus", "Unknown option: bogus")]
    [InlineData("--Bogus=1", "Unknown option: Bogus")]
    [InlineData("--co=x", "Option co is ambiguous")]
    [InlineData("--help=1", "Option help does not take an argument")]
    [InlineData("--key", "Option key requires an argument")]
    [InlineData("--count=abc", "Value \"abc\" invalid for option count (number expected)")]
    [InlineData("--count=", "Value \"\" invalid for option count (number expected)")]
    [InlineData("--count=99999999999999999999", "Value \"99999999999999999999\" invalid for option count (number expected)")]
    public void Problems_read_as_before(string arg, string error)
    {
        var r = Parse(arg, "--also-unknown");
        Assert.Equal(error, r.Error);
        Assert.Single(r.Warnings);
    }

    [Fact]
    public void A_value_is_not_taken_from_a_following_option()
    {
        Assert.Equal("Option key requires an argument", Parse("--key", "--help").Error);
        Assert.Equal("Option count requires an argument", Parse("--count", "x").Error);
        var r = Parse("--key", "-x", "--count", "+5", "--KEY=", "--conf", "/c");
        Assert.Null(r.Error);
        Assert.Equal("", r.Last("key"));
        Assert.Equal("+5", r.Last("count")); // kept as written
        Assert.Equal("/c", r.Last("conf"));
    }

    [Fact]
    public void Require_order_and_pass_through_leave_the_rest_to_the_caller()
    {
        var r = new GetoptLong(GetoptConfig.Tools with { RequireOrder = true, PassThrough = true }, Specs)
            .Parse(["--conf=/c", "--unknown", "host", "add", "--key=x"]);
        Assert.Null(r.Error);
        Assert.Equal(["--unknown", "host", "add", "--key=x"], r.Arguments);
        Assert.Equal("/c", r.Last("conf"));
    }

    [Fact]
    public void Utils_usage_texts()
    {
        var e = Assert.Throws<UsageException>(() => UtilsOptions.Parse("mogfetch", ["--key=k", "--bogus"], "--key=<key> --file=<file>", "key=s", "file=s"));
        Assert.Equal("Unknown option: bogus\nUsage: mogfetch --key=<key> --file=<file>\n", e.Message);
        e = Assert.Throws<UsageException>(() => UtilsOptions.Parse("mogfetch", ["--key=k", "stray"], "--key=<key>", "key=s"));
        Assert.Equal("Unexpected argument: stray\nUsage: mogfetch --key=<key>\n", e.Message);
    }
}
