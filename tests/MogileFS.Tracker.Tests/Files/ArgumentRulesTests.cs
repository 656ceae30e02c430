using MogileFS.Core.Model;
using MogileFS.Tracker.Commands.Files;
using MogileFS.Tracker.Commands.Rebalance;
using MogileFS.Tracker.Policies;

namespace MogileFS.Tracker.Tests.Files;

public class ArgumentRulesTests
{
    [Theory]
    [InlineData("MD5:5eb63bbbe01eeed093cb22bb8f5acdc3", true)]
    [InlineData("MD5:5EB63BBBE01EEED093CB22BB8F5ACDC3", true)]
    [InlineData("SHA-1:2aae6c35c94fcfb415dbe95f408b9ce91ee846ed", true)]
    [InlineData("MD5:abc", false)]                                   // T08
    [InlineData("md5:5eb63bbbe01eeed093cb22bb8f5acdc3", false)]      // T08: name is case-sensitive
    [InlineData("MD5:5eb63bbbe01eeed093cb22bb8f5acdc3a", false)]     // 33 digits
    [InlineData("SHA-1:5eb63bbbe01eeed093cb22bb8f5acdc3", false)]    // MD5 length for SHA-1
    [InlineData("SHA-256:5eb63bbbe01eeed093cb22bb8f5acdc35eb63bbbe01eeed093cb22bb8f5acdc3", false)]
    [InlineData("MD5:5eb63bbbe01eeed093cb22bb8f5acdcz", false)]
    [InlineData(":5eb63bbbe01eeed093cb22bb8f5acdc3", false)]
    [InlineData("MD5:5eb63bbbe01eeed093cb22bb8f5acdc3\n", false)]
    [InlineData("M D5:5eb63bbbe01eeed093cb22bb8f5acdc3", false)]
    public void Checksum_format(string s, bool ok)
    {
        Assert.Equal(ok, FileChecksum.TryParse(s, out var c));
        if (ok) Assert.Equal(s.ToLowerInvariant().Replace("md5", "MD5").Replace("sha-1", "SHA-1"), c!.Info);
    }

    [Fact]
    public void Checksum_debug_string_matches_2_73()
    {
        Assert.True(FileChecksum.TryParse("MD5:00000000000000000000000000000000", out var c));
        Assert.Equal("Checksum[f=1009;MD5=00000000000000000000000000000000]", c!.DebugString("1009"));
        Assert.Equal(HashType.MD5, c.Type);
        Assert.Equal(16, c.Digest.Length);
        Assert.Equal(1, (int)HashType.MD5);   // stored values never change
        Assert.Equal(2, (int)HashType.SHA1);
    }

    [Theory]
    // T12
    [InlineData("list/", "zzz", ListKeysRules.AfterCheck.Mismatch)]
    [InlineData("list/", "list/b", ListKeysRules.AfterCheck.Ok)]
    [InlineData("l.st/", "list/a", ListKeysRules.AfterCheck.Ok)]       // regex quirk
    [InlineData("a(", "a(b", ListKeysRules.AfterCheck.Failure)]        // invalid regex
    [InlineData("a(", "", ListKeysRules.AfterCheck.Ok)]
    [InlineData("a(", "0", ListKeysRules.AfterCheck.Ok)]               // after not truthy
    [InlineData("", "anything", ListKeysRules.AfterCheck.Ok)]
    [InlineData(null, "anything", ListKeysRules.AfterCheck.Ok)]
    [InlineData("List/", "list/a", ListKeysRules.AfterCheck.Mismatch)] // Perl regex is case-sensitive
    public void After_must_match_prefix(string? prefix, string? after, ListKeysRules.AfterCheck expected)
        => Assert.Equal(expected, ListKeysRules.CheckAfter(prefix, after));

    [Theory]
    [InlineData(null, 1000)]
    [InlineData("", 1000)]
    [InlineData("0", 1000)]
    [InlineData("2", 2)]
    [InlineData("5000", 1000)]
    [InlineData("abc", 0)]
    [InlineData("7xyz", 7)]
    [InlineData("-1", 1000)]
    [InlineData("2.9", null)]    // 2.73: LIMIT 2.9 in its SQL, refused by the database: ERR failure
    [InlineData("1e-5", null)]
    [InlineData("-1.5", null)]
    [InlineData("nan", null)]
    [InlineData("1e3", 1000)]
    [InlineData("2e1", 20)]
    [InlineData("5000.5", 1000)] // capped at 1000 before the SQL
    [InlineData("inf", 1000)]
    public void Limit(string? arg, int? expected) => Assert.Equal(expected, ListKeysRules.Limit(arg));

    [Theory]
    [InlineData(null, "%")]
    [InlineData("list_", "list\\_%")]
    [InlineData("a%b\\c", "a\\%b\\\\c%")]
    public void Like_pattern(string? prefix, string expected) => Assert.Equal(expected, ListKeysRules.LikePattern(prefix));

    [Fact]
    public void Ascii_case_insensitive_prefix()
    {
        Assert.True(ListKeysRules.StartsWithAsciiIgnoreCase("LIST/upper", "list/"));
        Assert.False(ListKeysRules.StartsWithAsciiIgnoreCase("list_x", "list/"));
        Assert.False(ListKeysRules.StartsWithAsciiIgnoreCase("\u00e9", "\u00c9"));
    }

    [Fact]
    public void Rebalance_policy_parses_known_names()
    {
        Assert.True(RebalancePolicy.TryParse("from_devices=1 to_devices=3,4 limit_type=device limit_by=count limit=1", out var p, out var err));
        Assert.Null(err);
        Assert.Equal(new[] { "1" }, p.List("from_devices"));
        Assert.Equal(new[] { "3", "4" }, p.List("to_devices"));
        Assert.Equal("count", p.Scalar("limit_by"));
        Assert.Equal("old", p.Scalar("fid_age"));
        Assert.True(RebalancePolicy.TryParse(null, out _, out _));
        Assert.True(RebalancePolicy.TryParse("", out _, out _));
        Assert.True(RebalancePolicy.TryParse("from_hosts=1 ", out _, out _)); // trailing empty field dropped
    }

    [Theory]
    [InlineData("bogus=1", "Invalid setting bogus")]                  // T22
    [InlineData("from_devices=1  to_devices=2", "Invalid setting ")]  // two spaces -> empty token
    [InlineData(" from_devices=1", "Invalid setting ")]
    [InlineData("=3", "Invalid setting ")]
    public void Rebalance_policy_rejects_unknown_names(string policy, string message)
    {
        Assert.False(RebalancePolicy.TryParse(policy, out _, out var err));
        Assert.Equal(message, err);
    }

    [Fact]
    public void Rebalance_filters_as_T22()
    {
        var devs = new[]
        {
            new RebalanceDevice(1, 1, true, true, 1000, 100),
            new RebalanceDevice(2, 1, true, true, 1000, 100),
            new RebalanceDevice(3, 2, true, true, 1000, 100),
            new RebalanceDevice(4, 2, true, true, 1000, 100),
            new RebalanceDevice(5, 1, false, false, null, null), // dead
        };
        Assert.True(RebalancePolicy.TryParse("from_devices=1 to_devices=3,4 limit_type=device limit_by=count limit=1", out var p, out _));
        var s = p.FilterSourceDevices(devs);
        Assert.Equal(new[] { 1 }, s);
        Assert.Equal(new[] { 3, 4 }, p.FilterDestDevices(devs, s));

        Assert.True(RebalancePolicy.TryParse("from_hosts=2 not_to_devices=2 from_percent_used=5", out p, out _));
        s = p.FilterSourceDevices(devs);
        Assert.Equal(new[] { 3, 4 }, s);
        Assert.Equal(new[] { 1 }, p.FilterDestDevices(devs, s));

        Assert.True(RebalancePolicy.TryParse("from_percent_used=50", out p, out _));
        Assert.Empty(p.FilterSourceDevices(devs));
    }

    [Fact]
    public void Rebalance_initial_state_has_every_key()
    {
        var st = RebalancePolicy.InitialState(new[] { 1, 7 }, 1795317188);
        var pairs = st.Split(' ').Select(x => x.Split('=', 2)).ToDictionary(x => x[0], x => x[1]);
        Assert.Equal("1,7", pairs["source_devs"]);
        Assert.Equal("", pairs["completed_devs"]);
        Assert.Equal("1795317188", pairs["time_started"]);
        foreach (var k in new[] { "sdev_current", "sdev_lastfid", "sdev_limit", "limit", "fids_queued", "bytes_queued",
                     "time_finished", "time_stopped", "time_latest_run", "time_latest_empty_run", "empty_runs" })
            Assert.Equal("0", pairs[k]);
        Assert.Equal(14, pairs.Count);
    }
}
