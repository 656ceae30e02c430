using Amazon.S3;
using Amazon.S3.Model;

namespace MogileFS.Gateway.Tests;

public class SmokeTests(GatewayFixture f) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Put_then_get_round_trips_through_mogilefs()
    {
        using var s3 = f.S3();
        await s3.PutBucketAsync("smoke");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = "smoke", Key = "hello.txt", ContentBody = "hello world", ContentType = "text/plain" });
        using var get = await s3.GetObjectAsync("smoke", "hello.txt");
        using var reader = new StreamReader(get.ResponseStream);
        Assert.Equal("hello world", await reader.ReadToEndAsync());
        Assert.Equal("text/plain", get.Headers.ContentType);
        using var mogile = f.Mogile("smoke");
        Assert.Equal("hello world", System.Text.Encoding.UTF8.GetString(await mogile.GetBytesAsync("hello.txt")));
    }
}
