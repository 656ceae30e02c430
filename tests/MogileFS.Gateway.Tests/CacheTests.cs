using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using MogileFS.Gateway.S3;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway.Tests;

/// <summary>A gateway whose object cache keeps entries for <see cref="Window"/> (long enough to see it in a test).</summary>
public sealed class CacheFixture : GatewayFixture
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(2);
    protected override string Net => "127.0.123";
    protected override void Configure(GatewayOptions options) => options.ObjectCacheTime = Window;
}

/// <summary>
/// The read caches (docs/s3.md, "Caches"): changes through this gateway are seen at once; changes
/// through MogileFS within the stated window, and never as one version's bytes under another's ETag.
/// </summary>
public class CacheTests(CacheFixture f) : IClassFixture<CacheFixture>, IAsyncLifetime
{
    private const string B = "cached";

    public async Task InitializeAsync()
    {
        using var s3 = f.S3();
        try { await s3.PutBucketAsync(B); }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<(string Body, string ETag)> GetAsync(AmazonS3Client s3, string key)
    {
        using var get = await s3.GetObjectAsync(B, key);
        return (Encoding.UTF8.GetString(await S3Assert.ReadAll(get.ResponseStream)), get.ETag);
    }

    [Fact]
    public async Task Overwrites_and_deletes_through_this_gateway_are_seen_at_once()
    {
        using var s3 = f.S3();
        for (int i = 0; i < 5; i++)
        {
            var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "own/k", ContentBody = "version " + i });
            var (body, etag) = await GetAsync(s3, "own/k"); // also fills the caches
            Assert.Equal("version " + i, body);
            Assert.Equal(put.ETag, etag);
            Assert.Equal(put.ETag, (await s3.GetObjectMetadataAsync(B, "own/k")).ETag);
        }
        await s3.CopyObjectAsync(B, "own/k", B, "own/copy");
        await GetAsync(s3, "own/copy");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "own/copy", ContentBody = "replaced" });
        Assert.Equal("replaced", (await GetAsync(s3, "own/copy")).Body);
        await s3.DeleteObjectAsync(B, "own/k");
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, "own/k"));
        await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = B, Objects = [new KeyVersion { Key = "own/copy" }] });
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, "own/copy"));
    }

    [Fact]
    public async Task An_overwrite_through_mogilefs_is_seen_within_the_window_and_never_mixes_versions()
    {
        using var s3 = f.S3();
        var first = await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "behind/k", ContentBody = "old bytes" });
        Assert.Equal("old bytes", (await GetAsync(s3, "behind/k")).Body); // cached now
        using var mogile = f.Mogile(B);
        await mogile.StoreBytesAsync("behind/k", "new bytes from mogupload"u8.ToArray());
        var changed = DateTime.UtcNow;

        // Inside the window the gateway may still answer with the old version, but whole and with its own ETag.
        var (body, etag) = await GetAsync(s3, "behind/k");
        Assert.True((body == "old bytes" && etag == first.ETag) || (body == "new bytes from mogupload" && etag != first.ETag),
            $"got '{body}' with ETag {etag}");

        // After the window it answers with the new file.
        var wait = CacheFixture.Window + TimeSpan.FromMilliseconds(200) - (DateTime.UtcNow - changed);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        (body, etag) = await GetAsync(s3, "behind/k");
        Assert.Equal("new bytes from mogupload", body);
        Assert.NotEqual(first.ETag, etag);
    }

    [Fact]
    public async Task A_delete_through_mogilefs_is_seen_within_the_window()
    {
        using var s3 = f.S3();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "behind/del", ContentBody = "to be deleted" });
        Assert.Equal("to be deleted", (await GetAsync(s3, "behind/del")).Body);
        using var mogile = f.Mogile(B);
        Assert.True(await mogile.DeleteAsync("behind/del"));
        await Task.Delay(CacheFixture.Window + TimeSpan.FromMilliseconds(200));
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, "behind/del"));
        var head = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(B, "behind/del"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task Ranges_of_a_small_object_come_right_from_the_content_cache()
    {
        using var s3 = f.S3();
        var data = S3Assert.Bytes(10_000, seed: 7);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "small/r", InputStream = new MemoryStream(data) });
        for (int i = 0; i < 2; i++) // the first read fills the cache, the second is served from it
        {
            using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = B, Key = "small/r", ByteRange = new ByteRange(1000, 2999) });
            Assert.Equal(data[1000..3000], await S3Assert.ReadAll(get.ResponseStream));
            using var whole = await s3.GetObjectAsync(B, "small/r");
            Assert.Equal(data, await S3Assert.ReadAll(whole.ResponseStream));
        }
        var fid = (await f.Gateway.Context.Store.FindObjectAsync((await f.Gateway.Context.Store.DomainIdAsync(B, default))!.Value, "small/r", default))!.Fid;
        Assert.Equal(data, f.Gateway.Context.Cache.Content(fid));
    }

    [Fact]
    public void A_lookup_that_started_before_a_change_does_not_store_its_older_answer()
    {
        var cache = new ObjectCache(new GatewayOptions { ObjectCacheTime = TimeSpan.FromMinutes(1) });
        var old = new ObjectEntry("k", 1, 3, null);
        var meta = new ObjectMeta(1, 3, "e1", null, null, 0, 0);
        long stamp = cache.Stamp("b", "k"); // the read asks the database ...
        cache.Invalidate("b", "k");         // ... while a PUT of the key completes
        cache.Add("b", "k", stamp, old, meta);
        Assert.False(cache.TryGet("b", "k", out _, out _));

        stamp = cache.Stamp("b", "k");
        cache.Add("b", "k", stamp, old, meta);
        Assert.True(cache.TryGet("b", "k", out var e, out _));
        Assert.Equal(1, e.Fid);
        cache.Forget("b", "k", fid: 2); // a 404 of another fid leaves it
        Assert.True(cache.TryGet("b", "k", out _, out _));
        cache.Forget("b", "k", fid: 1);
        Assert.False(cache.TryGet("b", "k", out _, out _));
    }

    [Fact]
    public void The_content_cache_keeps_files_read_again_and_lets_files_read_once_pass()
    {
        var cache = new ObjectCache(new GatewayOptions { ContentCacheSize = 1000, ContentCacheMaxObject = 100 });
        byte[] File(long fid) => Enumerable.Repeat((byte)fid, 100).ToArray();
        for (long fid = 1; fid <= 5; fid++) cache.AddContent(fid, File(fid)); // half the budget: one generation
        cache.AddContent(6, File(6));                                          // the next one starts a new generation
        for (long fid = 1; fid <= 6; fid++) Assert.Equal(File(fid), cache.Content(fid));
        // 1-5 were just read again (moved into the current generation with 6); now a stream of files read once.
        for (long fid = 100; fid < 130; fid++) cache.AddContent(fid, File(fid));
        Assert.Null(cache.Content(2));
        Assert.Null(cache.Content(100));
        Assert.Equal(File(129), cache.Content(129));
        Assert.InRange(cache.ContentBytes, 0, 1000 + 2 * 100);

        // A file read between the files read once stays however many pass.
        cache.AddContent(7, File(7));
        for (long fid = 200; fid < 400; fid++)
        {
            cache.AddContent(fid, File(fid));
            Assert.Equal(File(7), cache.Content(7));
        }
        Assert.InRange(cache.ContentBytes, 0, 1000 + 2 * 100);
    }

    [Fact]
    public void With_a_window_of_zero_nothing_is_kept()
    {
        var cache = new ObjectCache(new GatewayOptions { ObjectCacheTime = TimeSpan.Zero, ContentCacheSize = 0 });
        cache.Add("b", "k", cache.Stamp("b", "k"), new ObjectEntry("k", 1, 3, null), new ObjectMeta(1, 3, "e", null, null, 0, 0));
        Assert.False(cache.TryGet("b", "k", out _, out _));
        cache.AddContent(1, [1, 2, 3]);
        Assert.Null(cache.Content(1));
        Assert.Equal(0, cache.MaxContentObject);
    }
}
