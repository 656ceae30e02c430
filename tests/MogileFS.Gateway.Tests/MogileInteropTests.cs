using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace MogileFS.Gateway.Tests;

/// <summary>The same files through S3 and through MogileFS clients, including changes made behind the gateway's back.</summary>
public class MogileInteropTests(GatewayFixture f) : IClassFixture<GatewayFixture>, IAsyncLifetime
{
    private const string B = "interop";

    public async Task InitializeAsync()
    {
        using var s3 = f.S3();
        try { await s3.PutBucketAsync(B); }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_file_stored_with_mogilefs_reads_and_lists_through_s3()
    {
        using var mogile = f.Mogile(B);
        var data = S3Assert.Bytes(5000, seed: 21);
        await mogile.StoreBytesAsync("from-mogile/file.bin", data);
        using var s3 = f.S3();
        using (var get = await s3.GetObjectAsync(B, "from-mogile/file.bin"))
        {
            Assert.Equal(data, await S3Assert.ReadAll(get.ResponseStream));
            Assert.Equal(5000, get.ContentLength);
            Assert.Contains("-", get.ETag); // not an MD5: clients must not check it as one
        }
        var head1 = await s3.GetObjectMetadataAsync(B, "from-mogile/file.bin");
        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, Prefix = "from-mogile/" });
        var o = Assert.Single(list.S3Objects);
        Assert.Equal(5000, o.Size);
        Assert.Equal(head1.ETag, o.ETag);
        // Its Last-Modified is fixed from the first time the gateway saw it.
        var head2 = await s3.GetObjectMetadataAsync(B, "from-mogile/file.bin");
        Assert.Equal(head1.LastModified, head2.LastModified);
    }

    [Fact]
    public async Task A_key_deleted_through_mogilefs_disappears_from_s3_and_leaves_no_listing_trace()
    {
        using var s3 = f.S3();
        var put = new PutObjectRequest { BucketName = B, Key = "gone/k", ContentBody = "soon gone", ContentType = "text/x-gone" };
        put.Metadata.Add("m", "1");
        await s3.PutObjectAsync(put);
        using var mogile = f.Mogile(B);
        Assert.True(await mogile.DeleteAsync("gone/k"));
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, "gone/k"));
        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, Prefix = "gone/" });
        Assert.True(list.S3Objects is null || list.S3Objects.Count == 0);

        // Stored again with MogileFS: the old S3 row must not dress the new file.
        await mogile.StoreBytesAsync("gone/k", "new bytes"u8.ToArray());
        using var get = await s3.GetObjectAsync(B, "gone/k");
        Assert.Equal("new bytes", Encoding.UTF8.GetString(await S3Assert.ReadAll(get.ResponseStream)));
        Assert.Equal("binary/octet-stream", get.Headers.ContentType);
        Assert.False(get.Metadata.Keys.Contains("x-amz-meta-m"));
        Assert.Equal(9, get.ContentLength);
    }

    [Fact]
    public async Task A_key_overwritten_through_mogilefs_reads_as_the_new_file()
    {
        using var s3 = f.S3();
        var first = await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "over/k", ContentBody = "written by s3" });
        using var mogile = f.Mogile(B);
        await mogile.StoreBytesAsync("over/k", "rewritten by mogupload"u8.ToArray());
        using var get = await s3.GetObjectAsync(B, "over/k");
        Assert.Equal("rewritten by mogupload", Encoding.UTF8.GetString(await S3Assert.ReadAll(get.ResponseStream)));
        Assert.NotEqual(first.ETag, get.ETag);
        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, Prefix = "over/" });
        Assert.Equal("rewritten by mogupload".Length, Assert.Single(list.S3Objects).Size);
    }

    [Fact]
    public async Task A_key_renamed_through_mogilefs_keeps_its_s3_metadata_under_the_new_name()
    {
        using var s3 = f.S3();
        var put = new PutObjectRequest { BucketName = B, Key = "ren/a", ContentBody = "renamed", ContentType = "text/x-ren" };
        var etag = (await s3.PutObjectAsync(put)).ETag;
        using var mogile = f.Mogile(B);
        Assert.True(await mogile.RenameAsync("ren/a", "ren/b"));
        var head = await s3.GetObjectMetadataAsync(B, "ren/b");
        Assert.Equal(etag, head.ETag); // the row belongs to the file (fid), and rename keeps the fid
        Assert.Equal("text/x-ren", head.Headers.ContentType);
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync(B, "ren/a"));
    }

    [Fact]
    public async Task The_sweeper_drops_rows_of_files_that_no_longer_exist()
    {
        using var s3 = f.S3();
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "sweep/k", ContentBody = "x" });
        using var mogile = f.Mogile(B);
        await mogile.DeleteAsync("sweep/k");
        Assert.Equal(1, await f.Cluster.CountAsync("SELECT COUNT(*) FROM s3_object WHERE dkey = 'sweep/k'"));
        await f.Gateway.Context.Store.SweepAsync(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds(), default);
        Assert.Equal(0, await f.Cluster.CountAsync("SELECT COUNT(*) FROM s3_object WHERE dkey = 'sweep/k'"));
    }

    [Fact]
    public async Task Reads_during_concurrent_overwrites_never_mix_one_versions_bytes_with_anothers_etag()
    {
        using var s3 = f.S3();
        var versions = Enumerable.Range(0, 4).Select(i => S3Assert.Bytes(20_000 + i * 1000, seed: 100 + i)).ToArray();
        var etags = versions.ToDictionary(v => "\"" + S3Assert.Md5Hex(v) + "\"", v => v);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "race", InputStream = new MemoryStream(versions[0]) });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        var writer = Task.Run(async () =>
        {
            using var w = f.S3();
            for (int i = 1; !cts.IsCancellationRequested; i++)
            {
                await w.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "race", InputStream = new MemoryStream(versions[i % versions.Length]) });
                if (i % 5 == 0) await w.DeleteObjectAsync(B, "race");
            }
        });
        int reads = 0, missing = 0;
        while (!cts.IsCancellationRequested)
        {
            try
            {
                using var get = await s3.GetObjectAsync(B, "race");
                var bytes = await S3Assert.ReadAll(get.ResponseStream);
                Assert.True(etags.TryGetValue(get.ETag, out var expected), "unknown etag " + get.ETag);
                Assert.Equal(expected.Length, bytes.Length);
                Assert.Equal(S3Assert.Md5Hex(expected), S3Assert.Md5Hex(bytes));
                reads++;
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey") { missing++; }
        }
        await writer;
        Assert.True(reads > 10, $"only {reads} reads ({missing} missing)");
    }
}
