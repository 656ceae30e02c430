using System.Net;
using System.Net.Http.Headers;
using MogileFS.Gateway.Mogile;

namespace MogileFS.Gateway.Uploads;

/// <summary>One stretch of a MogileFS file to read: its copies (best first) and the byte range.</summary>
/// <param name="Fid">The fid every path must name (a path of another fid means the key was replaced meanwhile).</param>
public sealed record FileSlice(IReadOnlyList<string> Paths, long Fid, long Offset, long Length);

/// <summary>
/// A read-only stream over slices of stored files, one after the other, straight from the storage
/// nodes: each slice is one ranged GET; when a copy fails (node down, error status, connection
/// broken mid-body) the read continues from the same byte on the next copy, so the stream either
/// yields exactly the bytes asked for or throws. Memory use is one HTTP response at a time.
/// Used to assemble a multipart object on Complete and to copy a source range for UploadPartCopy.
/// </summary>
public sealed class PartSource : ReadOnlyStream
{
    private readonly IReadOnlyList<FileSlice> _slices;
    private readonly HttpMessageInvoker _http;
    private readonly TimeSpan _idle;
    private int _slice;
    private int _pathIndex;
    private long _doneInSlice;
    private HttpResponseMessage? _response;
    private Stream? _body;
    private long _position;

    public PartSource(IReadOnlyList<FileSlice> slices, HttpMessageInvoker http, TimeSpan idleTimeout)
    {
        _slices = slices;
        _http = http;
        _idle = idleTimeout;
        TotalLength = slices.Sum(s => s.Length);
    }

    public long TotalLength { get; }

    /// <summary>Set when a source file could not be read from any copy.</summary>
    public sealed class SourceUnreadableException(string message) : IOException(message);

    public override long Length => TotalLength;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        while (true)
        {
            if (_slice >= _slices.Count || buffer.Length == 0) return 0;
            var slice = _slices[_slice];
            if (_doneInSlice == slice.Length)
            {
                CloseBody();
                _slice++;
                _pathIndex = 0;
                _doneInSlice = 0;
                continue;
            }
            if (_body is null) await OpenAsync(slice, ct).ConfigureAwait(false);
            int want = (int)Math.Min(buffer.Length, slice.Length - _doneInSlice);
            int n;
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                idle.CancelAfter(_idle);
                try
                {
                    n = await _body!.ReadAsync(buffer[..want], idle.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
                {
                    n = -1;
                }
            }
            if (n <= 0)
            {
                // Broken or ended early: continue this slice from the same byte on the next copy.
                CloseBody();
                _pathIndex++;
                continue;
            }
            _doneInSlice += n;
            _position += n;
            return n;
        }
    }

    private async Task OpenAsync(FileSlice slice, CancellationToken ct)
    {
        var errors = new List<string>();
        for (; _pathIndex < slice.Paths.Count; _pathIndex++)
        {
            string path = slice.Paths[_pathIndex];
            if (MogileAccess.FidOfPath(path) is { } f && f != slice.Fid)
            {
                errors.Add($"{path}: not fid {slice.Fid}");
                continue;
            }
            long from = slice.Offset + _doneInSlice, to = slice.Offset + slice.Length - 1;
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Range = new RangeHeaderValue(from, to);
            HttpResponseMessage? response = null;
            try
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                idle.CancelAfter(_idle);
                response = await _http.SendAsync(request, idle.Token).ConfigureAwait(false);
                bool whole = from == 0 && response.StatusCode == HttpStatusCode.OK
                             && response.Content.Headers.ContentLength == to + 1;
                bool ranged = response.StatusCode == HttpStatusCode.PartialContent
                              && response.Content.Headers.ContentRange is { From: { } rf, To: { } rt } && rf == from && rt == to;
                if (!whole && !ranged)
                {
                    errors.Add($"{path}: {(int)response.StatusCode} {response.ReasonPhrase}");
                    response.Dispose();
                    continue;
                }
                _response = response;
                _body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                response?.Dispose();
                errors.Add($"{path}: {e.Message}");
            }
            finally
            {
                request.Dispose();
            }
        }
        throw new SourceUnreadableException($"fid {slice.Fid} could not be read from any copy ({string.Join("; ", errors)})");
    }

    private void CloseBody()
    {
        _body?.Dispose();
        _body = null;
        _response?.Dispose();
        _response = null;
    }


    protected override void Dispose(bool disposing)
    {
        if (disposing) CloseBody();
        base.Dispose(disposing);
    }
}
