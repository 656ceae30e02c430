using System.Diagnostics;
using System.Text;
using MogileFS.Client;
using MogileFS.Gateway.Uploads;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway.S3;

public sealed partial class Multipart
{
    /// <summary>Largest object, as S3 (5 TiB).</summary>
    public const long MaxObjectSize = 5L << 40;

    /// <summary>After this long without an answer, Complete starts its 200 reply and sends a space now and then
    /// until it is done, as S3 does, so that clients and proxies do not time out while a large object is assembled.</summary>
    internal TimeSpan KeepAliveAfter { get; set; } = TimeSpan.FromSeconds(5);
    internal TimeSpan KeepAliveEvery { get; set; } = TimeSpan.FromSeconds(10);

    private long _completedJoined, _completedStreamed;

    /// <summary>Completed uploads whose object a storage node joined, and those streamed through this gateway.</summary>
    internal (long Joined, long Streamed) Completions => (Interlocked.Read(ref _completedJoined), Interlocked.Read(ref _completedStreamed));

    public async Task CompleteMultipartUploadAsync(S3Request r)
    {
        int dmid = await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        string bucket = r.Bucket!, key = r.Key!;
        string uploadId = r.Q("uploadId") ?? "";
        var body = await r.ReadSmallBodyAsync(4 << 20).ConfigureAwait(false);
        var requested = CompleteRequest.Parse(new MemoryStream(body));
        var upload = await RequireUploadAsync(r, uploadId).ConfigureAwait(false);
        CompleteRequest.CheckOrder(requested);
        long now = g.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (!await g.Store.ClaimUploadAsync(uploadId, now, StaleBefore(), r.Aborted).ConfigureAwait(false))
            throw S3Errors.NoSuchUpload(uploadId);

        var started = Stopwatch.StartNew();
        string etag;
        long total;
        bool joined = false;
        // From here the upload is ours until we finish or give the claim back.
        using var keepAlive = new KeepAlive(r, KeepAliveAfter, KeepAliveEvery, () => g.Store.RenewClaimAsync(uploadId,
            g.Clock.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None).AsTask());
        try
        {
            var stored = new Dictionary<int, PartRow>();
            foreach (var p in await g.Store.ListPartsAsync(uploadId, 0, CompleteRequest.MaxParts + 1, r.Aborted).ConfigureAwait(false))
                stored[p.PartNumber] = p;
            var chosen = new List<PartRow>(requested.Count);
            foreach (var want in requested)
            {
                if (!stored.TryGetValue(want.PartNumber, out var have) || have.ETag != CompleteRequest.NormalizeETag(want.ETag))
                    throw CompleteRequest.InvalidPart(want.PartNumber);
                chosen.Add(have);
            }
            for (int i = 0; i < chosen.Count - 1; i++)
                if (chosen[i].Size < CompleteRequest.MinPartSize) throw CompleteRequest.EntityTooSmall(chosen[i].PartNumber, chosen[i].Size);
            total = chosen.Sum(p => p.Size);
            if (total > MaxObjectSize) throw S3Errors.EntityTooLarge(MaxObjectSize);
            etag = CompleteRequest.MultipartETag(chosen.Select(p => p.ETag));

            // Where each part's file lies (every part must still be there before anything is written).
            var slices = new List<FileSlice>(chosen.Count);
            foreach (var p in chosen)
            {
                var paths = await g.Mogile.GetPathsAsync(Settings.PartsDomain, p.PartKey, r.Aborted).ConfigureAwait(false);
                if (paths.Count == 0) throw CompleteRequest.InvalidPart(p.PartNumber);
                slices.Add(new FileSlice(paths, Mogile.MogileAccess.FidOfPath(paths[0]) ?? 0, 0, p.Size));
            }

            var meta = new ObjectMeta(0, total, etag, upload.ContentType, upload.Meta, upload.InitiatedMs, 0);
            var opened = await FileWriter.OpenAsync(g.Mogile, bucket, key, upload.Class, total, r.Aborted).ConfigureAwait(false);
            // First on a storage node (no bytes through the gateway), else streamed as any client would.
            var dest = Settings.Join ? await Join.TryAsync(opened, slices, total, r.Aborted).ConfigureAwait(false) : null;
            joined = dest != null;
            if (dest is null)
            {
                await using var source = new PartSource(slices, g.Mogile.Http, g.Mogile.StorageIdleTimeout);
                // Parts are fetched ahead (up to 6 MiB) while the bytes before them go out to the new file.
                await using var ahead = new ReadAheadStream(source, buffers: 3, bufferSize: 2 << 20, r.Aborted);
                try
                {
                    dest = await FileWriter.StreamAsync(g.Mogile, opened.Destinations, ahead, total, null, r.Aborted).ConfigureAwait(false);
                }
                catch (PartSource.SourceUnreadableException e)
                {
                    throw S3Errors.ServiceUnavailable("A part could not be read from any storage node; retry later. " + e.Message);
                }
            }
            await g.Store.PutPartLayoutAsync(opened.Fid, chosen.Select(p => p.Size).ToList(), CancellationToken.None).ConfigureAwait(false);
            await g.Store.PutObjectMetaAsync(dmid, key, meta with { Fid = opened.Fid }, CancellationToken.None).ConfigureAwait(false);
            await g.Mogile.CreateCloseAsync(bucket, key, opened.Fid, dest, total, null, r.Aborted).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            MultipartLog.CompleteFailed(g.Log, uploadId, e.Message);
            await g.Store.ReleaseClaimAsync(uploadId, CancellationToken.None).ConfigureAwait(false);
            if (await keepAlive.StopAsync().ConfigureAwait(false))
            {
                // The 200 has gone out: the error can only travel as an Error document in its body.
                await keepAlive.SendErrorAsync(e switch
                {
                    S3Exception s3 => s3,
                    MogileFSConnectionException => S3Errors.ServiceUnavailable("The MogileFS trackers are not reachable; retry later."),
                    _ => S3Errors.InternalError("We encountered an internal error. Please try again."),
                }).ConfigureAwait(false);
                return;
            }
            await keepAlive.StopAsync().ConfigureAwait(false);
            throw;
        }
        await keepAlive.StopAsync().ConfigureAwait(false);
        await objects.DropStaleAsync(dmid, key).ConfigureAwait(false);

        // The object is in place; the upload and its parts go.
        var keys = await g.Store.RemoveUploadAsync(uploadId, onlyIfOpen: false, 0, CancellationToken.None).ConfigureAwait(false) ?? [];
        _partNode.TryRemove(uploadId, out _);
        Interlocked.Increment(ref joined ? ref _completedJoined : ref _completedStreamed);
        MultipartLog.Completed(g.Log, uploadId, bucket, key, requested.Count, total, started.Elapsed.TotalSeconds, joined ? "joined on a storage node" : "streamed through the gateway");
        _ = Task.Run(() => DeletePartFilesAsync(keys, CancellationToken.None));

        string location = $"{r.Request.Scheme}://{r.Request.Host}/{Uri.EscapeDataString(bucket)}/{string.Join('/', key.Split('/').Select(Uri.EscapeDataString))}";
        var xml = new XmlOut().Start("CompleteMultipartUploadResult", XmlOut.S3Namespace)
            .Element("Location", location).Element("Bucket", bucket).Element("Key", key).Element("ETag", ObjectHeaders.Quote(etag)).End();
        await keepAlive.SendResultAsync(xml).ConfigureAwait(false);
    }

    /// <summary>
    /// S3's way of keeping a long CompleteMultipartUpload alive: if the work takes longer than a few
    /// seconds, the 200 status and the XML declaration go out, then a space every few seconds; the
    /// result (or an Error document, which SDKs look for in a 200 reply to this call) follows. Also
    /// renews the upload's claim while it runs.
    /// </summary>
    private sealed class KeepAlive : IDisposable
    {
        private const string Declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        private readonly S3Request _r;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly SemaphoreSlim _write = new(1, 1);
        private bool _started;

        public KeepAlive(S3Request r, TimeSpan after, TimeSpan every, Func<Task> renew)
        {
            _r = r;
            _loop = RunAsync(after, every, renew);
        }

        private async Task RunAsync(TimeSpan after, TimeSpan every, Func<Task> renew)
        {
            try
            {
                await Task.Delay(after, _stop.Token).ConfigureAwait(false);
                while (!_stop.IsCancellationRequested)
                {
                    await _write.WaitAsync(_stop.Token).ConfigureAwait(false);
                    try
                    {
                        if (!_started)
                        {
                            _started = true;
                            _r.Response.StatusCode = 200;
                            _r.Response.ContentType = "application/xml";
                            _r.Response.Headers["x-amz-request-id"] = _r.Http.TraceIdentifier;
                            await _r.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(Declaration), _r.Aborted).ConfigureAwait(false);
                        }
                        else await _r.Response.Body.WriteAsync(" "u8.ToArray(), _r.Aborted).ConfigureAwait(false);
                        await _r.Response.Body.FlushAsync(_r.Aborted).ConfigureAwait(false);
                    }
                    finally { _write.Release(); }
                    try { await renew().ConfigureAwait(false); } catch (Exception) when (!_stop.IsCancellationRequested) { }
                    await Task.Delay(every, _stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception) when (_r.Aborted.IsCancellationRequested) { }
        }

        /// <summary>Stops the ticks; true when the reply has already begun.</summary>
        public async Task<bool> StopAsync()
        {
            _stop.Cancel();
            await _loop.ConfigureAwait(false);
            return _started;
        }

        public async Task SendResultAsync(XmlOut xml)
        {
            if (!_started)
            {
                await xml.SendAsync(_r.Response).ConfigureAwait(false);
                return;
            }
            string text = xml.ToString();
            if (text.StartsWith(Declaration, StringComparison.Ordinal)) text = text[Declaration.Length..];
            await _r.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), _r.Aborted).ConfigureAwait(false);
        }

        public Task SendErrorAsync(S3Exception e)
        {
            var xml = new XmlOut().Start("Error").Element("Code", e.Code).Element("Message", e.Message);
            foreach (var (k, v) in e.Details) xml.Element(k, v);
            xml.Element("RequestId", _r.Http.TraceIdentifier).End();
            return SendResultAsync(xml);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
            _write.Dispose();
        }
    }
}
