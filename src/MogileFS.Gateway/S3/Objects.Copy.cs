namespace MogileFS.Gateway.S3;

public sealed partial class Objects
{
    /// <summary>The bucket and key of <c>x-amz-copy-source</c> (<c>[/]bucket/key</c>, URL-encoded).</summary>
    public static (string Bucket, string Key) CopySource(S3Request r)
    {
        var raw = r.Header("x-amz-copy-source")!.Trim();
        int q = raw.IndexOf('?');
        if (q >= 0)
        {
            var query = S3Request.ParseQuery(raw[(q + 1)..]);
            foreach (var (k, v) in query)
                if (k == "versionId" && v != "null")
                    throw S3Errors.InvalidArgument("Versioning is not supported: the only version is 'null'.", "versionId", v);
            raw = raw[..q];
        }
        var decoded = S3Request.PercentDecode(raw).TrimStart('/');
        int slash = decoded.IndexOf('/');
        if (slash <= 0 || slash == decoded.Length - 1)
            throw S3Errors.InvalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", raw);
        return (decoded[..slash], decoded[(slash + 1)..]);
    }

    public async Task CopyObjectAsync(S3Request r)
    {
        int dmid = await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        CheckKey(r.Key!);
        var (srcBucket, srcKey) = CopySource(r);
        int srcDmid = await g.Store.DomainIdAsync(srcBucket, r.Aborted).ConfigureAwait(false) ?? throw S3Errors.NoSuchBucket(srcBucket);
        var (e, m) = await LookupAsync(srcDmid, srcKey, r.Aborted).ConfigureAwait(false) ?? throw S3Errors.NoSuchKey(srcKey);
        Conditions.Check(r, m, "x-amz-copy-source-");
        long size = (m.Flags & Store.ObjectFlags.Manifest) != 0 ? m.Size : e.Length;
        if (size > g.Options.MaxObjectSize)
            throw S3Errors.InvalidRequest($"The specified copy source is larger than the maximum allowable size for a copy source: {g.Options.MaxObjectSize}");

        string directive = r.Header("x-amz-metadata-directive") ?? "COPY";
        if (directive is not ("COPY" or "REPLACE"))
            throw S3Errors.InvalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", directive);
        bool replace = directive == "REPLACE";
        if (!replace && srcBucket == r.Bucket && srcKey == r.Key && r.Header("x-amz-storage-class") is null)
            throw S3Errors.InvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");

        await using var source = await OpenReadAsync(srcBucket, srcKey, e, m, 0, size, r.Aborted).ConfigureAwait(false);
        var meta = await StoreAsync(new StoreRequest(r.Bucket!, dmid, r.Key!, source, size)
        {
            Class = ClassOf(r),
            ContentType = replace ? r.Request.ContentType : m.ContentType,
            Meta = replace ? ObjectHeaders.FromRequest(r.Request) : m.Meta,
        }, r.Aborted).ConfigureAwait(false);
        await new XmlOut().Start("CopyObjectResult", XmlOut.S3Namespace)
            .Element("LastModified", DateTimeOffset.FromUnixTimeMilliseconds(meta.MtimeMs))
            .Element("ETag", ObjectHeaders.Quote(meta.ETag))
            .End().SendAsync(r.Response).ConfigureAwait(false);
    }
}
