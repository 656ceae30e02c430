using MogileFS.Tools.Common;
using MogileFS.TestSupport;

namespace MogileFS.Client.Tests;

/// <summary>The tools' configuration files through the one 2.73 reader (MogileFS.Hosting.ConfigFile):
/// the first file that sets a key wins, and where a comment starts.</summary>
public sealed class ToolConfigFileTests : IDisposable
{
    private readonly TempDirectory _dir = new("tool-conf-");

    public void Dispose() => _dir.Dispose();

    private string File(string name, string text)
    {
        string f = _dir.Combine(name);
        System.IO.File.WriteAllText(f, text);
        return f;
    }

    [Fact]
    public void The_first_file_that_sets_a_key_wins_and_hash_starts_a_comment()
    {
        string first = File("a.conf", "# comment\ntrackers = 10.0.0.1:7001 # first\nnot a setting\n\n");
        string second = File("b.conf", "trackers = 10.0.0.2\ndomain=d#x\n  class =  c1  \n");
        var c = ConfigFiles.Read([first, null, "", second], first);
        Assert.Equal("10.0.0.1:7001", c["trackers"]);
        Assert.Equal("d", c["domain"]);
        Assert.Equal("c1", c["class"]);
        Assert.Equal(3, c.Count);
    }

    [Fact]
    public void Mogstats_cuts_comments_only_after_whitespace()
    {
        string f = File("s.conf", "db_pass = se#cret # the password\ndb_dsn = DBI:Pg:dbname=x#y\n");
        var c = ConfigFiles.Read([f], f, commentNeedsSpace: true);
        Assert.Equal("se#cret", c["db_pass"]);
        Assert.Equal("DBI:Pg:dbname=x#y", c["db_dsn"]);
    }

    [Fact]
    public void A_missing_explicit_file_is_an_error_and_other_missing_files_are_not()
    {
        string missing = _dir.Combine("nope.conf");
        var e = Assert.Throws<ToolException>(() => ConfigFiles.Read([missing], missing));
        Assert.Equal($"unable to open {missing}: No such file or directory", e.Message);
        Assert.Empty(ConfigFiles.Read([missing], null));
    }
}
