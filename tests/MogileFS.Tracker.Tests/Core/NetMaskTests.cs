using System.Net;
using MogileFS.Tracker.Metadata;

namespace MogileFS.Tracker.Tests.Core;

/// <summary>The netmask check of <c>zone_*</c> settings and altmask, against what Net::Netmask (2.73's check)
/// accepts; found by running 2.73 and ours side by side (<c>set_server_setting key=zone_x&amp;value=1</c>).</summary>
public sealed class NetMaskTests
{
    [Theory]
    [InlineData("1.2.3.4", "1.2.3.4", "1.2.3.5")]
    [InlineData("1.2.3.4/8", "1.9.9.9", "2.0.0.0")]
    [InlineData("10.0.0.0/255.255.255.0", "10.0.0.200", "10.0.1.0")]
    [InlineData("1.2.3.4/0", "200.1.1.1", null)]
    [InlineData("any", "200.1.1.1", null)]
    [InlineData("default", "8.8.8.8", null)]
    [InlineData("fe80::/10", "fe80::1", "fec0::1")]
    [InlineData("::1", "::1", "::2")]
    public void Accepted(string text, string inside, string? outside)
    {
        Assert.True(NetMask.TryParse(text, out var m));
        Assert.True(m.Contains(IPAddress.Parse(inside)));
        if (outside != null) Assert.False(m.Contains(IPAddress.Parse(outside)));
    }

    [Theory]
    [InlineData("1")]          // IPAddress.TryParse reads 0.0.0.1; Net::Netmask refuses
    [InlineData("0")]
    [InlineData("10.0")]
    [InlineData("10.1.2")]
    [InlineData("127/8")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("256.1.1.1")]
    [InlineData("1.2.3.4/33")]
    [InlineData("bogus")]
    [InlineData("")]
    public void Refused(string text) => Assert.False(NetMask.TryParse(text, out _));
}
