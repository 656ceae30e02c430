using MogileFS.Core.Model;
using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using MogileFS.Tracker.Configuration;

namespace MogileFS.Tracker.Storage;

/// <summary>
/// The tracker's one storage-node client, shared by query commands and background jobs: HTTP through
/// one pooled <see cref="HttpClient"/> (keep-alive connections per node, like 2.73's connection pool)
/// and the side channel through a small pool of idle TCP connections per node. Timeouts: connect =
/// conn_timeout, each HEAD/MKCOL = node_timeout (tracker-protocol.md §11.5); both are validated here
/// once. The <see cref="TrackerServer"/> creates one and hands it to everything via the runtime.
/// </summary>
public sealed class StorageNodeClient : IStorageNodeClient, IDisposable
{
    private readonly HttpClient _http;
    private readonly TimeSpan _nodeTimeout;
    private readonly TimeSpan _connTimeout;
    private readonly int _streamPort;
    private readonly ConcurrentDictionary<string, ConcurrentBag<SideChannelConnection>> _sideChannels = new();
    private static readonly HttpMethod Mkcol = new("MKCOL");
    private const int MaxIdleSideChannels = 8;

    /// <summary>node_timeout and conn_timeout when unset or not positive (same default as MogileFS 2.73).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);

    public StorageNodeClient(TimeSpan nodeTimeout, TimeSpan connTimeout, int mogstoredStreamPort)
    {
        _nodeTimeout = nodeTimeout > TimeSpan.Zero ? nodeTimeout : DefaultTimeout;
        _connTimeout = connTimeout > TimeSpan.Zero ? connTimeout : DefaultTimeout;
        _streamPort = mogstoredStreamPort;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _connTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 64,
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("MogileFS-Tracker-NET/2.73");
    }

    /// <summary>The client for a tracker's options (node_timeout, conn_timeout, mogstored_stream_port).</summary>
    public static StorageNodeClient For(TrackerOptions options) =>
        new(TimeSpan.FromSeconds(options.NodeTimeoutSeconds), TimeSpan.FromSeconds(options.ConnTimeoutSeconds), options.MogstoredStreamPort);

    public TimeSpan NodeTimeout => _nodeTimeout;

    public TimeSpan ConnectTimeout => _connTimeout;

    /// <summary>http://ip:port/path</summary>
    public static string Url(string ip, int port, string path) =>
        "http://" + ip + ":" + port.ToString(CultureInfo.InvariantCulture) + path;

    private static Uri MakeUri(string ip, int port, string path) => new(Url(ip, port, path), UriKind.Absolute);

    public async Task<HeadResult> HeadAsync(string ip, int port, string path, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_nodeTimeout);
        try
        {
            using var req = new HttpRequestMessage(HttpMethod.Head, MakeUri(ip, port, path));
            using var res = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            int code = (int)res.StatusCode;
            if (code >= 200 && code <= 299)
            {
                if (res.Content.Headers.ContentLength is long len) return HeadResult.Found(len);
                // lighttpd 1.4 omits Content-Length for empty files (2.73 counts that as 0).
                foreach (var p in res.Headers.Server)
                    if (p.Product?.Name?.StartsWith("lighttpd", StringComparison.OrdinalIgnoreCase) == true)
                        return HeadResult.Found(0);
                return new HeadResult(HeadStatus.CantReach, 0, $"HEAD {path} on {ip}:{port} returned no Content-Length");
            }
            if (code == 404) return new HeadResult(HeadStatus.Missing, 0, $"HEAD {path} on {ip}:{port} returned 404");
            return new HeadResult(HeadStatus.CantReach, 0, $"Failed HEAD check for http://{ip}:{port}{path} ({code}): {res.ReasonPhrase}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new HeadResult(HeadStatus.CantReach, 0, $"HEAD http://{ip}:{port}{path} timed out after {_nodeTimeout.TotalSeconds:0.###}s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or UriFormatException)
        {
            return new HeadResult(HeadStatus.CantReach, 0, $"HEAD http://{ip}:{port}{path} failed: {e.Message}");
        }
    }

    public async Task<MkcolStatus> MkcolAsync(string ip, int port, string dir, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_nodeTimeout);
        try
        {
            using var req = new HttpRequestMessage(Mkcol, MakeUri(ip, port, dir));
            req.Content = new ByteArrayContent(Array.Empty<byte>());
            using var res = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            int code = (int)res.StatusCode;
            if (code >= 200 && code <= 299) return MkcolStatus.Created;
            // 405 = "already exists" on WebDAV servers (nginx, Apache): the directory is there.
            if (code == 405) return MkcolStatus.Created;
            if (code == 400 || code == 501) return MkcolStatus.NotSupported;
            return MkcolStatus.Failed;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return MkcolStatus.Failed; }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or UriFormatException) { return MkcolStatus.Failed; }
    }

    public Task<DigestResult> DigestAsync(string ip, int httpPort, string path, HashType alg, long expectedSize, CancellationToken ct = default) =>
        DigestCoreAsync(ip, httpPort, path, alg, expectedSize, null, ct);

    public Task<DigestResult> FsckDigestAsync(string ip, int httpPort, string path, HashType alg, long expectedSize, CancellationToken ct = default) =>
        DigestCoreAsync(ip, httpPort, path, alg, expectedSize, "fsck", ct);

    private async Task<DigestResult> DigestCoreAsync(string ip, int httpPort, string path, HashType alg, long expectedSize, string? reason, CancellationToken ct)
    {
        var side = await SideChannelDigestAsync(ip, path, alg, expectedSize, ct, reason).ConfigureAwait(false);
        if (side.Status == DigestStatus.Ok) return side;
        var http = await HttpDigestAsync(ip, httpPort, path, alg, ct).ConfigureAwait(false);
        if (http.Status != DigestStatus.Ok && side.Error.Length > 0)
            return http with { Error = http.Error + "; side channel: " + side.Error };
        return http;
    }

    private async Task<DigestResult> HttpDigestAsync(string ip, int port, string path, HashType alg, CancellationToken ct)
    {
        try
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, MakeUri(ip, port, path));
            using var connectCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            connectCts.CancelAfter(_nodeTimeout);
            using var res = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, connectCts.Token).ConfigureAwait(false);
            int code = (int)res.StatusCode;
            if (code == 404) return new DigestResult(DigestStatus.Missing, null, $"GET {path} on {ip}:{port} returned 404");
            if (code < 200 || code > 299)
                return new DigestResult(DigestStatus.Failed, null, $"Failed {HashTypes.Name(alg)} (GET) check for http://{ip}:{port}{path} ({code})");
            using var hasher = HashTypes.CreateHasher(alg);
            await using var body = await res.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buf = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                while (true)
                {
                    // Each read must make progress within node_timeout; a large file may take long in total.
                    using var readCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    readCts.CancelAfter(_nodeTimeout);
                    int n = await body.ReadAsync(buf.AsMemory(0, buf.Length), readCts.Token).ConfigureAwait(false);
                    if (n == 0) break;
                    hasher.AppendData(buf, 0, n);
                }
            }
            finally { ArrayPool<byte>.Shared.Return(buf); }
            return new DigestResult(DigestStatus.Ok, hasher.GetHashAndReset(), "");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new DigestResult(DigestStatus.Failed, null, $"GET http://{ip}:{port}{path} timed out");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or UriFormatException)
        {
            return new DigestResult(DigestStatus.Failed, null, $"GET http://{ip}:{port}{path} failed: {e.Message}");
        }
    }

    private async Task<DigestResult> SideChannelDigestAsync(string ip, string path, HashType alg, long expectedSize, CancellationToken ct, string? reason = null)
    {
        if (_streamPort <= 0) return new DigestResult(DigestStatus.Failed, null, "");
        string algName = HashTypes.Name(alg);
        var deadline = TimeSpan.FromSeconds(Math.Max(0, expectedSize) / (2.0 * 1024 * 1024)) + _nodeTimeout;
        if (reason == "fsck") deadline += TimeSpan.FromHours(1); // queued behind other fsck digests on the node
        string key = ip + ":" + _streamPort.ToString(CultureInfo.InvariantCulture);
        var bag = _sideChannels.GetOrAdd(key, _ => new ConcurrentBag<SideChannelConnection>());
        // A pooled connection may have been closed by the node meanwhile: retry once on a fresh one.
        for (int attempt = 0; attempt < 2; attempt++)
        {
            bool pooled = bag.TryTake(out var conn);
            try
            {
                if (!pooled)
                {
                    conn = await SideChannelConnection.ConnectAsync(ip, _streamPort, _connTimeout, ct).ConfigureAwait(false);
                }
                string? line = await conn!.RequestAsync(algName + " " + path + (reason is null ? "" : " " + reason) + "\r\n", deadline, ct).ConfigureAwait(false);
                if (line is null)
                {
                    conn.Dispose();
                    if (pooled) continue;
                    return new DigestResult(DigestStatus.Failed, null, "EOF from mogstored side channel");
                }
                var result = ParseDigestLine(line, path, alg);
                if (bag.Count < MaxIdleSideChannels) bag.Add(conn); else conn.Dispose();
                return result;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                conn?.Dispose();
                return new DigestResult(DigestStatus.Failed, null, $"side channel {key}: {algName} {path} timed out");
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                conn?.Dispose();
                if (pooled) continue;
                return new DigestResult(DigestStatus.Failed, null, $"side channel {key}: {e.Message}");
            }
        }
        return new DigestResult(DigestStatus.Failed, null, $"side channel {key} unavailable");
    }

    /// <summary>Parses a side-channel digest reply (storage-node.md §5.2): <c>&lt;uri&gt; &lt;ALG&gt;=&lt;hex&gt;</c>, <c>=-1</c> = missing.</summary>
    public static DigestResult ParseDigestLine(string line, string path, HashType alg)
    {
        string prefix = path + " " + HashTypes.Name(alg) + "=";
        if (line.StartsWith(prefix, StringComparison.Ordinal))
        {
            var rest = line.AsSpan(prefix.Length);
            if (rest.SequenceEqual("-1")) return new DigestResult(DigestStatus.Missing, null, "side channel: file missing");
            bool lowerHex = rest.Length == 2 * HashTypes.DigestLength(alg);
            foreach (char c in rest) if (!(char.IsAsciiDigit(c) || (c >= 'a' && c <= 'f'))) { lowerHex = false; break; }
            if (lowerHex) return new DigestResult(DigestStatus.Ok, Convert.FromHexString(rest), "");
        }
        if (line.StartsWith("ERROR", StringComparison.Ordinal))
            return new DigestResult(DigestStatus.Failed, null, ""); // old server: silently fall back to HTTP
        return new DigestResult(DigestStatus.Failed, null, "mogstored failed to handle (" + HashTypes.Name(alg) + " " + path + "): " + line);
    }

    /// <summary>The copy of httpcopy (<see cref="CopyOptions.ForCommand"/>).</summary>
    public Task<CopyResult> CopyAsync(string srcUrl, string dstUrl, long expectedLength, byte[]? contentMd5, CancellationToken ct = default) =>
        CopyAsync(srcUrl, dstUrl, expectedLength, contentMd5, CopyOptions.ForCommand(_nodeTimeout), ct);

    public async Task<CopyResult> CopyAsync(string srcUrl, string dstUrl, long expectedLength, byte[]? contentMd5, CopyOptions options, CancellationToken ct = default)
    {
        HttpResponseMessage src;
        try
        {
            using var headCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            headCts.CancelAfter(options.SourceHeaderTimeout);
            src = await _http.GetAsync(srcUrl, HttpCompletionOption.ResponseHeadersRead, headCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(CopyStatus.SourceError, $"GET {srcUrl} timed out");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or UriFormatException)
        {
            return new(CopyStatus.SourceError, $"Error: Resource {srcUrl} failed to return an HTTP response: {e.Message}");
        }
        using (src)
        {
            int code = (int)src.StatusCode;
            if (code < 200 || code > 299)
                return new(CopyStatus.SourceError, $"Error: Resource {srcUrl} failed with HTTP status {code}");
            long? clen = src.Content.Headers.ContentLength;
            if (clen != expectedLength)
                return new(CopyStatus.SourceError, $"File {srcUrl} has unexpected content-length of {clen?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}, not {expectedLength}");
            using var hasher = options.Digest == HashType.None ? null : HashTypes.CreateHasher(options.Digest);
            Stream body;
            try
            {
                body = await src.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                return new(CopyStatus.SourceError, $"GET {srcUrl}: {e.Message}");
            }
            await using (body)
            {
                var content = new RelayContent(body, expectedLength, hasher, options.SourceReadTimeout);
                try
                {
                    using var put = new HttpRequestMessage(HttpMethod.Put, dstUrl) { Content = content };
                    content.Headers.ContentLength = expectedLength;
                    if (contentMd5 is { Length: 16 }) content.Headers.ContentMD5 = contentMd5;
                    // A bounded PUT (body and answer) must finish at 1 MiB/s or better plus one read timeout,
                    // so a destination that stops answering cannot hold the fid forever.
                    using var putCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    if (options.BoundedPut)
                        putCts.CancelAfter(options.SourceReadTimeout + TimeSpan.FromSeconds(expectedLength / (double)(1 << 20)));
                    using var res = await _http.SendAsync(put, HttpCompletionOption.ResponseContentRead, putCts.Token).ConfigureAwait(false);
                    if (content.SourceError != null) return new(CopyStatus.SourceError, content.SourceError);
                    int pc = (int)res.StatusCode;
                    if (pc < 200 || pc > 299) // the whole body went out: its digest is known (the source may be the culprit)
                        return new(CopyStatus.DestinationError, $"Got HTTP status code {pc} PUTing to {dstUrl}", hasher?.GetHashAndReset());
                    return new(CopyStatus.Ok, "", hasher?.GetHashAndReset());
                }
                catch (Exception e) when (e is HttpRequestException or IOException or SocketException or UriFormatException
                                              || (e is OperationCanceledException && !ct.IsCancellationRequested))
                {
                    if (content.SourceError != null) return new(CopyStatus.SourceError, content.SourceError);
                    return new(CopyStatus.DestinationError, $"PUT {dstUrl} failed: {e.Message}");
                }
            }
        }
    }

    public async Task<(int Status, byte[] Body, string Error)> GetSmallAsync(string url, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var res = await _http.GetAsync(url, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
            var body = await res.Content.ReadAsByteArrayAsync(cts.Token).ConfigureAwait(false);
            return ((int)res.StatusCode, body, res.IsSuccessStatusCode ? "" : $"HTTP {(int)res.StatusCode}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (-1, [], "timeout");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or UriFormatException)
        {
            return (-1, [], e.Message);
        }
    }

    public async Task<int> PutSmallAsync(string url, byte[] body, byte[]? contentMd5, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var req = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent(body) };
            if (contentMd5 != null) req.Content.Headers.ContentMD5 = contentMd5;
            using var res = await _http.SendAsync(req, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
            return (int)res.StatusCode;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return -1; }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or UriFormatException) { return -1; }
    }

    public async Task<(int Status, string Error)> DeleteAsync(string url, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var req = new HttpRequestMessage(HttpMethod.Delete, url);
            using var res = await _http.SendAsync(req, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
            return ((int)res.StatusCode, res.ReasonPhrase ?? "");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return (500, "timeout"); }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or UriFormatException) { return (500, e.Message); }
    }

    public void Dispose()
    {
        _http.Dispose();
        foreach (var bag in _sideChannels.Values)
            while (bag.TryTake(out var c)) c.Dispose();
    }

    /// <summary>One line-oriented connection to a node's side channel.</summary>
    private sealed class SideChannelConnection : IDisposable
    {
        private readonly Socket _socket;
        private readonly byte[] _buf = new byte[4096];
        private int _len;

        private SideChannelConnection(Socket s) { _socket = s; }

        public static async Task<SideChannelConnection> ConnectAsync(string ip, int port, TimeSpan timeout, CancellationToken ct)
        {
            var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                cts.CancelAfter(timeout);
                await s.ConnectAsync(ip, port, cts.Token).ConfigureAwait(false);
                return new SideChannelConnection(s);
            }
            catch
            {
                s.Dispose();
                throw;
            }
        }

        /// <summary>Sends one request and reads one CRLF line; null on EOF.</summary>
        public async Task<string?> RequestAsync(string request, TimeSpan deadline, CancellationToken ct)
        {
            _len = 0;
            var bytes = Encoding.Latin1.GetBytes(request);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(deadline);
            await _socket.SendAsync(bytes, SocketFlags.None, cts.Token).ConfigureAwait(false);
            while (true)
            {
                int nl = Array.IndexOf(_buf, (byte)'\n', 0, _len);
                if (nl >= 0)
                {
                    int end = nl > 0 && _buf[nl - 1] == (byte)'\r' ? nl - 1 : nl;
                    return Encoding.Latin1.GetString(_buf, 0, end);
                }
                if (_len == _buf.Length) throw new IOException("side channel line too long");
                int n = await _socket.ReceiveAsync(_buf.AsMemory(_len), SocketFlags.None, cts.Token).ConfigureAwait(false);
                if (n == 0) return null;
                _len += n;
            }
        }

        public void Dispose() => _socket.Dispose();
    }
}
