using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace MogileFS.Gateway.Tests;

public class RangeAndConditionTests(GatewayFixture f) : IClassFixture<GatewayFixture>, IAsyncLifetime
{
    private const string B = "ranges";
    private static readonly byte[] Data = Encoding.ASCII.GetBytes("0123456789abcdefghijklmnopqrstuvwxyz");
    private string _etag = "";

    public async Task InitializeAsync()
    {
        using var s3 = f.S3();
        try { await s3.PutBucketAsync(B); }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { }
        _etag = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "r", InputStream = new MemoryStream(Data) })).ETag;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData(2, 5, "2345")]
    [InlineData(30, 1000, "uvwxyz")]
    [InlineData(0, 0, "0")]
    public async Task Ranged_get_returns_206_with_the_bytes_asked_for(long from, long to, string expected)
    {
        using var s3 = f.S3();
        using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = B, Key = "r", ByteRange = new ByteRange(from, to) });
        Assert.Equal(HttpStatusCode.PartialContent, get.HttpStatusCode);
        Assert.Equal(expected, Encoding.ASCII.GetString(await S3Assert.ReadAll(get.ResponseStream)));
        Assert.Equal($"bytes {from}-{from + expected.Length - 1}/{Data.Length}", get.ContentRange);
    }

    [Fact]
    public async Task Suffix_and_open_ranges_work()
    {
        using var s3 = f.S3();
        using (var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = B, Key = "r", ByteRange = new ByteRange("bytes=-3") }))
            Assert.Equal("xyz", Encoding.ASCII.GetString(await S3Assert.ReadAll(get.ResponseStream)));
        using (var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = B, Key = "r", ByteRange = new ByteRange("bytes=33-") }))
            Assert.Equal("xyz", Encoding.ASCII.GetString(await S3Assert.ReadAll(get.ResponseStream)));
    }

    [Fact]
    public async Task A_range_past_the_end_is_InvalidRange()
    {
        using var s3 = f.S3();
        await S3Assert.Fails("InvalidRange", HttpStatusCode.RequestedRangeNotSatisfiable,
            () => s3.GetObjectAsync(new GetObjectRequest { BucketName = B, Key = "r", ByteRange = new ByteRange(36, 40) }));
    }

    [Fact]
    public async Task A_ranged_read_of_a_large_object_is_exact()
    {
        using var s3 = f.S3();
        var big = S3Assert.Bytes(3 * 1024 * 1024, seed: 3);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = "big", InputStream = new MemoryStream(big) });
        using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = B, Key = "big", ByteRange = new ByteRange(1_000_000, 2_500_000) });
        Assert.Equal(big.AsSpan(1_000_000, 1_500_001).ToArray(), await S3Assert.ReadAll(get.ResponseStream));
    }

    [Fact]
    public async Task If_Match_and_If_Unmodified_Since_fail_with_PreconditionFailed()
    {
        using var s3 = f.S3();
        await S3Assert.Fails("PreconditionFailed", HttpStatusCode.PreconditionFailed,
            () => s3.GetObjectAsync(new GetObjectRequest { BucketName = B, Key = "r", EtagToMatch = "\"not-it\"" }));
        using (var ok = await s3.GetObjectAsync(new GetObjectRequest { BucketName = B, Key = "r", EtagToMatch = _etag }))
            Assert.Equal(Data, await S3Assert.ReadAll(ok.ResponseStream));
        await S3Assert.Fails("PreconditionFailed", HttpStatusCode.PreconditionFailed,
            () => s3.GetObjectAsync(new GetObjectRequest { BucketName = B, Key = "r", UnmodifiedSinceDate = DateTime.UtcNow.AddDays(-1) }));
        // A true If-Match wins over a false If-Unmodified-Since (S3's rule).
        using (var ok = await s3.GetObjectAsync(new GetObjectRequest { BucketName = B, Key = "r", EtagToMatch = _etag, UnmodifiedSinceDate = DateTime.UtcNow.AddDays(-1) }))
            Assert.Equal(HttpStatusCode.OK, ok.HttpStatusCode);
    }

    [Fact]
    public async Task If_None_Match_and_If_Modified_Since_give_304()
    {
        var res = await RawS3.SendAsync(f, HttpMethod.Get, $"/{B}/r", null, [("If-None-Match", _etag)]);
        Assert.Equal(HttpStatusCode.NotModified, res.StatusCode);
        Assert.Equal(_etag, res.Headers.ETag?.ToString());
        res = await RawS3.SendAsync(f, HttpMethod.Get, $"/{B}/r", null, [("If-None-Match", "\"other\"")]);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        res = await RawS3.SendAsync(f, HttpMethod.Get, $"/{B}/r", null, [("If-Modified-Since", DateTime.UtcNow.AddDays(1).ToString("r"))]);
        Assert.Equal(HttpStatusCode.NotModified, res.StatusCode);
        res = await RawS3.SendAsync(f, HttpMethod.Get, $"/{B}/r", null, [("If-Modified-Since", DateTime.UtcNow.AddDays(-1).ToString("r"))]);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        // HEAD too.
        res = await RawS3.SendAsync(f, HttpMethod.Head, $"/{B}/r", null, [("If-None-Match", "*")]);
        Assert.Equal(HttpStatusCode.NotModified, res.StatusCode);
    }

    [Fact]
    public async Task The_sdk_reports_304_as_an_error_with_status_NotModified()
    {
        using var s3 = f.S3();
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = B, Key = "r", EtagToNotMatch = _etag }));
        Assert.Equal(HttpStatusCode.NotModified, e.StatusCode);
    }

    [Fact]
    public async Task Response_header_overrides_apply_to_signed_gets()
    {
        using var s3 = f.S3();
        using var get = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = B, Key = "r",
            ResponseHeaderOverrides = new ResponseHeaderOverrides { ContentType = "text/x-override", ContentDisposition = "inline" },
        });
        Assert.Equal("text/x-override", get.Headers.ContentType);
        Assert.Equal("inline", get.Headers.ContentDisposition);
    }
}
