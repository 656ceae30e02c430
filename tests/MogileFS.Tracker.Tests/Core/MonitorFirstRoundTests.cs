using System.Net;
using System.Net.Sockets;
using System.Text;
using MogileFS.Store;
using MogileFS.TestSupport;
using MogileFS.TestSupport.Cluster;

namespace MogileFS.Tracker.Tests.Core;

/// <summary>
/// Lesson of the upstream suite on MySQL (80-job_master, 00-startup): 2.73 starts every worker but
/// the monitor only after the monitor's first round, so upstream tests wait until <c>!jobs</c> lists
/// a queryworker before they send <c>!want</c> (which answers an error until that round is done).
/// Our <c>!jobs</c> must not list workers earlier than that either.
/// </summary>
public sealed class MonitorFirstRoundTests
{
    private static async Task<string> AdminAsync(IPEndPoint ep, string command)
    {
        await using var c = await TrackerClient.ConnectAsync(ep);
        await c.SendAsync(command + "\r\n");
        var sb = new StringBuilder();
        while (true)
        {
            var line = await c.ReadLineAsync(TimeSpan.FromSeconds(10)) ?? throw new IOException("closed");
            var text = Encoding.ASCII.GetString(line).TrimEnd('\r', '\n');
            if (text == ".") return sb.ToString();
            sb.Append(text).Append('\n');
        }
    }

    [Fact]
    public async Task Until_the_first_monitor_round_jobs_lists_only_the_monitor_and_want_is_refused()
    {
        // A storage node that accepts and never answers holds the monitor's first round for node_timeout.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        _ = Task.Run(async () => { try { while (true) accepted.Add(await silent.AcceptSocketAsync()); } catch (Exception) { } });
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var dir = new TempDirectory("mogfirst-");
        await using var db = await TestDatabase.CreateAsync(DatabaseKind.Sqlite, dir.Path);
        string dsn = db.Dsn;
        await using (var store = MetadataStore.Open(DatabaseDsn.Parse(dsn), null, null))
        {
            await store.WriteAsync(async (s, ct) =>
            {
                await s.Sql("INSERT INTO host (hostid, status, http_port, hostname, hostip) VALUES (1, 'alive', @p, 'h1', '127.0.0.1')").Int("@p", port).ExecuteAsync(ct);
                await s.Sql("INSERT INTO device (devid, hostid, status, weight) VALUES (1, 1, 'alive', 100)").ExecuteAsync(ct);
            }, default);
        }
        await using var host = await TrackerHost.StartOnAsync(dsn, 3, o => o.NodeTimeoutSeconds = 3);
        Assert.False(host.Server.Services.Monitor.HasCompletedFirstRound);
        string jobs = await AdminAsync(host.EndPoint, "!jobs");
        Assert.DoesNotContain("queryworker count", jobs);
        Assert.Equal("ERROR: Monitor has not completed initial run yet\n\n", await AdminAsync(host.EndPoint, "!want 1 queryworker"));

        await host.Server.Services.Monitor.WaitForFirstRoundAsync(default).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("queryworker count", await AdminAsync(host.EndPoint, "!jobs"));
        Assert.StartsWith("Now desiring 1 children doing 'queryworker'.", await AdminAsync(host.EndPoint, "!want 1 queryworker"));
        foreach (var s in accepted) s.Dispose();
    }
}
