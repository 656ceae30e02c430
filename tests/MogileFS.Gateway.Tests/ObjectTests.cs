using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace MogileFS.Gateway.Tests;

public class ObjectTests(GatewayFixture f) : IClassFixture<GatewayFixture>, IAsyncLifetime
{
    private const string B = "objects";

    public async Task InitializeAsync()
    {
        using var s3 = f.S3();
        try { await s3.PutBucketAsync(B); }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Put_keeps_content_type_user_metadata_and_content_headers_and_the_etag_is_the_md5()
    {
        using var s3 = f.S3();
        var data = S3Assert.Bytes(10_000);
        var put = new PutObjectRequest { BucketName = B, Key = "meta/one.bin", InputStream = new MemoryStream(data), ContentType = "application/x-test" };
        put.Metadata.Add("colour", "blue");
        put.Metadata.Add("Mixed-Case", "Value With Spaces");
        put.Headers.ContentDisposition = "attachment; filename=\"one.bin\"";
        put.Headers.CacheControl = "max-age=60";
        var res = await s3.PutObjectAsync(put);
        Assert.Equal("\"" + S3Assert.Md5Hex(data) + "\"", res.ETag);

        using var get = await s3.GetObjectAsync(B, "meta/one.bin");
        Assert.Equal(data, await S3Assert.ReadAll(get.ResponseStream));
        Assert.Equal(res.ETag, get.ETag);
        Assert.Equal("application/x-test", get.Headers.ContentType);
        Assert.Equal("blue", get.Metadata["x-amz-meta-colour"]);
        Assert.Equal("Value With Spaces", get.Metadata["x-amz-meta-mixed-case"]);
        Assert.Equal("attachment; filename=\"one.bin\"", get.Headers.ContentDisposition);
        Assert.Equal("max-age=60", get.Headers.CacheControl);
        Assert.Equal(data.Length, get.ContentLength);

        var head = await s3.GetObjectMetadataAsync(B, "meta/one.bin");
        Assert.Equal(res.ETag, head.ETag);
        Assert.Equal(data.Length, head.ContentLength);
        Assert.Equal("blue", head.Metadata["x-amz-meta-colour"]);
        Assert.InRange(head.LastModified!.Value.ToUniversalTime(), DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Without_a_content_type_objects_are_binary_octet_stream()
    {
        // The SDK always sends a Content-Type, so this request is made by hand.
        var res = await SendSignedAsync(HttpMethod.Put, $"/{B}/noctype", [1, 2, 3]);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        using var s3 = f.S3();
        var head = await s3.GetObjectMetadataAsync(B, "noctype");
        Assert.Equal("binary/octet-stream", head.Headers.ContentType);
    }

    [Fact]
    public async Task An_empty_object_round_trips()
    {
        using var s3 = f.S3();
        var res = await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "empty", InputStream = new MemoryStream() });
        Assert.Equal("\"d41d8cd98f00b204e9800998ecf8427e\"", res.ETag);
        using var get = await s3.GetObjectAsync(B, "empty");
        Assert.Empty(await S3Assert.ReadAll(get.ResponseStream));
    }

    [Fact]
    public async Task A_large_object_streams_both_ways()
    {
        using var s3 = f.S3();
        var data = S3Assert.Bytes(24 * 1024 * 1024 + 17, seed: 7);
        var res = await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "big/object", InputStream = new MemoryStream(data) });
        Assert.Equal("\"" + S3Assert.Md5Hex(data) + "\"", res.ETag);
        using var get = await s3.GetObjectAsync(B, "big/object");
        Assert.Equal(S3Assert.Md5Hex(data), S3Assert.Md5Hex(await S3Assert.ReadAll(get.ResponseStream)));
    }

    [Fact]
    public async Task Overwriting_replaces_bytes_and_metadata_together()
    {
        using var s3 = f.S3();
        var one = new PutObjectRequest { BucketName = B, Key = "over", ContentBody = "first version", ContentType = "text/one" };
        one.Metadata.Add("v", "1");
        await s3.PutObjectAsync(one);
        var two = new PutObjectRequest { BucketName = B, Key = "over", ContentBody = "second", ContentType = "text/two" };
        two.Metadata.Add("v", "2");
        var r2 = await s3.PutObjectAsync(two);
        using var get = await s3.GetObjectAsync(B, "over");
        Assert.Equal("second", Encoding.UTF8.GetString(await S3Assert.ReadAll(get.ResponseStream)));
        Assert.Equal("text/two", get.Headers.ContentType);
        Assert.Equal("2", get.Metadata["x-amz-meta-v"]);
        Assert.Equal(r2.ETag, get.ETag);
        // Rows of replaced files go with the next overwrite (at most two per key) or the sweep.
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "over", ContentBody = "third" });
        Assert.Equal(2, await f.Cluster.CountAsync("SELECT COUNT(*) FROM s3_object WHERE dkey = 'over'"));
        await f.Gateway.Context.Store.SweepAsync(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds(), default);
        Assert.Equal(1, await f.Cluster.CountAsync("SELECT COUNT(*) FROM s3_object WHERE dkey = 'over'"));
    }

    [Theory]
    [InlineData("unicode/ключ-κλειδί-鍵.txt")]
    [InlineData("spaces and+plus & ampersand=equals?.txt")]
    [InlineData("deep/./dots/../odd//double-slash")]
    [InlineData("percent%20literal~tilde!*'()")]
    public async Task Keys_with_unusual_characters_round_trip_and_match_mogilefs_keys(string key)
    {
        using var s3 = f.S3();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = key, ContentBody = "v:" + key });
        using var get = await s3.GetObjectAsync(B, key);
        Assert.Equal("v:" + key, Encoding.UTF8.GetString(await S3Assert.ReadAll(get.ResponseStream)));
        using var mogile = f.Mogile(B);
        Assert.Equal("v:" + key, Encoding.UTF8.GetString(await mogile.GetBytesAsync(key)));
        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, Prefix = key });
        Assert.Contains(list.S3Objects, o => o.Key == key);
    }

    [Fact]
    public async Task A_key_longer_than_mogilefs_allows_is_refused()
    {
        using var s3 = f.S3();
        await S3Assert.Fails("KeyTooLongError", HttpStatusCode.BadRequest,
            () => s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = new string('k', 256), ContentBody = "x" }));
    }

    [Fact]
    public async Task Missing_keys_are_NoSuchKey()
    {
        using var s3 = f.S3();
        var e = await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, "no/such/key"));
        var head = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(B, "no/such/key"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task A_wrong_Content_MD5_is_BadDigest_and_stores_nothing()
    {
        using var s3 = f.S3();
        var wrong = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData("other"u8.ToArray()));
        await S3Assert.Fails("BadDigest", HttpStatusCode.BadRequest, () => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = B, Key = "md5/bad", ContentBody = "the real body", MD5Digest = wrong,
        }));
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, "md5/bad"));

        var right = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData("the real body"u8.ToArray()));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "md5/good", ContentBody = "the real body", MD5Digest = right });
    }

    [Fact]
    public async Task A_malformed_Content_MD5_is_InvalidDigest()
    {
        var res = await SendSignedAsync(HttpMethod.Put, $"/{B}/md5/malformed", "body"u8.ToArray(), ("Content-MD5", "not-base64!"));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Contains("<Code>InvalidDigest</Code>", await res.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Delete_removes_the_key_from_mogilefs_and_deleting_a_missing_key_succeeds()
    {
        using var s3 = f.S3();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "del/me", ContentBody = "x" });
        await s3.DeleteObjectAsync(B, "del/me");
        using var mogile = f.Mogile(B);
        Assert.Null(await mogile.FileInfoAsync("del/me"));
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, "del/me"));
        await s3.DeleteObjectAsync(B, "del/me"); // 204 again
        Assert.Equal(0, await f.Cluster.CountAsync("SELECT COUNT(*) FROM s3_object WHERE dkey = 'del/me'"));
    }

    [Fact]
    public async Task DeleteObjects_deletes_a_batch_and_reports_each_key()
    {
        using var s3 = f.S3();
        for (int i = 0; i < 5; i++)
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = $"batch/{i}", ContentBody = "x" });
        var res = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = B,
            Objects = [.. Enumerable.Range(0, 6).Select(i => new KeyVersion { Key = $"batch/{i}" })],
        });
        Assert.Equal(6, res.DeletedObjects.Count); // S3 reports a missing key as deleted too
        Assert.True(res.DeleteErrors is null || res.DeleteErrors.Count == 0);
        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, Prefix = "batch/" });
        Assert.True(list.S3Objects is null || list.S3Objects.Count == 0);

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "batch/q", ContentBody = "x" });
        var quiet = await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = B, Quiet = true, Objects = [new KeyVersion { Key = "batch/q" }] });
        Assert.True(quiet.DeletedObjects is null || quiet.DeletedObjects.Count == 0);
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, "batch/q"));
    }

    [Fact]
    public async Task DeleteObjects_with_malformed_xml_is_MalformedXML()
    {
        var body = "<Delete><Object><Key>a</Key></Object"u8.ToArray();
        var res = await SendSignedAsync(HttpMethod.Post, $"/{B}?delete", body,
            ("Content-MD5", Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(body))));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Contains("<Code>MalformedXML</Code>", await res.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CopyObject_copies_bytes_and_metadata_or_replaces_the_metadata()
    {
        using var s3 = f.S3();
        var put = new PutObjectRequest { BucketName = B, Key = "copy/src", ContentBody = "copy me", ContentType = "text/src" };
        put.Metadata.Add("origin", "src");
        var src = await s3.PutObjectAsync(put);
        await s3.PutBucketAsync("copy-target");

        var c1 = await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = B, SourceKey = "copy/src", DestinationBucket = "copy-target", DestinationKey = "dst/1" });
        Assert.Equal(src.ETag, c1.ETag);
        using (var g1 = await s3.GetObjectAsync("copy-target", "dst/1"))
        {
            Assert.Equal("copy me", Encoding.UTF8.GetString(await S3Assert.ReadAll(g1.ResponseStream)));
            Assert.Equal("text/src", g1.Headers.ContentType);
            Assert.Equal("src", g1.Metadata["x-amz-meta-origin"]);
        }

        var replace = new CopyObjectRequest
        {
            SourceBucket = B, SourceKey = "copy/src", DestinationBucket = B, DestinationKey = "copy/src",
            MetadataDirective = S3MetadataDirective.REPLACE, ContentType = "text/replaced",
        };
        replace.Metadata.Add("origin", "replaced");
        await s3.CopyObjectAsync(replace);
        var head = await s3.GetObjectMetadataAsync(B, "copy/src");
        Assert.Equal("text/replaced", head.Headers.ContentType);
        Assert.Equal("replaced", head.Metadata["x-amz-meta-origin"]);
    }

    [Fact]
    public async Task CopyObject_errors_are_S3s()
    {
        using var s3 = f.S3();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "copy/self", ContentBody = "x" });
        await S3Assert.Fails("InvalidRequest", HttpStatusCode.BadRequest, () => s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = B, SourceKey = "copy/self", DestinationBucket = B, DestinationKey = "copy/self",
        }));
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = B, SourceKey = "copy/none", DestinationBucket = B, DestinationKey = "copy/x",
        }));
        await S3Assert.Fails("NoSuchBucket", HttpStatusCode.NotFound, () => s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = "copy-no-bucket", SourceKey = "k", DestinationBucket = B, DestinationKey = "copy/x",
        }));
        var etag = (await s3.GetObjectMetadataAsync(B, "copy/self")).ETag;
        await S3Assert.Fails("PreconditionFailed", HttpStatusCode.PreconditionFailed, () => s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = B, SourceKey = "copy/self", DestinationBucket = B, DestinationKey = "copy/cond", ETagToMatch = "\"0000\"",
        }));
        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = B, SourceKey = "copy/self", DestinationBucket = B, DestinationKey = "copy/cond", ETagToMatch = etag });
    }

    [Fact]
    public async Task A_storage_class_naming_a_mogilefs_class_is_used_and_an_unknown_one_is_refused()
    {
        using var s3 = f.S3();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "testdom", Key = "classy", ContentBody = "x", StorageClass = new S3StorageClass("c1") });
        using var mogile = f.Mogile("testdom");
        Assert.Equal("c1", (await mogile.FileInfoAsync("classy"))!.Class);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "testdom", Key = "standard", ContentBody = "x", StorageClass = S3StorageClass.Standard });
        Assert.Equal("default", (await mogile.FileInfoAsync("standard"))!.Class);
        await S3Assert.Fails("InvalidStorageClass", HttpStatusCode.BadRequest,
            () => s3.PutObjectAsync(new PutObjectRequest { BucketName = "testdom", Key = "nope", ContentBody = "x", StorageClass = new S3StorageClass("no-such-class") }));
    }

    /// <summary>A request signed with the test key by the gateway's own SigV4 code (for requests the SDK will not send).</summary>
    internal async Task<HttpResponseMessage> SendSignedAsync(HttpMethod method, string pathAndQuery, byte[] body, params (string, string)[] headers) =>
        await RawS3.SendAsync(f, method, pathAndQuery, body, headers);
}
