using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace MogileFS.Gateway.Tests;

public class ListingTests(GatewayFixture f) : IClassFixture<GatewayFixture>, IAsyncLifetime
{
    private const string B = "listing";
    private static readonly string[] Keys =
    [
        "a.txt", "b/1", "b/2", "b/c/3", "b/c/4", "d/5", "e", "f/g/h", "space key", "é/unicode", "z~last",
    ];

    public async Task InitializeAsync()
    {
        using var s3 = f.S3();
        try { await s3.PutBucketAsync(B); }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { return; }
        foreach (var k in Keys) await s3.PutObjectAsync(new PutObjectRequest { BucketName = B, Key = k, ContentBody = "data of " + k });
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static List<string> Sorted(IEnumerable<string> keys) =>
        keys.OrderBy(k => k, Comparer<string>.Create((x, y) => System.Text.Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(y)))).ToList();

    [Fact]
    public async Task V2_lists_every_key_in_utf8_byte_order_with_size_and_etag()
    {
        using var s3 = f.S3();
        var res = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B });
        Assert.Equal(Sorted(Keys), res.S3Objects.Select(o => o.Key).ToList());
        Assert.False(res.IsTruncated);
        Assert.Equal(Keys.Length, res.KeyCount);
        var a = res.S3Objects.First(o => o.Key == "a.txt");
        Assert.Equal("data of a.txt".Length, a.Size);
        Assert.Equal("\"" + S3Assert.Md5Hex("data of a.txt"u8.ToArray()) + "\"", a.ETag);
    }

    [Fact]
    public async Task Delimiter_folds_keys_into_common_prefixes()
    {
        using var s3 = f.S3();
        var res = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, Delimiter = "/" });
        Assert.Equal(["a.txt", "e", "space key", "z~last"], res.S3Objects.Select(o => o.Key).ToList());
        Assert.Equal(["b/", "d/", "f/", "é/"], res.CommonPrefixes.ToList());

        res = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, Prefix = "b/", Delimiter = "/" });
        Assert.Equal(["b/1", "b/2"], res.S3Objects.Select(o => o.Key).ToList());
        Assert.Equal(["b/c/"], res.CommonPrefixes.ToList());
    }

    [Fact]
    public async Task V2_pages_with_continuation_tokens_and_counts_common_prefixes_towards_max_keys()
    {
        using var s3 = f.S3();
        var seen = new List<string>();
        string? token = null;
        int pages = 0;
        do
        {
            var res = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, MaxKeys = 2, Delimiter = "/", ContinuationToken = token });
            Assert.True(res.KeyCount <= 2);
            seen.AddRange(res.S3Objects?.Select(o => o.Key) ?? []);
            seen.AddRange(res.CommonPrefixes ?? []);
            token = res.IsTruncated == true ? res.NextContinuationToken : null;
            pages++;
        } while (token != null);
        Assert.Equal(4, pages);
        Assert.Equal(Sorted(["a.txt", "e", "space key", "z~last", "b/", "d/", "f/", "é/"]), Sorted(seen));
    }

    [Fact]
    public async Task Start_after_and_prefix_limit_the_listing()
    {
        using var s3 = f.S3();
        var res = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, StartAfter = "b/c/3" });
        Assert.Equal(Sorted(Keys).SkipWhile(k => k != "b/c/3").Skip(1).ToList(), res.S3Objects.Select(o => o.Key).ToList());
        res = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, Prefix = "b/c" });
        Assert.Equal(["b/c/3", "b/c/4"], res.S3Objects.Select(o => o.Key).ToList());
        res = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, Prefix = "nothing-here" });
        Assert.True(res.S3Objects is null || res.S3Objects.Count == 0);
    }

    [Fact]
    public async Task V1_pages_with_markers()
    {
        using var s3 = f.S3();
        var seen = new List<string>();
        string? marker = null;
        while (true)
        {
            var res = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = B, MaxKeys = 3, Marker = marker });
            seen.AddRange(res.S3Objects.Select(o => o.Key));
            if (res.IsTruncated != true) break;
            marker = res.NextMarker ?? res.S3Objects[^1].Key;
        }
        Assert.Equal(Sorted(Keys), seen);

        var d = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = B, Delimiter = "/", MaxKeys = 2 });
        Assert.True(d.IsTruncated);
        Assert.NotNull(d.NextMarker);
        var rest = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = B, Delimiter = "/", Marker = d.NextMarker });
        var all = (d.S3Objects?.Select(o => o.Key) ?? []).Concat(d.CommonPrefixes ?? []).Concat(rest.S3Objects?.Select(o => o.Key) ?? []).Concat(rest.CommonPrefixes ?? []);
        Assert.Equal(Sorted(["a.txt", "e", "space key", "z~last", "b/", "d/", "f/", "é/"]), Sorted(all));
    }

    [Fact]
    public async Task Encoding_type_url_encodes_keys_and_prefixes()
    {
        var res = await RawS3.SendAsync(f, HttpMethod.Get, $"/{B}?list-type=2&encoding-type=url&delimiter=%2F", null, []);
        var xml = await res.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Contains("<Key>space%20key</Key>", xml);
        Assert.Contains("<Prefix>%C3%A9/</Prefix>", xml);
        Assert.Contains("<EncodingType>url</EncodingType>", xml);
        // The .NET SDK hands the encoded keys to the caller, who decodes them.
        using var s3 = f.S3();
        var sdk = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = B, Encoding = EncodingType.Url });
        Assert.Equal(Sorted(Keys), sdk.S3Objects.Select(o => Uri.UnescapeDataString(o.Key)).ToList());
    }

    [Fact]
    public async Task Bad_listing_arguments_are_InvalidArgument()
    {
        var res = await RawS3.SendAsync(f, HttpMethod.Get, $"/{B}?list-type=2&max-keys=-1", null, []);
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Contains("<Code>InvalidArgument</Code>", await res.Content.ReadAsStringAsync());
        res = await RawS3.SendAsync(f, HttpMethod.Get, $"/{B}?list-type=2&continuation-token=%25%25notbase64", null, []);
        Assert.Contains("<Code>InvalidArgument</Code>", await res.Content.ReadAsStringAsync());
    }
}
