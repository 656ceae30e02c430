using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using MogileFS.Core.Model;

namespace MogileFS.Tracker.Jobs;

public enum CopyResultKind { Ok, SourceError, DestinationError }

/// <summary>Result of a storage-to-storage copy; <see cref="Digest"/> is set when a digest was computed.</summary>
public readonly record struct JobCopyResult(CopyResultKind Kind, string Error, byte[]? Digest)
{
    public bool Ok => Kind == CopyResultKind.Ok;
}

/// <summary>
/// The storage-node HTTP requests of the background jobs (jobs.md §3.2, §5.3, §7): usage GETs, test
/// writes, DELETEs and the streaming GET→PUT copy of replication. One pooled keep-alive client per
/// tracker; timeouts per request. Connection failures come back as status -1 (never exceptions).
/// </summary>
public sealed class JobStorageClient : IDisposable
{
    private readonly HttpClient _http;

    public JobStorageClient(TimeSpan connectTimeout, int maxConnectionsPerNode = 64)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout > TimeSpan.Zero ? connectTimeout : TimeSpan.FromSeconds(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
            MaxConnectionsPerServer = maxConnectionsPerNode,
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("MogileFS-Tracker-NET/2.73");
    }

    public static string Url(string ip, int port, string path) =>
        "http://" + ip + ":" + port.ToString(CultureInfo.InvariantCulture) + path;

    /// <summary>GET a small body (usage file, test-write readback). Status -1 with the error text on failure.</summary>
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

    /// <summary>PUT a small body; optional Content-MD5 (raw digest). Status -1 on connection failure.</summary>
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

    /// <summary>DELETE; connection failures and timeouts come back as 500 (as 2.73 reports them).</summary>
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

    /// <summary>
    /// jobs.md §5.3: GET the source (Content-Length must be <paramref name="length"/>), PUT it to the
    /// destination while feeding <paramref name="digestType"/> (when not None), in blocks of at most
    /// 1 MiB; each source read may take up to <paramref name="readTimeout"/>. Failures are attributed to
    /// the side they happened on.
    /// </summary>
    public async Task<JobCopyResult> CopyAsync(string srcUrl, string dstUrl, long length, HashType digestType, byte[]? contentMd5,
        TimeSpan connectTimeout, TimeSpan readTimeout, CancellationToken ct)
    {
        HttpResponseMessage src;
        try
        {
            using var headCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            headCts.CancelAfter(readTimeout);
            src = await _http.GetAsync(srcUrl, HttpCompletionOption.ResponseHeadersRead, headCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(CopyResultKind.SourceError, $"GET {srcUrl} timed out", null);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or UriFormatException)
        {
            return new(CopyResultKind.SourceError, $"Error: Resource {srcUrl} failed to return an HTTP response: {e.Message}", null);
        }
        using (src)
        {
            int code = (int)src.StatusCode;
            if (code < 200 || code > 299)
                return new(CopyResultKind.SourceError, $"Error: Resource {srcUrl} failed with HTTP status {code}", null);
            long? clen = src.Content.Headers.ContentLength;
            if (clen != length)
                return new(CopyResultKind.SourceError, $"File {srcUrl} has unexpected content-length of {clen?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}, not {length}", null);
            using var hasher = digestType == HashType.None ? null : IncrementalHash.CreateHash(digestType == HashType.SHA1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.MD5);
            Stream body;
            try
            {
                body = await src.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                return new(CopyResultKind.SourceError, $"GET {srcUrl}: {e.Message}", null);
            }
            await using (body)
            {
                var content = new RelayContent(body, length, hasher, readTimeout);
                try
                {
                    using var put = new HttpRequestMessage(HttpMethod.Put, dstUrl) { Content = content };
                    content.Headers.ContentLength = length;
                    if (contentMd5 is { Length: 16 }) content.Headers.ContentMD5 = contentMd5;
                    // The whole PUT (body and answer) must finish at 1 MiB/s or better plus one read timeout,
                    // so a destination that stops answering cannot hold the fid forever.
                    using var putCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    putCts.CancelAfter(readTimeout + TimeSpan.FromSeconds(length / (double)(1 << 20)));
                    using var res = await _http.SendAsync(put, HttpCompletionOption.ResponseContentRead, putCts.Token).ConfigureAwait(false);
                    if (content.SourceError != null) return new(CopyResultKind.SourceError, content.SourceError, null);
                    int pc = (int)res.StatusCode;
                    if (pc < 200 || pc > 299) // the whole body went out: its digest is known (the source may be the culprit)
                        return new(CopyResultKind.DestinationError, $"Got HTTP status code {pc} PUTing to {dstUrl}", hasher?.GetHashAndReset());
                    return new(CopyResultKind.Ok, "", hasher?.GetHashAndReset());
                }
                catch (Exception e) when (e is HttpRequestException or IOException or SocketException or UriFormatException
                                              || (e is OperationCanceledException && !ct.IsCancellationRequested))
                {
                    if (content.SourceError != null) return new(CopyResultKind.SourceError, content.SourceError, null);
                    return new(CopyResultKind.DestinationError, $"PUT {dstUrl} failed: {e.Message}", null);
                }
            }
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Request body that relays the source response, hashing as it goes; records source failures.</summary>
    private sealed class RelayContent(Stream source, long length, IncrementalHash? hasher, TimeSpan readTimeout) : HttpContent
    {
        public string? SourceError { get; private set; }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var buf = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(length, 1, 1 << 20));
            try
            {
                long done = 0;
                while (done < length)
                {
                    int n;
                    using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                    {
                        cts.CancelAfter(readTimeout);
                        try
                        {
                            n = await source.ReadAsync(buf.AsMemory(0, (int)Math.Min(buf.Length, length - done)), cts.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                        {
                            SourceError = $"source read timed out after {done} of {length} bytes";
                            throw new IOException(SourceError);
                        }
                        catch (Exception e) when (e is IOException or HttpRequestException)
                        {
                            SourceError = $"source read failed after {done} of {length} bytes: {e.Message}";
                            throw new IOException(SourceError, e);
                        }
                    }
                    if (n == 0)
                    {
                        SourceError = $"source ended after {done} of {length} bytes";
                        throw new IOException(SourceError);
                    }
                    hasher?.AppendData(buf, 0, n);
                    await stream.WriteAsync(buf.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                    done += n;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buf);
            }
        }

        protected override bool TryComputeLength(out long len)
        {
            len = length;
            return true;
        }
    }
}
