namespace MogileFS.Client.Tests;

/// <summary>mogcluster's command line: usage and the texts of its mistakes (exit 2).</summary>
public sealed class LocalClusterOptionTests
{
    [Theory]
    [InlineData(new[] { "down" }, "unknown command 'down'")]
    [InlineData(new[] { "up", "stray" }, "unexpected argument 'stray'")]
    [InlineData(new[] { "-x" }, "unexpected argument '-x'")]
    [InlineData(new[] { "up", "--bogus=1" }, "unknown option --bogus")]
    [InlineData(new[] { "--tracker=a:1", "--nope" }, "unknown option --nope")]
    public async Task Mistakes_print_the_problem_and_the_usage(string[] args, string problem)
    {
        var r = await ToolRunner.RunAsync("mogcluster", args);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Out);
        Assert.StartsWith(problem + "\nUsage: cluster [up] [options]\n", r.Err);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_prints_the_usage(string flag)
    {
        var r = await ToolRunner.RunAsync("mogcluster", ["up", flag]);
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("Usage: cluster [up] [options]\n", r.Out);
        Assert.Contains("--mgmt-port=N", r.Out);
    }
}
