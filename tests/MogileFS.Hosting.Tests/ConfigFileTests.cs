using MogileFS.TestSupport;

namespace MogileFS.Hosting.Tests;

/// <summary>The three 2.73 line syntaxes of the one config-file reader.</summary>
public sealed class ConfigFileTests : IDisposable
{
    private readonly TempDirectory _dir = new("hosting-conf-");

    public void Dispose() => _dir.Dispose();

    private List<ConfigLine> Read(string text, ConfigSyntax syntax)
    {
        string f = _dir.Combine("f.conf");
        File.WriteAllText(f, text);
        return ConfigFile.Read(f, syntax);
    }

    private static string Show(IEnumerable<ConfigLine> lines) =>
        string.Join("|", lines.Select(l => l.Key == null ? $"{l.Number}:?{l.Raw}" : $"{l.Number}:{l.Key}={l.Value}"));

    [Fact]
    public void Mogilefsd_needs_whitespace_after_the_key_and_comments_start_lines()
    {
        var lines = Read("# c\n  \ndb_dsn = DBI:SQLite:/x # not a comment\nlisten 1.2.3.4:7001\r\nconf_port=7001\n", ConfigSyntax.Mogilefsd);
        Assert.Equal("3:db_dsn=DBI:SQLite:/x # not a comment|4:listen=1.2.3.4:7001|5:?conf_port=7001", Show(lines));
    }

    [Fact]
    public void Mogstored_cuts_at_any_hash_and_keeps_bad_lines_for_the_caller()
    {
        var lines = Read("docroot = /var/mogdata # root\n# all comment\nhttplisten=0.0.0.0:7500\nrubbish\n", ConfigSyntax.Mogstored);
        Assert.Equal("1:docroot=/var/mogdata|3:httplisten=0.0.0.0:7500|4:?rubbish", Show(lines));
        Assert.Equal("docroot = /var/mogdata ", lines[0].Text);
    }

    [Fact]
    public void Mogstats_cuts_only_at_a_hash_after_whitespace()
    {
        var lines = Read("db_pass = a#b   # the password\n", ConfigSyntax.UtilsHashAfterSpace);
        Assert.Equal("1:db_pass=a#b", Show(lines));
        Assert.Equal("1:db_pass=a", Show(Read("db_pass = a#b   # the password\n", ConfigSyntax.Utils)));
    }

    [Fact]
    public void A_directory_is_refused_in_the_mogilefsd_syntax()
    {
        var e = Assert.Throws<UnauthorizedAccessException>(() => ConfigFile.Read(_dir.Path, ConfigSyntax.Mogilefsd));
        Assert.Equal("Is a directory", e.Message);
    }
}
