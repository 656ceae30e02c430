using MogileFS.Tracker.Commands.Core;

namespace MogileFS.Tracker.Tests.Core;

public class ReplPolicySyntaxTests
{
    [Theory]
    [InlineData("MultipleHosts()")]
    [InlineData("MultipleHosts(3)")]
    [InlineData("MultipleDevices(2)")]
    [InlineData("MogileFS::ReplicationPolicy::MultipleHosts(2)")]
    [InlineData("Union(MultipleHosts(2), MultipleDevices(1))")]
    [InlineData("HostsPerNetwork(east=1, west=2)")]
    [InlineData("MultipleNetworks(2)")]
    [InlineData("MultipleHosts(2) trailing text is kept")]
    public void Accepts_the_built_in_policies(string policy) => Assert.Null(ReplPolicySyntax.Validate(policy));

    [Theory]
    [InlineData("Bogus(1)")]
    [InlineData("MultipleHosts")]
    [InlineData("HostsPerNetwork(east=)")]
    [InlineData("HostsPerNetwork(east=1")]
    [InlineData("HostsPerNetwork(1)")]          // zones and counts, not a number (replication would refuse it)
    [InlineData("MultipleHosts(east=1)")]
    [InlineData("Union(MultipleHosts(2), 3)")]
    [InlineData("")]
    public void Rejects_what_does_not_parse(string policy)
    {
        var err = ReplPolicySyntax.Validate(policy);
        Assert.NotNull(err);
        Assert.StartsWith("Failed to parse policy string: ", err);
    }
}
