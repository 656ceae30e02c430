using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using MogileFS.Gateway.Uploads;

namespace MogileFS.Gateway.Tests;

public sealed class MultipartJoinFixture : GatewayFixture
{
    protected override string Net => "127.0.122";
}

/// <summary>Storage nodes without the join request (as MogileFS 2.73's mogstored).</summary>
public sealed class MultipartNoJoinFixture : GatewayFixture
{
    protected override string Net => "127.0.123";
    protected override void ConfigureNode(MogileFS.StorageNode.StorageNodeOptions options) => options.Join = false;
}

internal static class JoinHelpers
{
    public const int MiB = 1 << 20;

    public static async Task<AmazonS3Client> BucketAsync(GatewayFixture f, string bucket)
    {
        var s3 = f.S3();
        try { await s3.PutBucketAsync(bucket); }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou") { }
        return s3;
    }

    public static async Task<PartETag> PartAsync(AmazonS3Client s3, string bucket, string key, string uploadId, int number, byte[] data)
    {
        var r = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = number, InputStream = new MemoryStream(data),
        });
        return new PartETag(number, r.ETag);
    }

    public static Task<CompleteMultipartUploadResponse> CompleteAsync(AmazonS3Client s3, string bucket, string key, string uploadId, List<PartETag> parts) =>
        s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId, PartETags = parts });

    public static string ETagOf(params byte[][] parts) =>
        "\"" + Convert.ToHexStringLower(MD5.HashData(parts.SelectMany(p => MD5.HashData(p)).ToArray())) + "-" + parts.Length + "\"";

    /// <summary>The storage URLs of an upload's part files.</summary>
    public static async Task<List<string>> PartPathsAsync(GatewayFixture f, string uploadId)
    {
        string domain = MultipartSettings.Of(f.Gateway.Context.Options).PartsDomain;
        using var mog = f.Mogile(domain);
        var paths = new List<string>();
        await foreach (var k in mog.ListKeysAsync(uploadId + "/")) paths.AddRange(await mog.GetPathsAsync(k));
        return paths;
    }

    public static string NodeOf(string url) => new Uri(url).Authority;
}

/// <summary>
/// Complete on storage nodes that have the join request: the object is built on a node (local parts
/// with copy_file_range, others fetched from their nodes), with the right bytes and ETag; a part file
/// gone from its disk makes Complete fail cleanly and leaves the upload to be retried.
/// </summary>
public class MultipartJoinTests(MultipartJoinFixture f) : IClassFixture<MultipartJoinFixture>
{
    private const int MiB = JoinHelpers.MiB;

    [Fact]
    public async Task Parts_of_an_upload_go_to_one_node_and_complete_joins_them_there()
    {
        using var s3 = await JoinHelpers.BucketAsync(f, "join-one");
        var up = (await s3.InitiateMultipartUploadAsync("join-one", "a/b.bin")).UploadId;
        byte[][] data = [S3Assert.Bytes(5 * MiB, 1), S3Assert.Bytes(5 * MiB + 17, 2), S3Assert.Bytes(5 * MiB, 3), S3Assert.Bytes(999, 4)];
        var etags = new List<PartETag>();
        for (int i = 0; i < data.Length; i++) etags.Add(await JoinHelpers.PartAsync(s3, "join-one", "a/b.bin", up, i + 1, data[i]));
        var paths = await JoinHelpers.PartPathsAsync(f, up);
        Assert.Equal(4, paths.Count);
        Assert.Single(paths.Select(JoinHelpers.NodeOf).Distinct());

        var before = f.Gateway.Router.Multipart.Completions;
        var done = await JoinHelpers.CompleteAsync(s3, "join-one", "a/b.bin", up, etags);
        Assert.Equal(JoinHelpers.ETagOf(data), done.ETag);
        Assert.Equal(before.Joined + 1, f.Gateway.Router.Multipart.Completions.Joined);

        byte[] whole = [.. data[0], .. data[1], .. data[2], .. data[3]];
        using var mog = f.Mogile("join-one");
        Assert.Equal(whole, await mog.GetBytesAsync("a/b.bin"));
        using var get = await s3.GetObjectAsync("join-one", "a/b.bin");
        Assert.Equal(whole, await S3Assert.ReadAll(get.ResponseStream));
        Assert.Equal(JoinHelpers.ETagOf(data), get.ETag);
    }

    [Fact]
    public async Task Parts_on_several_nodes_are_joined_with_the_remote_ones_fetched()
    {
        using var s3 = await JoinHelpers.BucketAsync(f, "join-many");
        var up = (await s3.InitiateMultipartUploadAsync("join-many", "k")).UploadId;
        var data = new List<byte[]>();
        var etags = new List<PartETag>();
        // Without the upload's node hint, the tracker spreads the parts; upload until they are on two nodes at least.
        for (int i = 1; i <= 12; i++)
        {
            f.Gateway.Router.Multipart.ForgetPartNode(up);
            data.Add(S3Assert.Bytes(5 * MiB + i, 100 + i));
            etags.Add(await JoinHelpers.PartAsync(s3, "join-many", "k", up, i, data[^1]));
            if (i >= 3 && (await JoinHelpers.PartPathsAsync(f, up)).Select(JoinHelpers.NodeOf).Distinct().Count() >= 2) break;
        }
        Assert.True((await JoinHelpers.PartPathsAsync(f, up)).Select(JoinHelpers.NodeOf).Distinct().Count() >= 2, "parts stayed on one node");

        var before = f.Gateway.Router.Multipart.Completions;
        var done = await JoinHelpers.CompleteAsync(s3, "join-many", "k", up, etags);
        Assert.Equal(JoinHelpers.ETagOf([.. data]), done.ETag);
        Assert.Equal(before.Joined + 1, f.Gateway.Router.Multipart.Completions.Joined);
        using var mog = f.Mogile("join-many");
        Assert.Equal(data.SelectMany(d => d).ToArray(), await mog.GetBytesAsync("k"));
    }

    [Fact]
    public async Task A_part_file_missing_on_disk_fails_complete_cleanly_and_it_can_be_retried()
    {
        using var s3 = await JoinHelpers.BucketAsync(f, "join-missing");
        var up = (await s3.InitiateMultipartUploadAsync("join-missing", "k")).UploadId;
        byte[] p1 = S3Assert.Bytes(5 * MiB, 7), p2 = S3Assert.Bytes(1000, 8);
        var e1 = await JoinHelpers.PartAsync(s3, "join-missing", "k", up, 1, p1);
        var e2 = await JoinHelpers.PartAsync(s3, "join-missing", "k", up, 2, p2);

        // Part 2's file disappears from its disk (the tracker still lists it).
        string domain = MultipartSettings.Of(f.Gateway.Context.Options).PartsDomain;
        using var parts = f.Mogile(domain);
        string part2Key = "";
        await foreach (var k in parts.ListKeysAsync(up + "/00002/")) part2Key = k;
        string url = (await parts.GetPathsAsync(part2Key)).Single();
        File.Delete(f.Cluster.NodeForUrl(url)!.PathFor(new Uri(url).AbsolutePath));

        await S3Assert.Fails("ServiceUnavailable", HttpStatusCode.ServiceUnavailable,
            () => JoinHelpers.CompleteAsync(s3, "join-missing", "k", up, [e1, e2]));
        await S3Assert.Fails("NoSuchKey", HttpStatusCode.NotFound, () => s3.GetObjectAsync("join-missing", "k"));
        // The upload is still there, with its parts; the client uploads the lost part again and completes.
        var listed = await s3.ListPartsAsync(new ListPartsRequest { BucketName = "join-missing", Key = "k", UploadId = up });
        Assert.Equal(2, listed.Parts.Count);
        e2 = await JoinHelpers.PartAsync(s3, "join-missing", "k", up, 2, p2);
        var done = await JoinHelpers.CompleteAsync(s3, "join-missing", "k", up, [e1, e2]);
        Assert.Equal(JoinHelpers.ETagOf(p1, p2), done.ETag);
        using var mog = f.Mogile("join-missing");
        Assert.Equal(p1.Concat(p2).ToArray(), await mog.GetBytesAsync("k"));
    }
}

/// <summary>Storage nodes without the join request: Complete finds out, remembers it, and streams the parts as before.</summary>
public class MultipartNoJoinTests(MultipartNoJoinFixture f) : IClassFixture<MultipartNoJoinFixture>
{
    private const int MiB = JoinHelpers.MiB;

    [Fact]
    public async Task Complete_streams_through_the_gateway_when_the_node_has_no_join()
    {
        using var s3 = await JoinHelpers.BucketAsync(f, "nojoin");
        for (int round = 0; round < 2; round++)
        {
            var up = (await s3.InitiateMultipartUploadAsync("nojoin", "k" + round)).UploadId;
            byte[] p1 = S3Assert.Bytes(5 * MiB, 20 + round), p2 = S3Assert.Bytes(4321, 30 + round);
            var etags = new List<PartETag>
            {
                await JoinHelpers.PartAsync(s3, "nojoin", "k" + round, up, 1, p1),
                await JoinHelpers.PartAsync(s3, "nojoin", "k" + round, up, 2, p2),
            };
            string node = JoinHelpers.NodeOf((await JoinHelpers.PartPathsAsync(f, up))[0]);
            var before = f.Gateway.Router.Multipart.Completions;
            var done = await JoinHelpers.CompleteAsync(s3, "nojoin", "k" + round, up, etags);
            Assert.Equal(JoinHelpers.ETagOf(p1, p2), done.ETag);
            var after = f.Gateway.Router.Multipart.Completions;
            Assert.Equal((before.Joined, before.Streamed + 1), after);
            using var mog = f.Mogile("nojoin");
            Assert.Equal(p1.Concat(p2).ToArray(), await mog.GetBytesAsync("k" + round));
            Assert.True(f.Gateway.Router.Multipart.Join.KnownUnsupported(node) || round == 0);
        }
        // Nothing but the two objects was left on the nodes by the refused joins (a 2.73 node answers 400).
        Assert.DoesNotContain(f.Cluster.Nodes.SelectMany(n => Directory.GetFiles(n.DocRoot, "*.tmp", SearchOption.AllDirectories)), _ => true);
    }
}
