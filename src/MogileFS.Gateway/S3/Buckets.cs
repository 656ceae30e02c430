using MogileFS.Client;

namespace MogileFS.Gateway.S3;

/// <summary>
/// Bucket operations. A bucket is a MogileFS domain: CreateBucket is the tracker's
/// <c>create_domain</c> (as <c>mogadm domain add</c>), DeleteBucket its <c>delete_domain</c>, and every
/// domain, however it was made, is a bucket. The creation time S3 reports is kept in <c>s3_bucket</c>.
/// </summary>
public sealed class Buckets(GatewayContext g)
{
    /// <summary>The dmid of the request's bucket, or NoSuchBucket.</summary>
    public static async ValueTask<int> RequireAsync(GatewayContext g, S3Request r)
    {
        var bucket = r.Bucket!;
        if (bucket == Uploads.MultipartSettings.Of(g.Options).PartsDomain) throw S3Errors.NoSuchBucket(bucket); // multipart parts: not a bucket
        return await g.Store.DomainIdAsync(bucket, r.Aborted).ConfigureAwait(false) ?? throw S3Errors.NoSuchBucket(bucket);
    }

    /// <summary>Names S3 clients can address: 3-63 characters of letters, digits, '.', '-' and '_' (AWS's
    /// us-east-1 legacy rule), starting and ending with a letter or digit.</summary>
    public static bool IsValidName(string name)
    {
        if (name.Length is < 3 or > 63) return false;
        foreach (char c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')) return false;
        return char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]) && !name.Contains("..", StringComparison.Ordinal);
    }

    public async Task ListBucketsAsync(S3Request r)
    {
        var domains = await g.Store.ListDomainsAsync(r.Aborted).ConfigureAwait(false);
        long now = g.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var xml = new XmlOut().Start("ListAllMyBucketsResult", XmlOut.S3Namespace);
        Owner(xml, r);
        xml.Start("Buckets");
        foreach (var (name, created) in domains)
        {
            if (name == Uploads.MultipartSettings.Of(g.Options).PartsDomain) continue; // multipart parts: not a bucket
            long ms = created ?? now;
            // A domain made outside S3: its first listing fixes the date it reports from then on.
            if (created is null) await g.Store.SetBucketCreatedAsync(name, ms, r.Aborted).ConfigureAwait(false);
            xml.Start("Bucket").Element("Name", name).Element("CreationDate", DateTimeOffset.FromUnixTimeMilliseconds(ms)).End();
        }
        xml.End().End();
        await xml.SendAsync(r.Response).ConfigureAwait(false);
    }

    internal static void Owner(XmlOut xml, S3Request r, string element = "Owner")
    {
        string id = r.Auth.AccessKeyId ?? "anonymous";
        xml.Start(element).Element("ID", id).Element("DisplayName", id).End();
    }

    public async Task CreateBucketAsync(S3Request r)
    {
        var bucket = r.Bucket!;
        if (!IsValidName(bucket)) throw S3Errors.InvalidBucketName(bucket);
        // The body (CreateBucketConfiguration with a LocationConstraint) says nothing a MogileFS domain can hold.
        await r.ReadSmallBodyAsync(64 * 1024).ConfigureAwait(false);
        if (await g.Store.DomainIdAsync(bucket, r.Aborted).ConfigureAwait(false) != null) throw S3Errors.BucketAlreadyOwnedByYou(bucket);
        try
        {
            await g.Mogile.CreateDomainAsync(bucket, r.Aborted).ConfigureAwait(false);
        }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "domain_exists")
        {
            throw S3Errors.BucketAlreadyOwnedByYou(bucket);
        }
        g.Store.ForgetDomain(bucket);
        await g.Store.SetBucketCreatedAsync(bucket, g.Clock.GetUtcNow().ToUnixTimeMilliseconds(), r.Aborted).ConfigureAwait(false);
        r.Response.Headers.Location = "/" + bucket;
        r.Response.StatusCode = 200;
    }

    public async Task DeleteBucketAsync(S3Request r)
    {
        var bucket = r.Bucket!;
        int dmid = await RequireAsync(g, r).ConfigureAwait(false);
        if (await g.Store.DomainHasFilesAsync(dmid, r.Aborted).ConfigureAwait(false)) throw S3Errors.BucketNotEmpty(bucket);
        try
        {
            await g.Mogile.DeleteDomainAsync(bucket, r.Aborted).ConfigureAwait(false);
        }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "domain_has_files") { throw S3Errors.BucketNotEmpty(bucket); }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "domain_not_found") { throw S3Errors.NoSuchBucket(bucket); }
        catch (MogileFSTrackerException e) when (e.ErrorCode == "domain_has_classes")
        {
            throw new S3Exception(409, "InvalidBucketState",
                "The bucket's MogileFS domain still has classes other than 'default'; remove them with 'mogadm class delete' first.")
                .With("BucketName", bucket);
        }
        g.Store.ForgetDomain(bucket);
        await g.Store.ForgetBucketAsync(bucket, r.Aborted).ConfigureAwait(false);
        r.Response.StatusCode = 204;
    }

    public async Task HeadBucketAsync(S3Request r)
    {
        await RequireAsync(g, r).ConfigureAwait(false);
        r.Response.Headers["x-amz-bucket-region"] = g.Options.Region;
        r.Response.StatusCode = 200;
    }

    public async Task GetBucketLocationAsync(S3Request r)
    {
        await RequireAsync(g, r).ConfigureAwait(false);
        // AWS answers an empty constraint for us-east-1.
        var xml = new XmlOut().Start("LocationConstraint", XmlOut.S3Namespace);
        if (g.Options.Region != "us-east-1") xml.Append(System.Security.SecurityElement.Escape(g.Options.Region));
        await xml.End().SendAsync(r.Response).ConfigureAwait(false);
    }

    public async Task GetBucketVersioningAsync(S3Request r)
    {
        await RequireAsync(g, r).ConfigureAwait(false);
        await new XmlOut().Start("VersioningConfiguration", XmlOut.S3Namespace).End().SendAsync(r.Response).ConfigureAwait(false);
    }

    public async Task GetBucketAclAsync(S3Request r)
    {
        await RequireAsync(g, r).ConfigureAwait(false);
        await SendAclAsync(r).ConfigureAwait(false);
    }

    public async Task GetObjectAclAsync(S3Request r)
    {
        int dmid = await RequireAsync(g, r).ConfigureAwait(false);
        if (await g.Store.FindObjectAsync(dmid, r.Key!, r.Aborted).ConfigureAwait(false) is null) throw S3Errors.NoSuchKey(r.Key!);
        await SendAclAsync(r).ConfigureAwait(false);
    }

    /// <summary>The fixed ACL the gateway enforces: the key holders have full control; everyone may read a public-read bucket.</summary>
    private async Task SendAclAsync(S3Request r)
    {
        var xml = new XmlOut().Start("AccessControlPolicy", XmlOut.S3Namespace);
        Owner(xml, r);
        xml.Start("AccessControlList");
        xml.Start("Grant");
        xml.Append("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">")
            .Element("ID", r.Auth.AccessKeyId ?? "anonymous").Element("DisplayName", r.Auth.AccessKeyId ?? "anonymous").Append("</Grantee>");
        xml.Element("Permission", "FULL_CONTROL").End();
        if (g.Options.PublicReadBuckets.Contains(r.Bucket!))
        {
            xml.Start("Grant");
            xml.Append("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\">")
                .Element("URI", "http://acs.amazonaws.com/groups/global/AllUsers").Append("</Grantee>");
            xml.Element("Permission", "READ").End();
        }
        xml.End().End();
        await xml.SendAsync(r.Response).ConfigureAwait(false);
    }
}
