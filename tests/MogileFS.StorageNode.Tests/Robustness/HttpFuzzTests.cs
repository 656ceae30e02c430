using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MogileFS.StorageNode.Tests.Support;
using Xunit.Abstractions;

namespace MogileFS.StorageNode.Tests.Robustness;

/// <summary>
/// The standing robustness suite for the storage node's HTTP server: generated and random
/// requests, traversal through every encoding and through symlinks at every depth, half-closed
/// sockets and connection floods, against one real node. Each case checks that the answer is
/// well-formed HTTP (or a closed connection), that nothing outside the docroot changed or leaked,
/// and, per test, that the node still serves a normal client and its memory stayed bounded.
/// Bounded in time: a few hundred cases, seconds in all.
/// </summary>
[Trait("Category", "Robustness")]
public sealed class HttpFuzzTests : IAsyncLifetime
{
    private const string Secret = "TOP-SECRET-CONTENT";
    private readonly ITestOutputHelper _output;
    private Node _node = null!;
    private string _outside = null!;

    public HttpFuzzTests(ITestOutputHelper output) => _output = output;

    public async Task InitializeAsync()
    {
        _node = await Node.StartAsync(o => o.HeaderTimeout = TimeSpan.FromSeconds(2));
        _outside = Path.GetDirectoryName(_node.DocRoot)!;
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), Secret);
        Directory.CreateDirectory(Path.Combine(_outside, "outdir"));
        File.WriteAllText(Path.Combine(_outside, "outdir", "secret.txt"), Secret);
        // Symlinks leaving the docroot at every depth below a device, absolute and relative.
        string dir = _node.PathOf("/dev1");
        for (int depth = 1; depth <= 4; depth++)
        {
            dir = Path.Combine(dir, "d" + depth);
            Directory.CreateDirectory(dir);
            Directory.CreateSymbolicLink(Path.Combine(dir, "out"), Path.Combine(_outside, "outdir"));
            Directory.CreateSymbolicLink(Path.Combine(dir, "up"), string.Concat(Enumerable.Repeat("../", depth + 2)) + "outdir");
            File.CreateSymbolicLink(Path.Combine(dir, "sec"), Path.Combine(_outside, "secret.txt"));
        }
        Directory.CreateSymbolicLink(_node.PathOf("/dev2/out"), Path.Combine(_outside, "outdir"));
        _node.WriteFile("/dev2/ok/file.fid", "fine");
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private static readonly string[] Segments =
    [
        "..", ".", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "..%2f", "%2f..", "..%5c", "..\\", "%00", "%252e%252e",
        "%c0%ae%c0%ae", "..;", "", "dev1", "dev2", "d1", "d2", "d3", "d4", "out", "up", "sec", "x", "new.fid",
        "0", "000", "%2fetc", "~", "*",
    ];

    private static readonly Gen<string> Paths =
        Gen.ListOf(Gen.Elements(Segments)).Select(l => "/" + string.Join("/", l.Take(10)));

    private static readonly Gen<string> Methods = Gen.Elements("GET", "HEAD", "PUT", "DELETE", "MKCOL", "get", "POST", "PUT ", "");

    private static readonly Gen<string> Versions = Gen.Elements("HTTP/1.0", "HTTP/1.1", "HTTP/1.1", "HTTP/2.0", "HTTP/1.x", "http/1.0", "");

    private static readonly Gen<string> Headers = Gen.Elements(
        "Content-Length: 4", "Content-Length: 0", "Content-Length: -1", "Content-Length: abc",
        "Content-Length: 99999999999999999999", "Content-Length: 4, 5", "Transfer-Encoding: chunked",
        "Transfer-Encoding: gzip", "Connection: close", "Connection: keep-alive", "Expect: 100-continue",
        "Range: bytes=0-1", "Range: bytes=-5", "Range: bytes=9-1", "Content-MD5: xxxx", "Host: x",
        " folded: line", "NoColon", ": empty-name", "X-Nul: \0", "X-High: \u00ff\u00fe");

    private static readonly Gen<string> Bodies = Gen.Elements("", "EVIL", "4\r\nEVIL\r\n0\r\n\r\n", "zz\r\n", "0\r\n\r\n");

    private static readonly Gen<string> Requests =
        from m in Methods
        from p in Paths
        from v in Versions
        from hs in Gen.ListOf(Headers)
        from b in Bodies
        select $"{m} {p} {v}\r\n{string.Join("", hs.Take(6).Select(h => h + "\r\n"))}\r\n{b}";

    /// <summary>Everything outside the docroot, with sizes (the secrets must never change).</summary>
    private string Outside() => string.Join("\n",
        Directory.EnumerateFileSystemEntries(_outside, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(p => !p.StartsWith(_node.DocRoot + "/", StringComparison.Ordinal) && p != _node.DocRoot)
            .Select(p => p + ":" + (File.Exists(p) ? new FileInfo(p).Length : -1))
            .Order(StringComparer.Ordinal));

    private static bool WellFormed(string response) =>
        response is "<<EOF>>" or "<<RESET>>"
        || System.Text.RegularExpressions.Regex.IsMatch(response, @"^HTTP/1\.[01] [1-5]\d\d ");

    private async Task AssertHealthyAsync(string before, long memoryBefore)
    {
        Assert.EndsWith("\r\n\r\nfine<<EOF>>", await Raw.ExchangeAsync(_node.Http, "GET /dev2/ok/file.fid HTTP/1.0\r\n\r\n"));
        Assert.Equal(before, Outside());
        Assert.Equal(Secret, File.ReadAllText(Path.Combine(_outside, "secret.txt")));
        Assert.Equal(Secret, File.ReadAllText(Path.Combine(_outside, "outdir", "secret.txt")));
        long grown = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;
        _output.WriteLine($"managed heap grew by {grown / 1024} KiB");
        Assert.True(grown < 64L * 1024 * 1024, $"managed heap grew by {grown} bytes");
    }

    /// <summary>One request on its own connection; a server that waits for more (an incomplete
    /// head) is not waited for long.</summary>
    private string Exchange(string request)
    {
        using var s = Raw.ConnectAsync(_node.Http).GetAwaiter().GetResult();
        try { Raw.SendAsync(s, request).GetAwaiter().GetResult(); } catch (SocketException) { }
        // A complete head must be answered: give a busy machine time for the first byte. An
        // incomplete one is expected to get no answer yet; don't wait long for it.
        bool complete = request.Contains("\r\n\r\n", StringComparison.Ordinal);
        return Raw.ReadAllAsync(s, quietMs: 100, totalMs: complete ? 5000 : 3000, firstByteMs: complete ? 4000 : 300).GetAwaiter().GetResult();
    }

    private static void Check<T>(Gen<T> gen, int count, Func<T, bool> property) =>
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(count), Prop.ForAll(Arb.From(gen), property));

    [Fact]
    public async Task Generated_requests_get_well_formed_answers_and_never_escape()
    {
        string before = Outside();
        long memory = GC.GetTotalMemory(true);
        Check(Requests, 300, request =>
        {
            string r = Exchange(request);
            return (WellFormed(r) || (r == "<<TIMEOUT>>" && !request.Contains("\r\n\r\n", StringComparison.Ordinal))) && !r.Contains(Secret, StringComparison.Ordinal);
        });
        await AssertHealthyAsync(before, memory);
    }

    [Fact]
    public async Task Random_bytes_get_well_formed_answers()
    {
        string before = Outside();
        long memory = GC.GetTotalMemory(true);
        var bytes = Gen.ArrayOf(Gen.Choose(0, 255).Select(i => (byte)i));
        var withHead = bytes.Select(b => Encoding.Latin1.GetString(b) + "\r\n\r\n");
        Check(Gen.OneOf(withHead, Requests.SelectMany(r => bytes.Select(b => r[..(r.Length / 2)] + Encoding.Latin1.GetString(b) + "\r\n\r\n"))), 200, request =>
        {
            string r = Exchange(request);
            return WellFormed(r) || r == "<<TIMEOUT>>"; // an incomplete head waits for more (then header_timeout)
        });
        await AssertHealthyAsync(before, memory);
    }

    [Fact]
    public async Task Traversal_through_every_encoding_and_symlinks_at_every_depth_writes_nothing_outside()
    {
        string before = Outside();
        long memory = GC.GetTotalMemory(true);
        Check(Paths.Zip(Gen.Elements("PUT", "DELETE", "GET")), 400, t =>
        {
            var (path, method) = t;
            string body = method == "PUT" ? "Content-Length: 4\r\n\r\nEVIL" : "\r\n";
            string r = Exchange($"{method} {path} HTTP/1.0\r\n{body}");
            return WellFormed(r) && !r.Contains(Secret, StringComparison.Ordinal) && Outside() == before;
        });
        // And every symlink by name, at every depth, for every method.
        for (int depth = 1; depth <= 4; depth++)
        {
            string dir = "/dev1/" + string.Join("/", Enumerable.Range(1, depth).Select(i => "d" + i));
            foreach (var target in new[] { $"{dir}/out/secret.txt", $"{dir}/up/secret.txt", $"{dir}/sec", $"{dir}/out/new.fid", $"{dir}/up/new.fid" })
            {
                foreach (var m in new[] { "PUT", "DELETE", "GET" })
                {
                    string body = m == "PUT" ? "Content-Length: 4\r\n\r\nEVIL" : "\r\n";
                    string r = await Raw.ExchangeAsync(_node.Http, $"{m} {target} HTTP/1.0\r\n{body}", quietMs: 100);
                    Assert.DoesNotContain(Secret, r);
                    Assert.Equal(before, Outside());
                }
            }
        }
        await AssertHealthyAsync(before, memory);
    }

    [Fact]
    public async Task Half_closed_sockets_are_answered_and_closed_and_cut_uploads_discarded()
    {
        string before = Outside();
        long memory = GC.GetTotalMemory(true);
        // A complete request, then FIN: answered, then closed.
        using (var s = await Raw.ConnectAsync(_node.Http))
        {
            await Raw.SendAsync(s, "GET /dev2/ok/file.fid HTTP/1.1\r\n\r\n");
            s.Shutdown(SocketShutdown.Send);
            var r = await Raw.ReadAllAsync(s);
            Assert.StartsWith("HTTP/1.0 200", r);
            Assert.EndsWith("fine<<EOF>>", r);
        }
        // Half a head, then FIN; half a body, then FIN: closed, nothing kept.
        foreach (var partial in new[] { "GET /dev2/ok/fi", "PUT /dev2/half/x.fid HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc" })
        {
            using var s = await Raw.ConnectAsync(_node.Http);
            await Raw.SendAsync(s, partial);
            s.Shutdown(SocketShutdown.Send);
            Assert.EndsWith("<<EOF>>", await Raw.ReadAllAsync(s, quietMs: 3000));
        }
        await Task.Delay(200);
        Assert.True(!Directory.Exists(_node.PathOf("/dev2/half")) || Directory.GetFileSystemEntries(_node.PathOf("/dev2/half")).Length == 0);
        await AssertHealthyAsync(before, memory);
    }

    [Fact]
    public async Task Connection_flood_above_the_limits_is_refused_and_recovers()
    {
        string before = Outside();
        long memory = GC.GetTotalMemory(true);
        var flood = new List<Socket>();
        await using var small = await Node.StartAsync(o => o.MaxConns = 300);
        try
        {
            int refused = 0;
            for (int i = 0; i < small.Options.EffectiveMaxConnsPerIp + 200; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.5"), 0));
                await s.ConnectAsync(small.Http);
                flood.Add(s);
            }
            await Task.Delay(500);
            foreach (var s in flood)
                if (s.Poll(0, SelectMode.SelectRead) && s.Available > 0) refused++;
            _output.WriteLine($"{refused} of {flood.Count} flood connections refused with 503 (maxconns_per_ip {small.Options.EffectiveMaxConnsPerIp})");
            Assert.True(refused >= 200, $"only {refused} refused");
            small.WriteFile("/dev2/ok/file.fid", "fine");
            var sw = Stopwatch.StartNew();
            Assert.EndsWith("fine<<EOF>>", await Raw.ExchangeAsync(small.Http, "GET /dev2/ok/file.fid HTTP/1.0\r\n\r\n"));
            _output.WriteLine($"a GET from another address during the flood: {sw.Elapsed.TotalMilliseconds:0.0} ms");
        }
        finally
        {
            foreach (var s in flood) s.Dispose();
        }
        await AssertHealthyAsync(before, memory);
    }
}
