using System.Buffers;
using System.Net;
using System.Security.Cryptography;

namespace MogileFS.Tracker.Storage;

/// <summary>
/// Request body of a copy: relays the source response in blocks of at most 1 MiB, hashing as it goes,
/// each read within a timeout. A source failure is recorded in <see cref="SourceError"/> (and thrown as
/// an IOException to abort the PUT), so the caller blames the source rather than the destination.
/// </summary>
internal sealed class RelayContent(Stream source, long length, IncrementalHash? hasher, TimeSpan readTimeout) : HttpContent
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
