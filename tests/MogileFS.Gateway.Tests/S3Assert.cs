using System.Net;
using Amazon.S3;

namespace MogileFS.Gateway.Tests;

internal static class S3Assert
{
    /// <summary>Runs <paramref name="call"/> and checks it fails with S3 error <paramref name="code"/> and <paramref name="status"/>.</summary>
    public static async Task<AmazonS3Exception> Fails(string code, HttpStatusCode status, Func<Task> call)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(call);
        Assert.True(code == e.ErrorCode, $"expected {code}, got {e.ErrorCode} ({e.StatusCode}): {e.Message}");
        Assert.Equal(status, e.StatusCode);
        return e;
    }

    public static byte[] Bytes(int n, int seed = 1)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    public static string Md5Hex(byte[] data) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(data));

    public static async Task<byte[]> ReadAll(Stream s)
    {
        using var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return ms.ToArray();
    }
}
