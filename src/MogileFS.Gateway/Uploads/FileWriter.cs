using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using MogileFS.Gateway.Mogile;
using MogileFS.Gateway.S3;

namespace MogileFS.Gateway.Uploads;

/// <summary>
/// Writes exactly <c>length</c> bytes from a stream into a new MogileFS file the way any client
/// does (<c>create_open</c>, HTTP PUT to the first destination, <c>create_close</c>), optionally
/// computing the MD5 on the way. The source is read to its end before <c>create_close</c>, so a
/// verifying request body (signature, checksum) fails the write before the key can point at the
/// file; a file whose write failed is never closed and the trackers reap it.
/// </summary>
internal static class FileWriter
{
    public sealed record Written(long Fid, long Length, string? Md5Hex, OpenDestination Destination);

    /// <param name="beforeClose">Runs after the bytes are stored and before <c>create_close</c> (e.g. to record the
    /// file's S3 row, or to check a Content-MD5); throwing from it leaves the key unchanged.</param>
    /// <param name="order">Optionally reorders the destinations <c>create_open</c> offered (the first that accepts is used).</param>
    /// <param name="expectedMd5">A Content-MD5 that a local write checks before the file gets its name (BadDigest);
    /// <paramref name="beforeClose"/> must still check it for writes over HTTP.</param>
    public static async Task<Written> WriteAsync(MogileAccess mogile, string domain, string key, string? @class, Stream source,
        long length, bool md5, Func<Written, Task>? beforeClose, CancellationToken ct,
        Func<OpenedFile, IReadOnlyList<OpenDestination>>? order = null, byte[]? expectedMd5 = null)
    {
        var opened = await OpenAsync(mogile, domain, key, @class, length, ct).ConfigureAwait(false);
        using var hash = md5 ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
        var written = await StreamAsync(mogile, order?.Invoke(opened) ?? opened.Destinations, source, length, hash, ct, expectedMd5).ConfigureAwait(false);
        var result = new Written(opened.Fid, length, hash is null ? null : Convert.ToHexStringLower(hash.GetHashAndReset()), written);
        if (beforeClose != null) await beforeClose(result).ConfigureAwait(false);
        await mogile.CreateCloseAsync(domain, key, opened.Fid, written, length, null, ct).ConfigureAwait(false);
        return result;
    }

    /// <summary><c>create_open</c>, with the tracker's refusals as S3 errors.</summary>
    public static async Task<OpenedFile> OpenAsync(MogileAccess mogile, string domain, string key, string? @class, long length, CancellationToken ct)
    {
        try
        {
            return await mogile.CreateOpenAsync(domain, key, @class, length, ct).ConfigureAwait(false);
        }
        catch (MogileFS.Client.MogileFSTrackerException e) when (e.ErrorCode is "no_devices" or "no_temp_file")
        {
            throw S3Errors.ServiceUnavailable("The cluster has no writable storage device for this object right now.");
        }
        catch (MogileFS.Client.MogileFSTrackerException e) when (e.ErrorCode == "unreg_class")
        {
            throw S3Errors.InvalidStorageClass(@class ?? "");
        }
        catch (MogileFS.Client.MogileFSTrackerException e) when (e.ErrorCode is "unreg_domain" or "domain_not_found")
        {
            throw S3Errors.NoSuchBucket(domain);
        }
    }

    /// <summary>PUTs exactly <paramref name="length"/> bytes of <paramref name="source"/> to the first destination that
    /// takes them (another is tried only while nothing of the source was consumed). Returns that destination.</summary>
    public static async Task<OpenDestination> StreamAsync(MogileAccess mogile, IReadOnlyList<OpenDestination> destinations, Stream source,
        long length, IncrementalHash? hash, CancellationToken ct, byte[]? expectedMd5 = null)
    {
        var errors = new List<string>();
        foreach (var dest in destinations)
        {
            if (mogile.Local?.TryCreate(dest.Url) is { } local)
            {
                await WriteLocalAsync(mogile.Local!, local, source, length, hash, expectedMd5, ct).ConfigureAwait(false);
                return dest;
            }
            var content = new SourceContent(source, length, hash);
            using var request = new HttpRequestMessage(HttpMethod.Put, dest.Url) { Content = content };
            request.Headers.ExpectContinue = false;
            try
            {
                using var response = await mogile.Http.SendAsync(request, ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode && content.Sent == length) return dest;
                errors.Add($"{dest.Url}: {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            catch (Exception) when (content.SourceFailure is { } sf)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(sf); // the client's body, not the node
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                errors.Add($"{dest.Url}: {e.Message}");
            }
            if (content.SourceFailure is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            if (content.Consumed > 0) break; // the body is consumed: another destination cannot be fed
        }
        throw S3Errors.ServiceUnavailable("No storage node accepted the data (" + string.Join("; ", errors) + "); retry later.");
    }

    /// <summary>The local counterpart of the PUT (a node on this host, <c>local_storage</c>): the same bytes, checks
    /// and errors, written into the node's docroot and named only once all of it arrived.</summary>
    private static async Task WriteLocalAsync(LocalStorage storage, LocalUpload local, Stream source, long length, IncrementalHash? hash,
        byte[]? expectedMd5, CancellationToken ct)
    {
        using (local)
        {
            try
            {
                await local.CopyFromAsync(source, length, hash, e => e,
                    () => S3Errors.InvalidRequest("The request body is longer than its declared length."), ct).ConfigureAwait(false);
                if (expectedMd5 != null && hash != null && !hash.GetCurrentHash().AsSpan().SequenceEqual(expectedMd5)) throw S3Errors.BadDigest();
                local.Commit();
            }
            catch (LocalWriteException e)
            {
                LocalWriteLog.WriteFailed(storage.Log, e.Message);
                throw S3Errors.ServiceUnavailable("No storage node accepted the data (" + e.Message + "); retry later.");
            }
        }
    }

    /// <summary>The request body of the PUT: exactly <c>length</c> bytes of the source, then a check that the source ends there.</summary>
    private sealed class SourceContent(Stream source, long length, IncrementalHash? hash) : HttpContent
    {
        public long Sent { get; private set; }
        public long Consumed { get; private set; }
        public Exception? SourceFailure { get; private set; }

        protected override bool TryComputeLength(out long l)
        {
            l = length;
            return true;
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken ct)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
            try
            {
                while (Sent < length)
                {
                    int n = await ReadSourceAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - Sent)), ct).ConfigureAwait(false);
                    if (n == 0)
                    {
                        SourceFailure = S3Errors.IncompleteBody();
                        throw SourceFailure;
                    }
                    hash?.AppendData(buffer, 0, n);
                    // Before the last bytes go out, read the source's end: a verifying body checks its
                    // signature/checksum there, and a body longer than announced is refused, while the
                    // node still holds an incomplete upload that it will discard.
                    if (Sent + n == length && await ReadSourceAsync(new byte[1], ct).ConfigureAwait(false) != 0)
                    {
                        SourceFailure = S3Errors.InvalidRequest("The request body is longer than its declared length.");
                        throw SourceFailure;
                    }
                    await stream.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    Sent += n;
                }
                if (length == 0 && await ReadSourceAsync(new byte[1], ct).ConfigureAwait(false) != 0)
                {
                    SourceFailure = S3Errors.InvalidRequest("The request body is longer than its declared length.");
                    throw SourceFailure;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private async ValueTask<int> ReadSourceAsync(Memory<byte> buffer, CancellationToken ct)
        {
            try
            {
                int n = await source.ReadAsync(buffer, ct).ConfigureAwait(false);
                Consumed += n;
                return n;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                SourceFailure = e;
                throw;
            }
        }
    }
}
