namespace MogileFS.Hosting.Tests;

/// <summary>What the presets change (the texts of each 2.73 program are pinned by its own tests).</summary>
public sealed class GetoptPresetTests
{
    private static readonly string[] Specs = ["iostat", "daemonize|d", "maxconns=i", "server=s", "serverbin=s", "maxconns_per_ip=i"];

    [Fact]
    public void The_same_mistakes_read_differently_per_preset()
    {
        string[] args = ["--Bogus", "-d=1", "--se=x", "--maxconns=", "--maxconns_p=3"];
        var mogstored = new GetoptLong(GetoptConfig.Mogstored with { ExactOnly = new HashSet<string> { "maxconns_per_ip" } }, Specs).Parse(args);
        Assert.Equal(
        [
            "Unknown option: Bogus", "Option daemonize does not take an argument", "Option se is ambiguous (server, serverbin)",
            "Value \"\" invalid for option maxconns (number expected)", "Unknown option: maxconns_p",
        ], mogstored.Warnings);

        var tracker = new GetoptLong(GetoptConfig.Default, Specs).Parse(args);
        Assert.Equal(
        [
            "Unknown option: bogus", "Option d does not take an argument", "Option se is ambiguous (server, serverbin)",
            "Option maxconns requires an argument",
        ], tracker.Warnings);
        Assert.Equal("3", tracker.Last("maxconns_per_ip"));

        var tools = new GetoptLong(GetoptConfig.Tools, Specs).Parse(args);
        Assert.Equal(["Unknown option: Bogus"], tools.Warnings);
    }

    [Fact]
    public void Occurrences_keep_every_value_in_order_and_integers_as_the_preset_says()
    {
        string[] args = ["--maxconns=+05", "--server", "a", "--maxconns", "7"];
        var kept = new GetoptLong(GetoptConfig.Mogstored, Specs).Parse(args);
        Assert.Equal(["maxconns=+05", "server=a", "maxconns=7"], kept.Occurrences.Select(o => $"{o.Key}={o.Value}"));
        var normalized = new GetoptLong(GetoptConfig.Default, Specs).Parse(args);
        Assert.Equal("5", normalized.Occurrences[0].Value);
    }
}
