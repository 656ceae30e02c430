using System.Net;
using System.Net.Sockets;
using System.Text;
using MogileFS.StorageNode;
using MogileFS.TestSupport;

namespace MogileFS.StorageNode.Tests.Support;

/// <summary>A real storage node on 127.0.0.1 (OS-assigned ports) over its own temp docroot
/// with dev1 and dev2, stopped and removed on dispose.</summary>
public sealed class Node : IAsyncDisposable
{
    private readonly TempDirectory _dir;
    private readonly CapturingLoggerProvider _logs;

    private Node(TempDirectory dir, StorageNodeServer server, StorageNodeOptions options, CapturingLoggerProvider logs)
    {
        _dir = dir;
        _logs = logs;
        Server = server;
        Options = options;
    }

    public StorageNodeServer Server { get; }
    public StorageNodeOptions Options { get; }
    public string DocRoot => Options.DocRoot;
    public IPEndPoint Http => Server.HttpEndPoint;
    public IPEndPoint Mgmt => Server.MgmtEndPoint;
    public string Logs => _logs.Dump();

    public static async Task<Node> StartAsync(Action<StorageNodeOptions>? configure = null, string? docRoot = null)
    {
        var dir = new TempDirectory("mogstored-test-");
        string root = docRoot ?? dir.CreateSubdirectory("docroot");
        Directory.CreateDirectory(Path.Combine(root, "dev1"));
        Directory.CreateDirectory(Path.Combine(root, "dev2"));
        var options = new StorageNodeOptions
        {
            HttpListen = "127.0.0.1:0",
            MgmtListen = "127.0.0.1:0",
            DocRoot = root,
            UsageInterval = TimeSpan.Zero,
            IoStat = false,
            ShutdownGrace = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        var logs = new CapturingLoggerProvider();
        var server = new StorageNodeServer(options, logs.CreateFactory());
        var node = new Node(dir, server, options, logs);
        try { await server.StartAsync(); }
        catch { dir.Dispose(); throw; }
        return node;
    }

    public string PathOf(string urlPath) => DocRoot + urlPath;

    public void WriteFile(string urlPath, string content) => WriteFile(urlPath, Encoding.UTF8.GetBytes(content));

    public void WriteFile(string urlPath, byte[] content)
    {
        string p = PathOf(urlPath);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllBytes(p, content);
    }

    public HttpClient Client() => new() { BaseAddress = new Uri($"http://{Http}"), Timeout = TimeSpan.FromSeconds(20) };

    public async ValueTask DisposeAsync()
    {
        await Server.AbortAsync().WaitAsync(TimeSpan.FromSeconds(20));
        _dir.Dispose();
    }
}

/// <summary>Raw byte-level exchanges, like the captured transcripts.</summary>
public static class Raw
{
    /// <summary>Sends <paramref name="request"/> and reads until the server closes
    /// (suffix "&lt;&lt;EOF&gt;&gt;") or is quiet for <paramref name="quietMs"/> (suffix "&lt;&lt;TIMEOUT&gt;&gt;").</summary>
    public static async Task<string> ExchangeAsync(IPEndPoint ep, string request, int quietMs = 300)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(ep);
        try { await s.SendAsync(Encoding.Latin1.GetBytes(request), SocketFlags.None); }
        catch (SocketException) { } // the server may answer (and close) before the whole request is sent
        return await ReadAllAsync(s, quietMs);
    }

    /// <remarks>The first byte may take up to <paramref name="firstByteMs"/> (a loaded CI machine);
    /// after that, <paramref name="quietMs"/> of silence ends the read.</remarks>
    public static async Task<string> ReadAllAsync(Socket s, int quietMs = 300, int totalMs = 15000, int firstByteMs = 10000)
    {
        var sb = new StringBuilder();
        var buf = new byte[65536];
        var deadline = DateTime.UtcNow.AddMilliseconds(totalMs);
        while (DateTime.UtcNow < deadline)
        {
            using var cts = new CancellationTokenSource(sb.Length == 0 ? Math.Max(quietMs, firstByteMs) : quietMs);
            int n;
            try { n = await s.ReceiveAsync(buf, SocketFlags.None, cts.Token); }
            catch (OperationCanceledException) { return sb + "<<TIMEOUT>>"; }
            catch (SocketException) { return sb + "<<RESET>>"; }
            if (n == 0) return sb + "<<EOF>>";
            sb.Append(Encoding.Latin1.GetString(buf, 0, n));
        }
        return sb + "<<TIMEOUT>>";
    }

    public static async Task<Socket> ConnectAsync(IPEndPoint ep)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(ep);
        return s;
    }

    public static Task SendAsync(Socket s, string data) => s.SendAsync(Encoding.Latin1.GetBytes(data), SocketFlags.None);

    /// <summary>Replaces Date/Last-Modified values (they depend on the clock) with a marker.</summary>
    public static string NormalizeDates(string response) =>
        System.Text.RegularExpressions.Regex.Replace(response,
            @"(Date|Last-Modified): [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", "$1: <date>");

    /// <summary>Reads one line from the side channel connection ("\r\n" kept).</summary>
    public static async Task<string> ReadLineAsync(Socket s, int timeoutMs = 10000)
    {
        var sb = new StringBuilder();
        var one = new byte[1];
        using var cts = new CancellationTokenSource(timeoutMs);
        while (true)
        {
            int n = await s.ReceiveAsync(one, SocketFlags.None, cts.Token);
            if (n == 0) return sb.Length == 0 ? "<<EOF>>" : sb.ToString();
            sb.Append((char)one[0]);
            if (one[0] == '\n') return sb.ToString();
        }
    }
}
