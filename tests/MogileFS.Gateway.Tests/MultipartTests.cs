using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using MogileFS.Gateway.Uploads;

namespace MogileFS.Gateway.Tests;

/// <summary>A gateway on its own addresses for the multipart tests.</summary>
public sealed class MultipartFixture : GatewayFixture
{
    protected override string Net => "127.0.121";
}

/// <summary>
/// Multipart upload through AWSSDK.S3 against a real cluster and gateway: every call, S3's
/// validation rules on Complete, what happens to the part files, and the assembled object being a
/// plain MogileFS file (read back with the MogileFS client).
/// </summary>
public class MultipartTests(MultipartFixture f) : IClassFixture<MultipartFixture>
{
    private const int MiB = 1 << 20;
    private string PartsDomain => MultipartSettings.Of(f.Gateway.Context.Options).PartsDomain;

    private async Task<AmazonS3Client> BucketAsync(string bucket)
    {
        var s3 = f.S3();
        try { await s3.PutBucketAsync(bucket); }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { }
        return s3;
    }

    private static async Task<string> UploadPartAsync(AmazonS3Client s3, string bucket, string key, string uploadId, int number, byte[] data)
    {
        var r = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = number, InputStream = new MemoryStream(data),
        });
        return r.ETag;
    }

    /// <summary>Keys of the parts domain that belong to an upload (its part files).</summary>
    private async Task<List<string>> PartFilesAsync(string uploadId)
    {
        using var mog = f.Mogile(PartsDomain);
        var list = new List<string>();
        try
        {
            await foreach (var k in mog.ListKeysAsync(uploadId + "/")) list.Add(k);
        }
        catch (MogileFS.Client.MogileFSTrackerException e) when (e.ErrorCode is "none_match" or "domain_not_found") { }
        return list;
    }

    private async Task WaitNoPartFilesAsync(string uploadId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await PartFilesAsync(uploadId)).Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "part files of " + uploadId + " were not deleted");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Complete_assembles_one_mogilefs_file_with_the_multipart_etag_and_the_upload_metadata()
    {
        using var s3 = await BucketAsync("mp-basic");
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = "mp-basic", Key = "dir/object.bin", ContentType = "application/x-test",
            Metadata = { ["colour"] = "green" },
        });
        byte[] p1 = S3Assert.Bytes(5 * MiB, 1), p2 = S3Assert.Bytes(5 * MiB, 2), p3 = S3Assert.Bytes(1234, 3);
        var e1 = await UploadPartAsync(s3, "mp-basic", "dir/object.bin", init.UploadId, 1, p1);
        var e2 = await UploadPartAsync(s3, "mp-basic", "dir/object.bin", init.UploadId, 2, p2);
        var e3 = await UploadPartAsync(s3, "mp-basic", "dir/object.bin", init.UploadId, 3, p3);
        Assert.Equal("\"" + S3Assert.Md5Hex(p2) + "\"", e2);
        Assert.Equal(3, (await PartFilesAsync(init.UploadId)).Count);

        // Not visible as an object before Complete.
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync("mp-basic", "dir/object.bin"));

        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "mp-basic", Key = "dir/object.bin", UploadId = init.UploadId,
            PartETags = [new PartETag(1, e1), new PartETag(2, e2), new PartETag(3, e3)],
        });
        byte[] whole = [.. p1, .. p2, .. p3];
        string expected = Convert.ToHexStringLower(MD5.HashData([.. MD5.HashData(p1), .. MD5.HashData(p2), .. MD5.HashData(p3)])) + "-3";
        Assert.Equal("\"" + expected + "\"", done.ETag);
        Assert.Equal("mp-basic", done.BucketName);
        Assert.Equal("dir/object.bin", done.Key);

        using var get = await s3.GetObjectAsync("mp-basic", "dir/object.bin");
        Assert.Equal(whole, await S3Assert.ReadAll(get.ResponseStream));
        Assert.Equal("\"" + expected + "\"", get.ETag);
        Assert.Equal("application/x-test", get.Headers.ContentType);
        Assert.Equal("green", get.Metadata["colour"]);

        // A plain MogileFS file: mogfetch (the client library) reads the same bytes.
        using var mog = f.Mogile("mp-basic");
        Assert.Equal(whole, await mog.GetBytesAsync("dir/object.bin"));
        Assert.Equal(whole.Length, (await mog.FileInfoAsync("dir/object.bin"))!.Length);

        // Ranged GET across a part boundary.
        using var ranged = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = "mp-basic", Key = "dir/object.bin", ByteRange = new ByteRange(5 * MiB - 10, 5 * MiB + 9),
        });
        Assert.Equal(whole.AsSpan(5 * MiB - 10, 20).ToArray(), await S3Assert.ReadAll(ranged.ResponseStream));

        // The upload is gone, and so are its part files.
        await S3Assert.Fails("NoSuchUpload", HttpStatusCode.NotFound,
            () => s3.ListPartsAsync(new ListPartsRequest { BucketName = "mp-basic", Key = "dir/object.bin", UploadId = init.UploadId }));
        await WaitNoPartFilesAsync(init.UploadId);

        // Listing shows the object with its S3 size and ETag; deleting it through MogileFS removes it from S3 too.
        var listed = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "mp-basic" })).S3Objects.Single();
        Assert.Equal(whole.Length, listed.Size);
        Assert.Equal("\"" + expected + "\"", listed.ETag);
        Assert.True(await mog.DeleteAsync("dir/object.bin"));
        Assert.Empty((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "mp-basic" })).S3Objects ?? []);
    }

    [Fact]
    public async Task GetObject_and_HeadObject_with_partNumber_answer_one_part_as_s3_does()
    {
        using var s3 = await BucketAsync("mp-partnum");
        var up = (await s3.InitiateMultipartUploadAsync("mp-partnum", "parts.bin")).UploadId;
        byte[] p1 = S3Assert.Bytes(5 * MiB, 11), p2 = S3Assert.Bytes(6 * MiB, 12), p3 = S3Assert.Bytes(777, 13);
        var etags = new List<PartETag>
        {
            new(1, await UploadPartAsync(s3, "mp-partnum", "parts.bin", up, 1, p1)),
            new(2, await UploadPartAsync(s3, "mp-partnum", "parts.bin", up, 2, p2)),
            new(3, await UploadPartAsync(s3, "mp-partnum", "parts.bin", up, 3, p3)),
        };
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = "mp-partnum", Key = "parts.bin", UploadId = up, PartETags = etags });

        using (var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = "mp-partnum", Key = "parts.bin", PartNumber = 2 }))
        {
            Assert.Equal(HttpStatusCode.PartialContent, get.HttpStatusCode);
            Assert.Equal(p2, await S3Assert.ReadAll(get.ResponseStream));
            Assert.Equal(3, get.PartsCount);
            Assert.Equal($"bytes {p1.Length}-{p1.Length + p2.Length - 1}/{p1.Length + p2.Length + p3.Length}", get.ContentRange);
        }
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = "mp-partnum", Key = "parts.bin", PartNumber = 3 });
        Assert.Equal(p3.Length, head.ContentLength);
        Assert.Equal(3, head.PartsCount);
        await S3Assert.Fails("InvalidPartNumber", HttpStatusCode.RequestedRangeNotSatisfiable,
            () => s3.GetObjectAsync(new GetObjectRequest { BucketName = "mp-partnum", Key = "parts.bin", PartNumber = 4 }));

        // An object of a single PUT has one part: the whole object.
        var small = S3Assert.Bytes(3000, 14);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "mp-partnum", Key = "single.bin", InputStream = new MemoryStream(small) });
        using (var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = "mp-partnum", Key = "single.bin", PartNumber = 1 }))
            Assert.Equal(small, await S3Assert.ReadAll(get.ResponseStream));
        await S3Assert.Fails("InvalidPartNumber", HttpStatusCode.RequestedRangeNotSatisfiable,
            () => s3.GetObjectAsync(new GetObjectRequest { BucketName = "mp-partnum", Key = "single.bin", PartNumber = 2 }));

        // The layout goes with the object's rows once its file is gone.
        long fid = (await f.Gateway.Context.Store.FindObjectAsync((await f.Gateway.Context.Store.DomainIdAsync("mp-partnum", default))!.Value, "parts.bin", default))!.Fid;
        await s3.DeleteObjectAsync("mp-partnum", "parts.bin");
        await f.Gateway.Context.Store.SweepAsync(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds(), default);
        Assert.Equal(0, await f.Cluster.CountAsync($"SELECT COUNT(*) FROM s3_object_part WHERE fid = {fid}"));
    }

    [Fact]
    public async Task Complete_validates_the_part_list_as_s3_does()
    {
        using var s3 = await BucketAsync("mp-rules");
        const string key = "k";
        var up = (await s3.InitiateMultipartUploadAsync("mp-rules", key)).UploadId;
        byte[] big = S3Assert.Bytes(5 * MiB, 4), small = S3Assert.Bytes(100, 5);
        var e1 = await UploadPartAsync(s3, "mp-rules", key, up, 1, small); // too small unless last
        var e2 = await UploadPartAsync(s3, "mp-rules", key, up, 2, big);
        var e3 = await UploadPartAsync(s3, "mp-rules", key, up, 3, small);

        Task<CompleteMultipartUploadResponse> Complete(params PartETag[] parts) =>
            s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = "mp-rules", Key = key, UploadId = up, PartETags = [.. parts] });

        // The SDK sorts the list itself, so the out-of-order body goes out by hand.
        var unordered = System.Text.Encoding.UTF8.GetBytes(
            $"<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>{e2}</ETag></Part><Part><PartNumber>1</PartNumber><ETag>{e1}</ETag></Part></CompleteMultipartUpload>");
        using (var res = await RawS3.SendAsync(f, HttpMethod.Post, $"/mp-rules/{key}?uploadId={up}", unordered, []))
        {
            Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
            Assert.Contains("<Code>InvalidPartOrder</Code>", await res.Content.ReadAsStringAsync());
        }
        using (var res = await RawS3.SendAsync(f, HttpMethod.Post, $"/mp-rules/{key}?uploadId={up}", "<Complete"u8.ToArray(), []))
        {
            Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
            Assert.Contains("<Code>MalformedXML</Code>", await res.Content.ReadAsStringAsync());
        }
        await S3Assert.Fails("InvalidPart", HttpStatusCode.BadRequest, () => Complete(new(2, e3), new(3, e3)));
        await S3Assert.Fails("InvalidPart", HttpStatusCode.BadRequest, () => Complete(new(2, e2), new(4, e3)));
        await S3Assert.Fails("EntityTooSmall", HttpStatusCode.BadRequest, () => Complete(new(1, e1), new(2, e2)));
        await S3Assert.Fails("NoSuchUpload", HttpStatusCode.NotFound,
            () => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = "mp-rules", Key = key, UploadId = "00000000000000000000000000000000", PartETags = [new(2, e2)],
            }));
        // The upload of another key is not this key's.
        await S3Assert.Fails("NoSuchUpload", HttpStatusCode.NotFound,
            () => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = "mp-rules", Key = "other", UploadId = up, PartETags = [new(2, e2)] }));
        await S3Assert.Fails("InvalidArgument", HttpStatusCode.BadRequest,
            () => s3.UploadPartAsync(new UploadPartRequest { BucketName = "mp-rules", Key = key, UploadId = up, PartNumber = 10001, InputStream = new MemoryStream(small) }));
        await S3Assert.Fails("BadDigest", HttpStatusCode.BadRequest,
            () => s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = "mp-rules", Key = key, UploadId = up, PartNumber = 5, InputStream = new MemoryStream(small),
                MD5Digest = Convert.ToBase64String(MD5.HashData(big)),
            }));

        // After the failures the upload is still open: a valid list (a subset; small last part) completes it.
        var done = await Complete(new(2, e2), new(3, e3));
        using var get = await s3.GetObjectAsync("mp-rules", key);
        byte[] expected = [.. big, .. small];
        Assert.Equal(expected, await S3Assert.ReadAll(get.ResponseStream));
        Assert.EndsWith("-2\"", done.ETag);
        // Completing again: the upload no longer exists.
        await S3Assert.Fails("NoSuchUpload", HttpStatusCode.NotFound, () => Complete(new(2, e2), new(3, e3)));
        await WaitNoPartFilesAsync(up);
    }

    [Fact]
    public async Task Abort_deletes_the_part_files_and_ends_the_upload()
    {
        using var s3 = await BucketAsync("mp-abort");
        var up = (await s3.InitiateMultipartUploadAsync("mp-abort", "gone")).UploadId;
        await UploadPartAsync(s3, "mp-abort", "gone", up, 1, S3Assert.Bytes(1000, 6));
        await UploadPartAsync(s3, "mp-abort", "gone", up, 2, S3Assert.Bytes(1000, 7));
        Assert.Equal(2, (await PartFilesAsync(up)).Count);

        await s3.AbortMultipartUploadAsync("mp-abort", "gone", up);
        Assert.Empty(await PartFilesAsync(up));
        await S3Assert.Fails("NoSuchUpload", HttpStatusCode.NotFound,
            () => UploadPartAsync(s3, "mp-abort", "gone", up, 3, S3Assert.Bytes(10, 8)));
        await S3Assert.Fails("NoSuchUpload", HttpStatusCode.NotFound, () => s3.AbortMultipartUploadAsync("mp-abort", "gone", up));
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync("mp-abort", "gone"));
        var uploads = await s3.ListMultipartUploadsAsync("mp-abort");
        Assert.Empty(uploads.MultipartUploads ?? []);
    }

    [Fact]
    public async Task Uploading_a_part_number_again_replaces_the_part_and_drops_its_old_file()
    {
        using var s3 = await BucketAsync("mp-replace");
        var up = (await s3.InitiateMultipartUploadAsync("mp-replace", "r")).UploadId;
        byte[] first = S3Assert.Bytes(5 * MiB, 9), second = S3Assert.Bytes(5 * MiB, 10), tail = S3Assert.Bytes(10, 11);
        await UploadPartAsync(s3, "mp-replace", "r", up, 1, first);
        var e1 = await UploadPartAsync(s3, "mp-replace", "r", up, 1, second);
        var e2 = await UploadPartAsync(s3, "mp-replace", "r", up, 2, tail);
        Assert.Equal(2, (await PartFilesAsync(up)).Count);

        var parts = await s3.ListPartsAsync(new ListPartsRequest { BucketName = "mp-replace", Key = "r", UploadId = up });
        Assert.Equal([1, 2], parts.Parts.Select(p => p.PartNumber!.Value));
        Assert.Equal(e1, parts.Parts[0].ETag);
        Assert.Equal(second.Length, parts.Parts[0].Size);
        Assert.Equal("\"" + S3Assert.Md5Hex(second) + "\"", e1);

        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "mp-replace", Key = "r", UploadId = up, PartETags = [new(1, e1), new(2, e2)],
        });
        using var get = await s3.GetObjectAsync("mp-replace", "r");
        byte[] expected = [.. second, .. tail];
        Assert.Equal(expected, await S3Assert.ReadAll(get.ResponseStream));
    }

    [Fact]
    public async Task ListParts_and_ListMultipartUploads_page_and_group_like_s3()
    {
        using var s3 = await BucketAsync("mp-list");
        var up = (await s3.InitiateMultipartUploadAsync("mp-list", "paged")).UploadId;
        for (int i = 1; i <= 5; i++) await UploadPartAsync(s3, "mp-list", "paged", up, i, S3Assert.Bytes(100 + i, i));
        var page1 = await s3.ListPartsAsync(new ListPartsRequest { BucketName = "mp-list", Key = "paged", UploadId = up, MaxParts = 2 });
        Assert.True(page1.IsTruncated);
        Assert.Equal([1, 2], page1.Parts.Select(p => p.PartNumber!.Value));
        Assert.Equal(2, page1.NextPartNumberMarker);
        var page2 = await s3.ListPartsAsync(new ListPartsRequest { BucketName = "mp-list", Key = "paged", UploadId = up, MaxParts = 2, PartNumberMarker = "2" });
        Assert.Equal([3, 4], page2.Parts.Select(p => p.PartNumber!.Value));
        var page3 = await s3.ListPartsAsync(new ListPartsRequest { BucketName = "mp-list", Key = "paged", UploadId = up, PartNumberMarker = "4" });
        Assert.False(page3.IsTruncated);
        Assert.Equal([5], page3.Parts.Select(p => p.PartNumber!.Value));
        Assert.Equal(105, page3.Parts[0].Size);

        // Uploads: two of a/1, one each of a/2, b/x, top; grouped by '/' and paged.
        var ids = new List<string>();
        foreach (var k in new[] { "a/1", "a/1", "a/2", "b/x", "top" })
            ids.Add((await s3.InitiateMultipartUploadAsync("mp-list", k)).UploadId);
        var all = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = "mp-list" });
        Assert.Equal(["a/1", "a/1", "a/2", "b/x", "paged", "top"], all.MultipartUploads.Select(u => u.Key));
        var grouped = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = "mp-list", Delimiter = "/" });
        Assert.Equal(["a/", "b/"], grouped.CommonPrefixes);
        Assert.Equal(["paged", "top"], grouped.MultipartUploads.Select(u => u.Key));
        var prefixed = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = "mp-list", Prefix = "a/" });
        Assert.Equal(3, prefixed.MultipartUploads.Count);
        var first = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = "mp-list", MaxUploads = 2 });
        Assert.True(first.IsTruncated);
        Assert.Equal(["a/1", "a/1"], first.MultipartUploads.Select(u => u.Key));
        var second = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest
        {
            BucketName = "mp-list", MaxUploads = 2, KeyMarker = first.NextKeyMarker, UploadIdMarker = first.NextUploadIdMarker,
        });
        Assert.Equal(["a/2", "b/x"], second.MultipartUploads.Select(u => u.Key));
        foreach (var (k, id) in new[] { "a/1", "a/1", "a/2", "b/x", "top" }.Zip(ids))
            await s3.AbortMultipartUploadAsync("mp-list", k, id);
        await s3.AbortMultipartUploadAsync("mp-list", "paged", up);
        Assert.Empty((await s3.ListMultipartUploadsAsync("mp-list")).MultipartUploads ?? []);
    }

    [Fact]
    public async Task UploadPartCopy_copies_a_range_of_an_existing_object()
    {
        using var s3 = await BucketAsync("mp-copy");
        byte[] source = S3Assert.Bytes(7 * MiB, 12);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "mp-copy", Key = "src", InputStream = new MemoryStream(source) });
        var up = (await s3.InitiateMultipartUploadAsync("mp-copy", "dst")).UploadId;
        var c1 = await s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = "mp-copy", SourceKey = "src", DestinationBucket = "mp-copy", DestinationKey = "dst", UploadId = up,
            PartNumber = 1, FirstByte = 1 * MiB, LastByte = 6 * MiB - 1,
        });
        var c2 = await s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = "mp-copy", SourceKey = "src", DestinationBucket = "mp-copy", DestinationKey = "dst", UploadId = up, PartNumber = 2,
        });
        Assert.Equal("\"" + S3Assert.Md5Hex(source.AsSpan(MiB, 5 * MiB).ToArray()) + "\"", c1.ETag);
        await S3Assert.Fails("InvalidRange", HttpStatusCode.RequestedRangeNotSatisfiable, () => s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = "mp-copy", SourceKey = "src", DestinationBucket = "mp-copy", DestinationKey = "dst", UploadId = up,
            PartNumber = 3, FirstByte = 0, LastByte = 7 * MiB,
        }));
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = "mp-copy", SourceKey = "missing", DestinationBucket = "mp-copy", DestinationKey = "dst", UploadId = up, PartNumber = 3,
        }));
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "mp-copy", Key = "dst", UploadId = up, PartETags = [new(1, c1.ETag), new(2, c2.ETag)],
        });
        using var get = await s3.GetObjectAsync("mp-copy", "dst");
        byte[] expected = [.. source.AsSpan(MiB, 5 * MiB), .. source];
        Assert.Equal(expected, await S3Assert.ReadAll(get.ResponseStream));
    }

    [Fact]
    public async Task TransferUtility_uploads_and_downloads_a_multipart_object()
    {
        using var s3 = await BucketAsync("mp-transfer");
        using var tmp = new MogileFS.TestSupport.TempDirectory("s3-transfer-");
        string src = Path.Combine(tmp.Path, "src.bin"), back = Path.Combine(tmp.Path, "back.bin");
        await File.WriteAllBytesAsync(src, S3Assert.Bytes(26 * MiB + 5, 13));
        using var transfer = new TransferUtility(s3, new TransferUtilityConfig { ConcurrentServiceRequests = 4 });
        await transfer.UploadAsync(new TransferUtilityUploadRequest
        {
            BucketName = "mp-transfer", Key = "big/file.bin", FilePath = src, PartSize = 5 * MiB, ContentType = "application/octet-stream",
        });
        var head = await s3.GetObjectMetadataAsync("mp-transfer", "big/file.bin");
        Assert.Equal(26 * MiB + 5, head.ContentLength);
        Assert.EndsWith("-6\"", head.ETag);
        await transfer.DownloadAsync(new TransferUtilityDownloadRequest { BucketName = "mp-transfer", Key = "big/file.bin", FilePath = back });
        Assert.Equal(MD5.HashData(await File.ReadAllBytesAsync(src)), MD5.HashData(await File.ReadAllBytesAsync(back)));
    }

    [Fact]
    public async Task Concurrent_completes_of_one_upload_make_one_object()
    {
        using var s3 = await BucketAsync("mp-race");
        var up = (await s3.InitiateMultipartUploadAsync("mp-race", "once")).UploadId;
        var e1 = await UploadPartAsync(s3, "mp-race", "once", up, 1, S3Assert.Bytes(5 * MiB, 14));
        var e2 = await UploadPartAsync(s3, "mp-race", "once", up, 2, S3Assert.Bytes(5, 15));
        var request = () => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "mp-race", Key = "once", UploadId = up, PartETags = [new(1, e1), new(2, e2)],
        });
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            try { await request(); return "ok"; }
            catch (AmazonS3Exception e) { return e.ErrorCode; }
        }));
        Assert.Single(results, r => r == "ok");
        Assert.All(results.Where(r => r != "ok"), r => Assert.Equal("NoSuchUpload", r));
        Assert.Equal(5 * MiB + 5, (await s3.GetObjectMetadataAsync("mp-race", "once")).ContentLength);
    }

    [Fact]
    public async Task A_slow_complete_keeps_the_connection_alive_and_reports_errors_inside_the_200_reply()
    {
        using var s3 = await BucketAsync("mp-keepalive");
        var mp = f.Gateway.Router.Multipart;
        var (after, every) = (mp.KeepAliveAfter, mp.KeepAliveEvery);
        try
        {
            // Start the reply at once and tick often: every Complete below goes out as a 200 with spaces first.
            mp.KeepAliveAfter = TimeSpan.Zero;
            mp.KeepAliveEvery = TimeSpan.FromMilliseconds(20);
            var up = (await s3.InitiateMultipartUploadAsync("mp-keepalive", "ka")).UploadId;
            var e1 = await UploadPartAsync(s3, "mp-keepalive", "ka", up, 1, S3Assert.Bytes(6 * MiB, 16));
            var e2 = await UploadPartAsync(s3, "mp-keepalive", "ka", up, 2, S3Assert.Bytes(3, 17));
            await S3Assert.Fails("InvalidPart", HttpStatusCode.OK, () => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = "mp-keepalive", Key = "ka", UploadId = up, PartETags = [new(1, e2), new(2, e2)],
            }));
            var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = "mp-keepalive", Key = "ka", UploadId = up, PartETags = [new(1, e1), new(2, e2)],
            });
            Assert.EndsWith("-2\"", done.ETag);
            Assert.Equal(6 * MiB + 3, (await s3.GetObjectMetadataAsync("mp-keepalive", "ka")).ContentLength);
        }
        finally
        {
            (mp.KeepAliveAfter, mp.KeepAliveEvery) = (after, every);
        }
    }

    [Fact]
    public async Task The_parts_domain_is_not_a_bucket()
    {
        using var s3 = await BucketAsync("mp-hidden");
        await s3.InitiateMultipartUploadAsync("mp-hidden", "x"); // creates the parts domain if needed
        var buckets = await s3.ListBucketsAsync();
        Assert.DoesNotContain(buckets.Buckets, b => b.BucketName == PartsDomain);
        await S3Assert.Fails("NoSuchBucket", HttpStatusCode.NotFound,
            () => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = PartsDomain }));
    }
}

/// <summary>
/// An object far larger than the gateway should ever hold in memory, in a few hundred MiB: parts are
/// generated on the fly, the object is read back as a stream and compared by MD5, and the gateway
/// process's managed heap is sampled during Complete (the assembly pass), which must stream. Runs with no
/// other test of the assembly beside it: the heap is the whole test process's, and tests running in
/// parallel once added their own allocations (+156 MiB on a loaded machine).
/// </summary>
[Collection(MeasuredAloneCollection.Name)]
public class LargeMultipartTests(MultipartFixture f, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<MultipartFixture>
{
    private const int MiB = 1 << 20;

    [Fact]
    public async Task A_300_MiB_object_assembles_with_bounded_memory_and_reads_back_whole()
    {
        using var s3 = f.S3();
        try { await s3.PutBucketAsync("mp-large"); }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { }
        const int partSize = 32 * MiB, parts = 9;
        const long total = (long)partSize * parts + 12345;
        var up = (await s3.InitiateMultipartUploadAsync("mp-large", "huge.bin")).UploadId;
        var buffer = new byte[partSize];
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var etags = new List<PartETag>();
        for (int p = 1; p <= parts + 1; p++)
        {
            int len = p <= parts ? partSize : 12345;
            new Random(p).NextBytes(buffer.AsSpan(0, len));
            whole.AppendData(buffer, 0, len);
            var r = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = "mp-large", Key = "huge.bin", UploadId = up, PartNumber = p, InputStream = new MemoryStream(buffer, 0, len),
            });
            etags.Add(new PartETag(p, r.ETag));
        }
        byte[] expectedMd5 = whole.GetHashAndReset();
        buffer = [];
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long baseline = GC.GetTotalMemory(forceFullCollection: true);

        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                try { await Task.Delay(10, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = "mp-large", Key = "huge.bin", UploadId = up, PartETags = etags,
        });
        sampling.Cancel();
        await sampler;
        Assert.EndsWith($"-{parts + 1}\"", done.ETag);
        // Streaming assembly holds a few buffers; the object is 288 MiB. Allocations the GC has not yet
        // collected count too, so the bound is loose but far below the object's size.
        long growth = peak - baseline;
        output.WriteLine($"managed heap during Complete of {total / MiB} MiB: +{growth / (double)MiB:F1} MiB over {baseline / (double)MiB:F1} MiB");
        Assert.True(growth < 96L * MiB, $"managed heap grew by {growth / MiB} MiB while a {total / MiB} MiB object was assembled");

        using var get = await s3.GetObjectAsync("mp-large", "huge.bin");
        Assert.Equal(total, get.ContentLength);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var chunk = new byte[1 * MiB];
        long read = 0;
        for (int n; (n = await get.ResponseStream.ReadAsync(chunk)) > 0;)
        {
            md5.AppendData(chunk, 0, n);
            read += n;
        }
        Assert.Equal(total, read);
        Assert.Equal(expectedMd5, md5.GetHashAndReset());
        await s3.DeleteObjectAsync("mp-large", "huge.bin");
    }
}

/// <summary>Tests that measure the test process (managed heap) run with no other test of the assembly beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAloneCollection
{
    public const string Name = "measured alone";
}
