using System.Net;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using MogileFS.TestSupport;

namespace MogileFS.Gateway.Tests;

/// <summary>The moggateway executable: config file, pid file, serving, SIGTERM.</summary>
public class ProcessTests(GatewayFixture f) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Moggateway_serves_s3_from_its_config_file_and_stops_on_sigterm()
    {
        using var dir = new TempDirectory();
        var ip = IPAddress.Parse(f.Gateway.EndPoint.Address.ToString());
        int port = Executables.FreePort(ip);
        string conf = Path.Combine(dir.Path, "moggateway.conf"), pid = Path.Combine(dir.Path, "gw.pid");
        File.WriteAllText(conf, $"""
            trackers = {f.Cluster.TrackerEndPoint}
            db_dsn = {f.Cluster.Dsn}
            listen = {ip}:{port}
            access_key = AKPROC:process-secret
            pidfile = {pid}
            """);
        await using var gw = ManagedProcess.Start("moggateway", ["--config=" + conf]);
        await gw.WaitForListenAsync(new IPEndPoint(ip, port), TimeSpan.FromSeconds(30));
        // The pid file is written once the listener is up (so it may trail the port by a moment).
        for (int i = 0; i < 100 && !File.Exists(pid); i++) await Task.Delay(100);
        Assert.Equal(gw.Pid.ToString(), File.ReadAllText(pid).Trim());

        using var s3 = new AmazonS3Client(new BasicAWSCredentials("AKPROC", "process-secret"),
            new AmazonS3Config { ServiceURL = $"http://{ip}:{port}", ForcePathStyle = true, MaxErrorRetry = 0 });
        await s3.PutBucketAsync("proc");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "proc", Key = "k", ContentBody = "from the process" });
        using (var get = await s3.GetObjectAsync("proc", "k"))
            Assert.Equal("from the process", Encoding.UTF8.GetString(await S3Assert.ReadAll(get.ResponseStream)));

        gw.Signal(ManagedProcess.SIGTERM);
        Assert.Equal(0, await gw.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(File.Exists(pid));
    }

    [Fact]
    public async Task Moggateway_refuses_a_bad_configuration_with_a_message_naming_the_key()
    {
        var (code, output) = await ManagedProcess.RunAsync("moggateway", ["--trackers=127.0.0.1:7001", "--db_dsn=DBI:SQLite:dbname=/tmp/x", "--access_key=broken"], TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, code);
        Assert.Contains("access_key", output);
    }
}
