using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MogileFS.Client.Tests;

/// <summary>
/// Issue 16: a tracker that dies in the middle of a store must not fail the store when another
/// tracker is configured. A proxy in front of one real tracker plays the tracker that dies: at the
/// first request of the chosen command it closes every connection and stops listening, either
/// before passing the request on or after the real tracker carried it out (the reply is lost).
/// </summary>
[Collection(ClusterCollection.Name)]
public class TrackerLossTests(ClusterFixture fx)
{
    [Theory]
    [InlineData("create_open", false)]
    [InlineData("create_open", true)]
    [InlineData("create_close", false)]
    [InlineData("create_close", true)]
    public async Task Store_survives_a_tracker_that_dies_with_the_request_in_flight(string command, bool carriedOut)
    {
        var real = fx.TrackerAddresses[0];
        await using var dying = new DyingTracker(real, command, carriedOut);
        // Three trackers, so that both requests of a store reach each of them in turn (with two, the
        // round robin sends every create_open to one and every create_close to the other).
        using var client = fx.Client(dying.Address, fx.TrackerAddresses[0], fx.TrackerAddresses[1]);
        string tag = $"{command}-{carriedOut}";

        // Stores go to both trackers in turn; keep storing until one hit the dying tracker.
        var stored = new List<(string Key, byte[] Data, long Fid)>();
        for (int i = 0; i < 40 && !dying.Died; i++)
        {
            var key = $"trackerloss/{tag}/{i}";
            var data = Encoding.UTF8.GetBytes($"{key} " + new string('x', 100 + i));
            var r = await client.StoreBytesAsync(key, data, "c1");
            stored.Add((key, data, r.Fid));
        }
        Assert.True(dying.Died, "no store went through the dying tracker");
        // and the stores after the death go on through the other tracker
        for (int i = 0; i < 5; i++)
        {
            var key = $"trackerloss/{tag}/after{i}";
            var data = Encoding.UTF8.GetBytes(key);
            var r = await client.StoreBytesAsync(key, data, "c1");
            stored.Add((key, data, r.Fid));
        }

        using var check = fx.Client(fx.TrackerAddresses[1]);
        foreach (var (key, data, fid) in stored)
        {
            var info = await check.FileInfoAsync(key);
            Assert.NotNull(info);
            Assert.Equal(fid, info.Fid);
            Assert.Equal(data, await check.GetBytesAsync(key));
        }
    }

    [Fact]
    public async Task A_close_whose_key_was_overwritten_before_the_retry_is_still_an_error()
    {
        // The reply to create_close is lost, and before the retry the key is overwritten by another
        // client: the retry finds no temp file and the key names another fid, so the store must not
        // report success for data that is no longer under that key.
        using var other = fx.Client(fx.TrackerAddresses[1]);
        string? overwritten = null;
        await using var dying = new DyingTracker(fx.TrackerAddresses[0], "create_close", carriedOut: true, afterCarriedOut: line =>
        {
            var pair = line["create_close ".Length..].Split('&').First(p => p.StartsWith("key=", StringComparison.Ordinal));
            overwritten = WebUtility.UrlDecode(pair[4..]);
            other.StoreBytesAsync(overwritten, "someone else"u8.ToArray(), "c1").GetAwaiter().GetResult();
        });
        using var client = fx.Client(dying.Address, fx.TrackerAddresses[0], fx.TrackerAddresses[1]);
        string? failed = null;
        for (int i = 0; i < 40 && !dying.Died; i++)
        {
            var key = $"trackerloss/overwritten/{i}";
            try { await client.StoreBytesAsync(key, "mine"u8.ToArray(), "c1"); }
            catch (MogileFSConnectionException e)
            {
                Assert.Equal("connection_lost", e.ErrorCode);
                Assert.True(e.MayHaveBeenApplied);
                failed = key;
            }
        }
        Assert.True(dying.Died, "no store went through the dying tracker");
        Assert.NotNull(overwritten);
        Assert.Equal(overwritten, failed);
        Assert.Equal("someone else"u8.ToArray(), await other.GetBytesAsync(overwritten));
    }

    [Fact]
    public async Task MinCopies_returns_once_the_file_is_replicated_and_fails_clearly_when_it_cannot_be()
    {
        using var client = fx.Client();
        var r = await client.StoreAsync("mincopies/2", new MemoryStream("two copies"u8.ToArray()),
            new StoreOptions { Class = "c1", MinCopies = 2 });
        var info = await client.FileInfoAsync("mincopies/2");
        Assert.NotNull(info);
        Assert.Equal(r.Fid, info.Fid);
        Assert.True(info.DevCount >= 2, $"devcount {info.DevCount}");

        // more copies than the class asks for never come: a clear error once the wait is over
        var e = await Assert.ThrowsAsync<MogileFSException>(() => client.StoreAsync("mincopies/9", new MemoryStream("nine"u8.ToArray()),
            new StoreOptions { Class = "c1", MinCopies = 9, MinCopiesTimeout = TimeSpan.FromSeconds(1) }));
        Assert.Equal("not_replicated", e.ErrorCode);
        Assert.Contains("of the 9 copies", e.Message);
    }

    /// <summary>Forwards to a real tracker until the first request of <c>command</c>, then "dies".</summary>
    private sealed class DyingTracker : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly string _real;
        private readonly string _command;
        private readonly bool _carriedOut;
        private readonly Action<string>? _afterCarriedOut;
        private readonly ConcurrentBag<TcpClient> _connections = new();
        private readonly Task _accept;
        private int _died;

        public DyingTracker(string real, string command, bool carriedOut, Action<string>? afterCarriedOut = null)
        {
            (_real, _command, _carriedOut, _afterCarriedOut) = (real, command, carriedOut, afterCarriedOut);
            _listener.Start();
            _accept = AcceptAsync();
        }

        public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        public bool Died => Volatile.Read(ref _died) == 1;

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var c = await _listener.AcceptTcpClientAsync();
                    _connections.Add(c);
                    _ = ServeAsync(c);
                }
            }
            catch (Exception) { }
        }

        private async Task ServeAsync(TcpClient c)
        {
            using var _ = c;
            try
            {
                var ep = IPEndPoint.Parse(_real);
                using var upstream = new TcpClient();
                await upstream.ConnectAsync(ep);
                var up = upstream.GetStream();
                var upReader = new StreamReader(up, Encoding.Latin1);
                var down = c.GetStream();
                var reader = new StreamReader(down, Encoding.Latin1);
                while (await reader.ReadLineAsync() is { } line)
                {
                    bool fatal = line.StartsWith(_command + " ", StringComparison.Ordinal) && Interlocked.Exchange(ref _died, 1) == 0;
                    if (fatal && !_carriedOut) { Die(); return; }
                    await up.WriteAsync(Encoding.Latin1.GetBytes(line + "\r\n"));
                    var reply = await upReader.ReadLineAsync();
                    if (reply is null) return;
                    if (fatal) { _afterCarriedOut?.Invoke(line); Die(); return; }
                    await down.WriteAsync(Encoding.Latin1.GetBytes(reply + "\r\n"));
                }
            }
            catch (Exception) { }
        }

        private void Die()
        {
            _listener.Stop();
            foreach (var c in _connections) c.Dispose();
        }

        public async ValueTask DisposeAsync()
        {
            Die();
            try { await _accept; } catch { }
        }
    }
}
