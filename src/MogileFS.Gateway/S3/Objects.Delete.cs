using MogileFS.Gateway.Store;

namespace MogileFS.Gateway.S3;

public sealed partial class Objects
{
    public async Task DeleteObjectAsync(S3Request r)
    {
        int dmid = await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        await DeleteKeyAsync(r.Bucket!, dmid, r.Key!, r.Aborted).ConfigureAwait(false);
        r.Response.StatusCode = 204; // S3 answers the same whether or not the key existed
    }

    /// <summary>Deletes a key through the tracker and drops its S3 rows; true when it existed.</summary>
    public async Task<bool> DeleteKeyAsync(string bucket, int dmid, string key, CancellationToken ct)
    {
        var entry = await g.Store.FindObjectAsync(dmid, key, ct).ConfigureAwait(false);
        bool existed = await g.Mogile.DeleteAsync(bucket, key, ct).ConfigureAwait(false);
        await DropStaleAsync(dmid, key).ConfigureAwait(false);
        if (entry?.Meta is { } m && (m.Flags & ObjectFlags.Manifest) != 0 && ManifestDeleted is { } hook)
            await hook(bucket, dmid, entry, ct).ConfigureAwait(false);
        return existed;
    }

    private const int MaxDeleteKeys = 1000;

    public async Task DeleteObjectsAsync(S3Request r)
    {
        int dmid = await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        var body = await r.ReadSmallBodyAsync(2 * 1024 * 1024).ConfigureAwait(false);
        if (ContentMd5(r) is { } md5 && !md5.AsSpan().SequenceEqual(System.Security.Cryptography.MD5.HashData(body))) throw S3Errors.BadDigest();
        var (quiet, keys) = ParseDelete(body);
        var results = new (string Key, S3Exception? Error)[keys.Count];
        await Parallel.ForAsync(0, keys.Count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = r.Aborted }, async (i, ct) =>
        {
            string key = keys[i];
            try
            {
                CheckKey(key);
                await DeleteKeyAsync(r.Bucket!, dmid, key, ct).ConfigureAwait(false);
                results[i] = (key, null);
            }
            catch (S3Exception e) { results[i] = (key, e); }
            catch (MogileFS.Client.MogileFSException e) { results[i] = (key, S3Errors.InternalError(e.Message)); }
        }).ConfigureAwait(false);

        var xml = new XmlOut().Start("DeleteResult", XmlOut.S3Namespace);
        foreach (var (key, error) in results)
        {
            if (error is null)
            {
                if (!quiet) xml.Start("Deleted").Element("Key", key).End();
            }
            else xml.Start("Error").Element("Key", key).Element("Code", error.Code).Element("Message", error.Message).End();
        }
        await xml.End().SendAsync(r.Response).ConfigureAwait(false);
    }

    /// <summary>Parses <c>&lt;Delete&gt;&lt;Quiet/&gt;&lt;Object&gt;&lt;Key/&gt;&lt;/Object&gt;...&lt;/Delete&gt;</c>.</summary>
    internal static (bool Quiet, List<string> Keys) ParseDelete(byte[] body)
    {
        bool quiet = false;
        var keys = new List<string>();
        var doc = XmlBody.Parse(body);
        if (doc.Root?.Name.LocalName != "Delete") throw S3Errors.MalformedXml();
        foreach (var el in doc.Root.Elements())
        {
            if (el.Name.LocalName == "Quiet") quiet = el.Value.Trim() == "true";
            else if (el.Name.LocalName == "Object")
            {
                var key = el.Elements().FirstOrDefault(x => x.Name.LocalName == "Key") ?? throw S3Errors.MalformedXml();
                var version = el.Elements().FirstOrDefault(x => x.Name.LocalName == "VersionId")?.Value;
                if (!string.IsNullOrEmpty(version) && version != "null") throw S3Errors.NotImplemented("Deleting object versions");
                keys.Add(key.Value);
            }
        }
        if (keys.Count == 0 || keys.Count > MaxDeleteKeys) throw S3Errors.MalformedXml();
        return (quiet, keys);
    }
}
