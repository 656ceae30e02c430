using MogileFS.Tracker.Configuration;

namespace MogileFS.Store.Tests;

/// <summary>status_listen, log_file and log_format (docs/metrics.md): off and text by default, bad values refused naming the key.</summary>
public sealed class TrackerStatusConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mogilefsd-status-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private TrackerOptions Load(string file, params string[] args)
    {
        string path = Path.Combine(_dir, $"{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, file);
        return TrackerConfigLoader.Load([$"--config={path}", .. args], TextWriter.Null, defaultConfigFile: null, environment: _ => null);
    }

    [Fact]
    public void Everything_is_off_by_default_as_in_2_73()
    {
        var o = Load("");
        Assert.Equal("", o.StatusListen);
        Assert.Null(o.LogFile);
        Assert.Equal("text", o.LogFormat);
    }

    [Fact]
    public void File_and_flag_set_the_status_port_flag_first()
    {
        Assert.Equal("127.0.0.1:7080", Load("status_listen = 127.0.0.1:7080\n").StatusListen);
        Assert.Equal("10.0.0.1:9000", Load("status_listen = 127.0.0.1:7080\n", "--status_listen=10.0.0.1:9000").StatusListen);
        Assert.Equal("7080", Load("status_listen = 7080\n").StatusListen);
        var o = Load("log_file = /var/log/m.log\nlog_format = json\n");
        Assert.Equal("/var/log/m.log", o.LogFile);
        Assert.Equal("json", o.LogFormat);
    }

    [Theory]
    [InlineData("status_listen = somewhere\n", "status_listen")]
    [InlineData("status_listen = 127.0.0.1:99999\n", "status_listen")]
    [InlineData("log_format = xml\n", "log_format")]
    [InlineData("log_target = file\n", "log_target")]
    [InlineData("log_target = kafka\n", "log_target")]
    public void Bad_values_are_refused_naming_the_key(string file, string key)
    {
        var e = Assert.Throws<TrackerConfigException>(() => Load(file));
        Assert.Contains($"for {key}", e.Message);
    }
}
