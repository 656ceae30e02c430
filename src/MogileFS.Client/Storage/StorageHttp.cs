using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace MogileFS.Client.Storage;

/// <summary>
/// HTTP to storage nodes. Transfers are streamed through one pooled buffer; a timer that is
/// re-armed on every chunk aborts a transfer that makes no progress for
/// <see cref="MogileFSClientOptions.StorageIdleTimeout"/>, without capping the total time.
/// </summary>
internal sealed class StorageHttp : IDisposable
{
    private readonly HttpMessageInvoker _http;
    private readonly MogileFSClientOptions _options;

    public StorageHttp(MogileFSClientOptions options)
    {
        _options = options;
        var handler = options.HttpHandler ?? new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = int.MaxValue,
            ConnectTimeout = options.StorageIdleTimeout,
            UseCookies = false,
        };
        _http = new HttpMessageInvoker(handler, disposeHandler: options.HttpHandler is null);
    }

    public sealed class PutOutcome
    {
        public long BytesSent;
        public bool SourceTouched;
        public string? Error;
        public int? Status;
    }

    /// <summary>
    /// PUTs from <paramref name="source"/> to <paramref name="url"/>: exactly <paramref name="length"/>
    /// bytes with Content-Length, or chunked until end of stream when the length is unknown.
    /// Returns normally on 2xx; on failure fills <see cref="PutOutcome.Error"/>.
    /// </summary>
    public async Task<PutOutcome> PutAsync(string url, Stream source, long? length, IncrementalHash? hash,
        IProgress<long>? progress, CancellationToken ct)
    {
        var outcome = new PutOutcome();
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        idle.CancelAfter(_options.StorageIdleTimeout);
        var content = new SourceContent(source, length, hash, progress, outcome, idle, _options);
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = content };
        request.Headers.ExpectContinue = false;
        try
        {
            using var response = await _http.SendAsync(request, idle.Token).ConfigureAwait(false);
            outcome.Status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
                outcome.Error = $"{(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();
            else if (length is { } l && outcome.BytesSent != l)
                outcome.Error = $"source stream ended after {outcome.BytesSent} of {l} bytes";
        }
        catch (Exception) when (content.SourceFailure is not null)
        {
            throw content.SourceFailure; // reading the caller's stream failed: not a node problem
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            outcome.Error = $"no progress for {_options.StorageIdleTimeout.TotalSeconds:0.#}s";
        }
        catch (HttpRequestException e) { outcome.Error = OneLine(e); }
        catch (IOException e) { outcome.Error = OneLine(e); }
        if (content.SourceFailure is { } sf) throw sf;
        return outcome;
    }

    public sealed class GetOutcome
    {
        public string? Error;
        public int? Status;
        public long? TotalLength;
    }

    /// <summary>
    /// GETs <paramref name="url"/> into <paramref name="destination"/>, starting at byte
    /// <paramref name="offset"/> (a Range request when non-zero, so a download that broke on one
    /// copy resumes on the next). Advances <paramref name="written"/> as bytes are written.
    /// </summary>
    public async Task<GetOutcome> GetAsync(string url, Stream destination, long offset, StrongBox<long> written,
        Action<long>? lengthKnown, IProgress<long>? progress, CancellationToken ct)
    {
        var outcome = new GetOutcome();
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        idle.CancelAfter(_options.StorageIdleTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
        byte[]? buffer = null;
        try
        {
            using var response = await _http.SendAsync(request, idle.Token).ConfigureAwait(false);
            outcome.Status = (int)response.StatusCode;
            long skip = 0;
            long? total;
            if (response.StatusCode == HttpStatusCode.OK)
            {
                total = response.Content.Headers.ContentLength;
                skip = offset; // the server ignored Range: discard what we already have
            }
            else if (response.StatusCode == HttpStatusCode.PartialContent && offset > 0)
            {
                total = response.Content.Headers.ContentRange?.Length;
                if (response.Content.Headers.ContentRange?.From != offset)
                {
                    outcome.Error = "206 with an unexpected Content-Range";
                    return outcome;
                }
            }
            else if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && offset > 0)
            {
                outcome.Error = $"416 copy is shorter than {offset} bytes";
                return outcome;
            }
            else
            {
                outcome.Error = $"{(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();
                return outcome;
            }
            outcome.TotalLength = total;
            if (total is { } t && offset == 0) lengthKnown?.Invoke(t);

            await using var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
            buffer = ArrayPool<byte>.Shared.Rent(_options.CopyBufferSize);
            long received = offset - skip;
            while (true)
            {
                idle.CancelAfter(_options.StorageIdleTimeout);
                int n = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                if (n == 0) break;
                int start = 0;
                if (skip > 0)
                {
                    int s = (int)Math.Min(skip, n);
                    skip -= s; start = s;
                    received += s;
                    if (start == n) continue;
                }
                idle.CancelAfter(_options.StorageIdleTimeout);
                await destination.WriteAsync(buffer.AsMemory(start, n - start), idle.Token).ConfigureAwait(false);
                received += n - start;
                written.Value = received;
                progress?.Report(received);
            }
            if (total is { } expected && received != expected)
                outcome.Error = $"connection ended after {received} of {expected} bytes";
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            outcome.Error = $"no progress for {_options.StorageIdleTimeout.TotalSeconds:0.#}s";
        }
        catch (HttpRequestException e) { outcome.Error = OneLine(e); }
        catch (IOException e) when (IsNetwork(e)) { outcome.Error = OneLine(e); }
        finally
        {
            if (buffer != null) ArrayPool<byte>.Shared.Return(buffer);
        }
        return outcome;
    }

    /// <summary>A HEAD request: status and Content-Length.</summary>
    public async Task<(int? Status, long? Length, string? LastModified, string? Error)> HeadAsync(string url, CancellationToken ct)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        idle.CancelAfter(_options.StorageIdleTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, url);
            using var response = await _http.SendAsync(request, idle.Token).ConfigureAwait(false);
            return ((int)response.StatusCode, response.Content.Headers.ContentLength,
                response.Content.Headers.LastModified?.ToString("r"), null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, null, null, "timed out");
        }
        catch (HttpRequestException e) { return (null, null, null, OneLine(e)); }
    }

    /// <summary>Sends a request and hands back the response (headers read, body streaming).</summary>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) => _http.SendAsync(request, ct);

    private static bool IsNetwork(IOException e) => e.InnerException is System.Net.Sockets.SocketException || e is HttpIOException;

    internal static string OneLine(Exception e)
    {
        var msg = e.InnerException is { } inner && inner.Message.Length > 0 ? $"{e.Message} ({inner.Message})" : e.Message;
        return msg.ReplaceLineEndings(" ");
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Streams the caller's data into the request body, hashing and counting as it goes.</summary>
    private sealed class SourceContent : HttpContent
    {
        private readonly Stream _source;
        private readonly long? _length;
        private readonly IncrementalHash? _hash;
        private readonly IProgress<long>? _progress;
        private readonly PutOutcome _outcome;
        private readonly CancellationTokenSource _idle;
        private readonly MogileFSClientOptions _options;

        public SourceContent(Stream source, long? length, IncrementalHash? hash, IProgress<long>? progress,
            PutOutcome outcome, CancellationTokenSource idle, MogileFSClientOptions options)
        {
            _source = source; _length = length; _hash = hash; _progress = progress;
            _outcome = outcome; _idle = idle; _options = options;
            Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            if (length is { } l) Headers.ContentLength = l;
        }

        public Exception? SourceFailure { get; private set; }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken ct)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(_options.CopyBufferSize);
            try
            {
                long remaining = _length ?? long.MaxValue;
                while (remaining > 0)
                {
                    int want = (int)Math.Min(buffer.Length, remaining);
                    int n;
                    try
                    {
                        _outcome.SourceTouched = true;
                        n = await _source.ReadAsync(buffer.AsMemory(0, want), ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        SourceFailure = new IOException($"reading the data to upload failed: {e.Message}", e);
                        throw SourceFailure;
                    }
                    if (n == 0) break;
                    _hash?.AppendData(buffer, 0, n);
                    _idle.CancelAfter(_options.StorageIdleTimeout);
                    await stream.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    remaining -= n;
                    _outcome.BytesSent += n;
                    _progress?.Report(_outcome.BytesSent);
                }
                if (_length is { } l && _outcome.BytesSent != l)
                {
                    // Abort the request rather than let the node wait for bytes that will never come.
                    SourceFailure = new MogileFSException("short_stream",
                        $"the stream ended after {_outcome.BytesSent} bytes but {l} were announced");
                    throw SourceFailure;
                }
                _idle.CancelAfter(_options.StorageIdleTimeout);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _length ?? 0;
            return _length is not null;
        }
    }
}
