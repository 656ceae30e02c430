using System.Net;
using System.Text;
using Amazon.S3.Model;
using MogileFS.Store;
using MogileFS.TestSupport;

namespace MogileFS.Gateway.Tests;

public sealed class PostgresGatewayFixture : GatewayFixture
{
    protected override DatabaseKind Database => DatabaseKind.Postgres;
    protected override string Net => "127.0.116";
}

public sealed class MariaDbGatewayFixture : GatewayFixture
{
    protected override DatabaseKind Database => DatabaseKind.MySql;
    protected override string Net => "127.0.117";
}

/// <summary>The main S3 paths end to end with the cluster on PostgreSQL and on MariaDB.</summary>
public static class ServerDatabaseScenario
{
    public static async Task RunAsync(GatewayFixture f)
    {
        using var s3 = f.S3();
        await s3.PutBucketAsync("srvdb");
        string[] keys = ["dir/a", "dir/B", "dir/sub/c", "é-key", "top"];
        foreach (var k in keys)
        {
            var put = new PutObjectRequest { BucketName = "srvdb", Key = k, ContentBody = "body " + k, ContentType = "text/plain; charset=utf-8" };
            put.Metadata.Add("note", "ascii only");
            await s3.PutObjectAsync(put);
        }
        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "srvdb", Delimiter = "/" });
        Assert.Equal(["top", "é-key"], list.S3Objects.Select(o => o.Key).ToList());
        Assert.Equal(["dir/"], list.CommonPrefixes.ToList());
        var dir = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "srvdb", Prefix = "dir/", MaxKeys = 1 });
        Assert.Equal("dir/B", Assert.Single(dir.S3Objects).Key); // byte order: 'B' < 'a'
        Assert.True(dir.IsTruncated);

        using (var get = await s3.GetObjectAsync("srvdb", "é-key"))
        {
            Assert.Equal("body é-key", Encoding.UTF8.GetString(await S3Assert.ReadAll(get.ResponseStream)));
            Assert.Equal("ascii only", get.Metadata["x-amz-meta-note"]);
        }
        using (var mogile = f.Mogile("srvdb"))
            Assert.True(await mogile.DeleteAsync("top"));
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync("srvdb", "top"));

        // Multipart with its part layout (GET ?partNumber), then the sweep of rows and layouts of deleted files.
        var up = (await s3.InitiateMultipartUploadAsync("srvdb", "mp")).UploadId;
        byte[] p1 = S3Assert.Bytes(5 << 20, 31), p2 = S3Assert.Bytes(100, 32);
        var etags = new List<PartETag>();
        foreach (var (n, data) in new[] { (1, p1), (2, p2) })
            etags.Add(new PartETag(n, (await s3.UploadPartAsync(new UploadPartRequest
                { BucketName = "srvdb", Key = "mp", UploadId = up, PartNumber = n, InputStream = new MemoryStream(data) })).ETag));
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = "srvdb", Key = "mp", UploadId = up, PartETags = etags });
        using (var part = await s3.GetObjectAsync(new GetObjectRequest { BucketName = "srvdb", Key = "mp", PartNumber = 2 }))
        {
            Assert.Equal(p2, await S3Assert.ReadAll(part.ResponseStream));
            Assert.Equal(2, part.PartsCount);
        }
        await s3.DeleteObjectAsync("srvdb", "mp");
        await f.Gateway.Context.Store.SweepAsync(DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds(), default);
        Assert.Equal(0, await f.Cluster.CountAsync("SELECT COUNT(*) FROM s3_object_part"));

        await s3.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = "srvdb", Objects = [.. keys.Select(k => new KeyVersion { Key = k })] });
        await s3.DeleteBucketAsync("srvdb");
    }
}

public class PostgresGatewayTests(PostgresGatewayFixture f) : IClassFixture<PostgresGatewayFixture>
{
    [PostgresFact] public Task Main_paths_work_on_postgres() => ServerDatabaseScenario.RunAsync(f);
}

public class MariaDbGatewayTests(MariaDbGatewayFixture f) : IClassFixture<MariaDbGatewayFixture>
{
    [MariaDbFact] public Task Main_paths_work_on_mariadb() => ServerDatabaseScenario.RunAsync(f);
}
