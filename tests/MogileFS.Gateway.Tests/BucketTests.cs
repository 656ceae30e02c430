using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace MogileFS.Gateway.Tests;

public class BucketTests(GatewayFixture f) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Create_list_head_and_delete_a_bucket_as_a_mogilefs_domain()
    {
        using var s3 = f.S3();
        await s3.PutBucketAsync("b-life");
        // The bucket is a domain: the tracker lists it.
        var domains = await f.Cluster.QueryOkAsync("get_domains");
        Assert.Contains(domains, kv => kv.Value == "b-life");

        var list = await s3.ListBucketsAsync(new ListBucketsRequest());
        var mine = Assert.Single(list.Buckets, b => b.BucketName == "b-life");
        Assert.InRange(mine.CreationDate!.Value.ToUniversalTime(), DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));
        // A domain made with mogadm is a bucket too.
        Assert.Contains(list.Buckets, b => b.BucketName == "testdom");

        await s3.HeadBucketAsync(new HeadBucketRequest { BucketName = "b-life" });
        var loc = await s3.GetBucketLocationAsync("b-life");
        Assert.True(string.IsNullOrEmpty(loc.Location?.Value) || loc.Location.Value == "us-east-1");

        await s3.DeleteBucketAsync("b-life");
        domains = await f.Cluster.QueryOkAsync("get_domains");
        Assert.DoesNotContain(domains, kv => kv.Value == "b-life");
        await S3Assert.Fails("NoSuchBucket", HttpStatusCode.NotFound, () => s3.DeleteBucketAsync("b-life"));
    }

    [Fact]
    public async Task Creating_an_existing_bucket_says_it_is_already_owned()
    {
        using var s3 = f.S3();
        await s3.PutBucketAsync("b-twice");
        await S3Assert.Fails("BucketAlreadyOwnedByYou", HttpStatusCode.Conflict, () => s3.PutBucketAsync("b-twice"));
    }

    [Fact]
    public async Task An_invalid_bucket_name_is_refused()
    {
        using var s3 = f.S3();
        await S3Assert.Fails("InvalidBucketName", HttpStatusCode.BadRequest, () => s3.PutBucketAsync("ab"));
        await S3Assert.Fails("InvalidBucketName", HttpStatusCode.BadRequest, () => s3.PutBucketAsync("-bad-start"));
    }

    [Fact]
    public async Task A_bucket_with_objects_is_not_deleted()
    {
        using var s3 = f.S3();
        await s3.PutBucketAsync("b-full");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "b-full", Key = "k", ContentBody = "x" });
        await S3Assert.Fails("BucketNotEmpty", HttpStatusCode.Conflict, () => s3.DeleteBucketAsync("b-full"));
        await s3.DeleteObjectAsync("b-full", "k");
        await s3.DeleteBucketAsync("b-full");
    }

    [Fact]
    public async Task Head_of_a_missing_bucket_is_404_and_operations_on_it_are_NoSuchBucket()
    {
        using var s3 = f.S3();
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.HeadBucketAsync(new HeadBucketRequest { BucketName = "b-missing" }));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        await S3Assert.Fails("NoSuchBucket", HttpStatusCode.NotFound, () => s3.PutObjectAsync(new PutObjectRequest { BucketName = "b-missing", Key = "k", ContentBody = "x" }));
        await S3Assert.Fails("NoSuchBucket", HttpStatusCode.NotFound, () => s3.GetObjectAsync("b-missing", "k"));
        await S3Assert.Fails("NoSuchBucket", HttpStatusCode.NotFound, () => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "b-missing" }));
    }

    [Fact]
    public async Task Versioning_reads_as_never_enabled_and_unsupported_subresources_say_NotImplemented()
    {
        using var s3 = f.S3();
        await s3.PutBucketAsync("b-sub");
        var v = await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = "b-sub" });
        Assert.True(v.VersioningConfig.Status is null || v.VersioningConfig.Status == VersionStatus.Off);
        await S3Assert.Fails("NotImplemented", HttpStatusCode.NotImplemented, () => s3.GetBucketPolicyAsync(new GetBucketPolicyRequest { BucketName = "b-sub" }));
    }
}
