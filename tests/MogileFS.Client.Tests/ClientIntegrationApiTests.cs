using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MogileFS.Client.Tests;

/// <summary>
/// Issue 12 item 8: what .NET developers expect of the client package — registration with
/// options bound from configuration and the container's logger, a read stream with a range,
/// and a domain per call as well as per client.
/// </summary>
[Collection(ClusterCollection.Name)]
public class ClientIntegrationApiTests(ClusterFixture fx)
{
    [Fact]
    public async Task AddMogileFS_binds_options_from_configuration_and_serves_client_and_admin()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MogileFS:Trackers:0"] = "127.0.0.1:1", // dead: the client fails over and logs it
            ["MogileFS:Trackers:1"] = fx.TrackerAddresses[0],
            ["MogileFS:Domain"] = ClusterFixture.Domain,
            ["MogileFS:RequestTimeout"] = "00:00:07",
        }).Build();
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection()
            .AddLogging(b => b.AddProvider(logs))
            .AddMogileFS(config.GetSection("MogileFS"));
        await using var sp = services.BuildServiceProvider();

        var client = sp.GetRequiredService<MogileFSClient>();
        Assert.Equal(ClusterFixture.Domain, client.Domain);
        Assert.Equal(TimeSpan.FromSeconds(7), client.Backend.Options.RequestTimeout);
        Assert.Same(client.Backend, sp.GetRequiredService<MogileFSAdmin>().Backend);
        for (int i = 0; i < 4; i++) await client.NoopAsync(); // at least one try hits the dead tracker
        Assert.Contains(logs.Lines, l => l.Contains("127.0.0.1:1") && l.Contains("noop"));
    }

    [Fact]
    public async Task OpenReadAsync_streams_the_whole_file_or_a_range()
    {
        using var client = fx.Client();
        var data = RandomNumberGenerator.GetBytes(300_000);
        await client.StoreBytesAsync("range/a", data, "c1");

        await using (var all = await client.OpenReadAsync("range/a"))
        {
            var ms = new MemoryStream();
            await all.CopyToAsync(ms);
            Assert.Equal(data, ms.ToArray());
        }
        await using (var part = await client.OpenReadAsync("range/a", offset: 1000, length: 5000))
        {
            var ms = new MemoryStream();
            await part.CopyToAsync(ms);
            Assert.Equal(data.AsSpan(1000, 5000).ToArray(), ms.ToArray());
        }
        await using (var tail = await client.OpenReadAsync("range/a", offset: 299_990))
        {
            var ms = new MemoryStream();
            await tail.CopyToAsync(ms);
            Assert.Equal(data.AsSpan(299_990).ToArray(), ms.ToArray());
        }
        var beyond = await Assert.ThrowsAsync<MogileFSStorageException>(() => client.OpenReadAsync("range/a", offset: 400_000));
        Assert.Contains("beyond the end", beyond.Message);
        var missing = await Assert.ThrowsAsync<MogileFSTrackerException>(() => client.OpenReadAsync("range/none"));
        Assert.Equal("unknown_key", missing.ErrorCode);
    }

    [Fact]
    public async Task ForDomain_works_in_another_domain_on_the_same_connections()
    {
        // One tracker: the domain is visible to the next command at once (others reload within 1 s).
        using var admin = new MogileFSAdmin(new MogileFSClientOptions { Trackers = [fx.TrackerAddresses[0]] });
        try { await admin.CreateDomainAsync("otherdom"); }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "domain_exists") { }

        using var client = fx.Client(fx.TrackerAddresses[0]);
        using (var other = client.ForDomain("otherdom"))
        {
            Assert.Equal("otherdom", other.Domain);
            Assert.Same(client.Backend, other.Backend);
            await other.StoreBytesAsync("per-call", "in otherdom"u8.ToArray());
        }
        // Disposing the per-call view left the parent's connections working.
        Assert.Equal("in otherdom"u8.ToArray(), await client.ForDomain("otherdom").GetBytesAsync("per-call"));
        var notHere = await Assert.ThrowsAsync<MogileFSTrackerException>(() => client.GetBytesAsync("per-call"));
        Assert.Equal("unknown_key", notHere.ErrorCode);
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        public List<string> Lines { get; } = [];
        public ILogger CreateLogger(string categoryName) => new L(this);
        public void Dispose() { }
        private sealed class L(ListLoggerProvider p) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (p.Lines) p.Lines.Add(formatter(state, exception));
            }
        }
    }
}
