using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace MogileFS.Tracker.Tests.Files;

/// <summary>
/// A tiny storage node for fault injection: HTTP (HEAD, GET, PUT, MKCOL, DELETE) over an in-memory
/// file map and the side channel's MD5/SHA-1 commands. Behaviour can be overridden per method
/// (status codes, hangs, dropped connections). Real storage nodes are used where no fault is needed.
/// </summary>
public sealed class FakeStorageNode : IAsyncDisposable
{
    private readonly TcpListener _http;
    private readonly TcpListener _side;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<Task> _tasks = new();

    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<string> Requests { get; } = new();
    public ConcurrentQueue<string> SideRequests { get; } = new();

    /// <summary>Status for MKCOL (default 400, like mogstored).</summary>
    public int MkcolStatus { get; set; } = 400;
    /// <summary>If set, HEAD answers this status.</summary>
    public int? HeadStatusOverride { get; set; }
    /// <summary>HEAD without Content-Length.</summary>
    public bool HeadOmitsLength { get; set; }
    /// <summary>Delay before answering anything over HTTP.</summary>
    public TimeSpan HttpDelay { get; set; }
    /// <summary>Side channel answers "ERROR: unknown command" (old node).</summary>
    public bool SideChannelUnsupported { get; set; }
    /// <summary>Side channel closes the connection without answering.</summary>
    public bool SideChannelDrops { get; set; }
    public int PutStatus { get; set; } = 201;

    public FakeStorageNode(string ip = "127.0.0.1", int sidePort = 0)
    {
        _http = new TcpListener(IPAddress.Parse(ip), 0);
        _side = new TcpListener(IPAddress.Parse(ip), sidePort);
        _http.Start();
        _side.Start();
        _tasks.Add(AcceptLoop(_http, ServeHttp));
        _tasks.Add(AcceptLoop(_side, ServeSide));
    }

    public string Ip => ((IPEndPoint)_http.LocalEndpoint).Address.ToString();
    public int HttpPort => ((IPEndPoint)_http.LocalEndpoint).Port;
    public int SidePort => ((IPEndPoint)_side.LocalEndpoint).Port;

    private async Task AcceptLoop(TcpListener l, Func<TcpClient, Task> serve)
    {
        try
        {
            while (!_cts.IsCancellationRequested)
            {
                var c = await l.AcceptTcpClientAsync(_cts.Token);
                _ = Task.Run(async () =>
                {
                    using (c)
                    {
                        try { await serve(c); } catch (Exception) { /* connection errors end the connection */ }
                    }
                });
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }

    private static async Task<string?> ReadLine(Stream s, CancellationToken ct)
    {
        var sb = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            int n = await s.ReadAsync(one, ct);
            if (n == 0) return sb.Length == 0 ? null : sb.ToString();
            if (one[0] == '\n') return sb.ToString().TrimEnd('\r');
            sb.Append((char)one[0]);
        }
    }

    private async Task ServeHttp(TcpClient c)
    {
        var s = c.GetStream();
        while (true)
        {
            var reqLine = await ReadLine(s, _cts.Token);
            if (reqLine is null) return;
            long clen = 0;
            bool chunked = false, expect = false;
            while (true)
            {
                var h = await ReadLine(s, _cts.Token);
                if (string.IsNullOrEmpty(h)) break;
                int colon = h.IndexOf(':');
                if (colon < 0) continue;
                var name = h[..colon].Trim();
                var val = h[(colon + 1)..].Trim();
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) clen = long.Parse(val);
                if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) chunked = val.Contains("chunked");
                if (name.Equals("Expect", StringComparison.OrdinalIgnoreCase)) expect = true;
            }
            var parts = reqLine.Split(' ');
            string method = parts[0], path = parts[1];
            Requests.Enqueue(method + " " + path);
            if (HttpDelay > TimeSpan.Zero) await Task.Delay(HttpDelay, _cts.Token);
            if (expect) await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 100 Continue\r\n\r\n"));
            byte[] body = Array.Empty<byte>();
            if (chunked) throw new NotSupportedException("chunked");
            if (clen > 0)
            {
                body = new byte[clen];
                await s.ReadExactlyAsync(body, _cts.Token);
            }
            string status;
            byte[] respBody = Array.Empty<byte>();
            bool sendLength = true;
            long? lengthHeader = null;
            switch (method)
            {
                case "HEAD":
                    if (HeadStatusOverride is int hs) status = hs + " X";
                    else if (Files.TryGetValue(path, out var f)) { status = "200 OK"; lengthHeader = f.Length; sendLength = !HeadOmitsLength; }
                    else status = "404 Not Found";
                    break;
                case "GET":
                    if (Files.TryGetValue(path, out var g)) { status = "200 OK"; respBody = g; }
                    else status = "404 Not Found";
                    break;
                case "PUT":
                    if (PutStatus is >= 200 and < 300) Files[path] = body;
                    status = PutStatus + " X";
                    break;
                case "MKCOL":
                    status = MkcolStatus + " X";
                    break;
                case "DELETE":
                    status = Files.TryRemove(path, out _) ? "204 No Content" : "404 Not Found";
                    break;
                default:
                    status = "405 Method Not Allowed";
                    break;
            }
            var sb = new StringBuilder();
            sb.Append("HTTP/1.1 ").Append(status).Append("\r\n");
            if (method == "HEAD")
            {
                if (sendLength) sb.Append("Content-Length: ").Append(lengthHeader ?? 0).Append("\r\n");
            }
            else sb.Append("Content-Length: ").Append(respBody.Length).Append("\r\n");
            sb.Append("\r\n");
            await s.WriteAsync(Encoding.ASCII.GetBytes(sb.ToString()), _cts.Token);
            if (method != "HEAD" && respBody.Length > 0) await s.WriteAsync(respBody, _cts.Token);
        }
    }

    private async Task ServeSide(TcpClient c)
    {
        var s = c.GetStream();
        while (true)
        {
            var line = await ReadLine(s, _cts.Token);
            if (line is null) return;
            SideRequests.Enqueue(line);
            if (SideChannelDrops) return;
            string reply;
            var parts = line.Split(' ');
            if (SideChannelUnsupported || parts.Length < 2 || (parts[0] != "MD5" && parts[0] != "SHA-1"))
                reply = "ERROR: unknown command: " + parts[0].ToLowerInvariant();
            else if (!Files.TryGetValue(parts[1], out var data))
                reply = parts[1] + " " + parts[0] + "=-1";
            else
            {
                var hash = parts[0] == "MD5" ? MD5.HashData(data) : SHA1.HashData(data);
                reply = parts[1] + " " + parts[0] + "=" + Convert.ToHexStringLower(hash);
            }
            await s.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n"), _cts.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        _http.Stop();
        _side.Stop();
        try { await Task.WhenAll(_tasks); } catch (Exception) { }
        _cts.Dispose();
    }
}
