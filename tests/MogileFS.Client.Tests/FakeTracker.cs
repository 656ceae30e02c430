using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MogileFS.Client.Tests;

/// <summary>
/// A scripted tracker for fault injection: every request line is passed to <c>answer</c>; a
/// returned string is sent as the reply (CRLF added), <see langword="null"/> closes the connection
/// without a reply, and <see cref="Hang"/> never answers.
/// </summary>
internal sealed class FakeTracker : IAsyncDisposable
{
    public const string Hang = "\0hang";
    private readonly TcpListener _listener;
    private readonly Func<string, string?> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private readonly ConcurrentBag<TcpClient> _clients = new();

    public FakeTracker(Func<string, string?> answer)
    {
        _answer = answer;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accept = AcceptLoop();
    }

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
    public ConcurrentQueue<string> Requests { get; } = new();

    private async Task AcceptLoop()
    {
        try
        {
            while (true)
            {
                var c = await _listener.AcceptTcpClientAsync(_stop.Token);
                _clients.Add(c);
                _ = Serve(c);
            }
        }
        catch (Exception) { }
    }

    private async Task Serve(TcpClient c)
    {
        try
        {
            using var _ = c;
            var stream = c.GetStream();
            var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                Requests.Enqueue(line);
                var reply = _answer(line);
                if (reply is null) return;
                if (reply == Hang) { await Task.Delay(Timeout.Infinite, _stop.Token); return; }
                var bytes = Encoding.UTF8.GetBytes(reply + "\r\n");
                await stream.WriteAsync(bytes, _stop.Token);
            }
        }
        catch (Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var c in _clients) c.Dispose();
        try { await _accept; } catch { }
    }
}
