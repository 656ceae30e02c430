using MogileFS.Gateway.Configuration;
using MogileFS.TestSupport;

namespace MogileFS.Gateway.Tests;

public class CommandLineTests
{
    private const string NoDefault = "/nonexistent/moggateway.conf";

    [Fact]
    public void Flags_set_every_option()
    {
        var s = GatewayCommandLine.Parse([
            "--trackers=10.0.0.1:7001, 10.0.0.2:7001", "--db_dsn=DBI:SQLite:dbname=/tmp/x.db", "--listen=127.0.0.1:9000",
            "--access_key=AK1:secret:with:colons", "--access_key", "AK2:s2", "--public_read=pub1,pub2", "--virtual_host=.s3.example.com",
            "--region=eu-west-1", "--default_class=big", "--max_object_size=1G", "--max_clock_skew=60", "--pidfile=/tmp/gw.pid",
        ], NoDefault);
        var o = s.Options;
        Assert.Equal(["10.0.0.1:7001", "10.0.0.2:7001"], o.Trackers);
        Assert.Equal("127.0.0.1:9000", o.Listen);
        Assert.Equal([new AccessKey("AK1", "secret:with:colons"), new AccessKey("AK2", "s2")], o.AccessKeys);
        Assert.Equal(["pub1", "pub2"], o.PublicReadBuckets.Order());
        Assert.Equal(["s3.example.com"], o.VirtualHostDomains);
        Assert.Equal("eu-west-1", o.Region);
        Assert.Equal("big", o.DefaultClass);
        Assert.Equal(1L << 30, o.MaxObjectSize);
        Assert.Equal(TimeSpan.FromSeconds(60), o.MaxClockSkew);
        Assert.Equal("/tmp/gw.pid", s.PidFile);
    }

    [Fact]
    public void The_config_file_is_read_and_flags_win()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "moggateway.conf");
        File.WriteAllText(file, """
            # gateway
            trackers = 10.0.0.9:7001
            db_dsn = DBI:Pg:dbname=mogilefs;host=db1
            db_pass = p#ss  # a comment
            access_key = AKF:file-secret
            access_key = AKG:other
            listen = 0.0.0.0:7070
            """);
        var s = GatewayCommandLine.Parse(["--config=" + file, "--listen=127.0.0.1:0"], NoDefault);
        Assert.Equal(["10.0.0.9:7001"], s.Options.Trackers);
        Assert.Equal("p#ss", s.Options.DbPassword);
        Assert.Equal(2, s.Options.AccessKeys.Count);
        Assert.Equal("127.0.0.1:0", s.Options.Listen);
    }

    [Fact]
    public void Local_storage_maps_nodes_to_docroots_from_flags_and_the_file()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "moggateway.conf");
        File.WriteAllText(file, "trackers = h:7001\ndb_dsn = DBI:SQLite:dbname=x\nlocal_storage = 127.0.1.1:7500=/var/mogdata/n1\nlocal_storage = 127.0.1.2:7500 = /var/mogdata/n2\n");
        var s = GatewayCommandLine.Parse(["--config=" + file], NoDefault);
        Assert.Equal("/var/mogdata/n1", s.Options.LocalStorage["127.0.1.1:7500"]);
        Assert.Equal("/var/mogdata/n2", s.Options.LocalStorage["127.0.1.2:7500"]);
        s = GatewayCommandLine.Parse(["--trackers=h:7001", "--db_dsn=DBI:SQLite:dbname=x", "--local_storage=10.0.0.5:7500=/srv/mog"], NoDefault);
        Assert.Equal("/srv/mog", Assert.Single(s.Options.LocalStorage).Value);
    }

    [Fact]
    public void Local_writes_are_on_unless_turned_off()
    {
        string[] common = ["--trackers=h:7001", "--db_dsn=DBI:SQLite:dbname=x", "--local_storage=10.0.0.5:7500=/srv/mog"];
        Assert.True(GatewayCommandLine.Parse(common, NoDefault).Options.LocalStorageWrites);
        Assert.False(GatewayCommandLine.Parse([.. common, "--local_storage_writes=0"], NoDefault).Options.LocalStorageWrites);
        Assert.True(GatewayCommandLine.Parse([.. common, "--local_storage_writes=1"], NoDefault).Options.LocalStorageWrites);
        var e = Assert.Throws<GatewayUsageException>(() => GatewayCommandLine.Parse([.. common, "--local_storage_writes=yes"], NoDefault));
        Assert.Contains("local_storage_writes", e.Message);
    }

    [Fact]
    public void Fast_get_is_on_unless_turned_off()
    {
        string[] common = ["--trackers=h:7001", "--db_dsn=DBI:SQLite:dbname=x"];
        Assert.True(GatewayCommandLine.Parse(common, NoDefault).Options.FastGet);
        Assert.False(GatewayCommandLine.Parse([.. common, "--fast_get=0"], NoDefault).Options.FastGet);
        Assert.True(GatewayCommandLine.Parse([.. common, "--fast_get=1"], NoDefault).Options.FastGet);
        var e = Assert.Throws<GatewayUsageException>(() => GatewayCommandLine.Parse([.. common, "--fast_get=on"], NoDefault));
        Assert.Contains("fast_get", e.Message);
    }

    [Fact]
    public void The_status_port_is_off_unless_given_an_address()
    {
        string[] common = ["--trackers=h:7001", "--db_dsn=DBI:SQLite:dbname=x"];
        Assert.Null(GatewayCommandLine.Parse(common, NoDefault).Options.StatusListen);
        Assert.Equal("127.0.0.1:7090", GatewayCommandLine.Parse([.. common, "--status_listen=127.0.0.1:7090"], NoDefault).Options.StatusListen);
        Assert.Null(GatewayCommandLine.Parse([.. common, "--status_listen="], NoDefault).Options.StatusListen);
        var e = Assert.Throws<GatewayUsageException>(() => GatewayCommandLine.Parse([.. common, "--status_listen=nowhere"], NoDefault));
        Assert.Contains("status_listen", e.Message);
    }

    [Theory]
    [InlineData("--local_storage=127.0.0.1:7500")]
    [InlineData("--local_storage=127.0.0.1=/var/mogdata")]
    [InlineData("--local_storage=127.0.0.1:7500=relative/dir")]
    [InlineData("--local_storage=127.0.0.1:99999=/var/mogdata")]
    public void A_bad_local_storage_value_is_refused(string arg)
    {
        var e = Assert.Throws<GatewayUsageException>(() => GatewayCommandLine.Parse(["--trackers=h:7001", "--db_dsn=DBI:SQLite:dbname=x", arg], NoDefault));
        Assert.Contains("local_storage", e.Message);
    }

    [Theory]
    [InlineData("trackers", "--db_dsn=DBI:SQLite:dbname=x")]
    [InlineData("db_dsn", "--trackers=h:7001")]
    [InlineData("access_key", "--trackers=h:7001", "--db_dsn=DBI:SQLite:dbname=x", "--access_key=nocolon")]
    [InlineData("listen", "--trackers=h:7001", "--db_dsn=DBI:SQLite:dbname=x", "--listen=nowhere")]
    [InlineData("max_object_size", "--trackers=h:7001", "--db_dsn=DBI:SQLite:dbname=x", "--max_object_size=lots")]
    [InlineData("max_clock_skew", "--trackers=h:7001", "--db_dsn=DBI:SQLite:dbname=x", "--max_clock_skew=0")]
    public void Bad_or_missing_values_name_the_key(string key, params string[] args)
    {
        var e = Assert.ThrowsAny<GatewayUsageException>(() => GatewayCommandLine.Parse(args, NoDefault));
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void Unknown_keys_in_the_file_are_refused_with_file_and_line()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "gw.conf");
        File.WriteAllText(file, "trackers = h:7001\nacess_key = typo:x\n");
        var e = Assert.Throws<GatewayUsageException>(() => GatewayCommandLine.Parse(["--config=" + file], NoDefault));
        Assert.Contains("gw.conf:2", e.Message);
        Assert.Contains("acess_key", e.Message);
    }

    [Fact]
    public void Help_prints_the_usage()
    {
        var e = Assert.Throws<GatewayHelpRequested>(() => GatewayCommandLine.Parse(["--help"], NoDefault));
        Assert.Contains("--access_key", e.Message);
    }
}
