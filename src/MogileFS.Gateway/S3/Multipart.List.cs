using MogileFS.Gateway.Auth;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway.S3;

public sealed partial class Multipart
{
    // ---- ListParts ------------------------------------------------------------------------------

    public async Task ListPartsAsync(S3Request r)
    {
        await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        string uploadId = r.Q("uploadId") ?? "";
        var upload = await RequireUploadAsync(r, uploadId).ConfigureAwait(false);
        int max = ParseInt(r.Q("max-parts"), "max-parts", 0, MaxListEntries, MaxListEntries);
        int marker = ParseInt(r.Q("part-number-marker"), "part-number-marker", 0, int.MaxValue, 0);
        bool url = EncodingIsUrl(r);
        string E(string s) => url ? SigV4.UriEncode(s, keepSlash: true) : s;

        var parts = await g.Store.ListPartsAsync(uploadId, marker, max + 1, r.Aborted).ConfigureAwait(false);
        bool truncated = parts.Count > max;
        if (truncated) parts.RemoveRange(max, parts.Count - max);

        var xml = new XmlOut().Start("ListPartsResult", XmlOut.S3Namespace)
            .Element("Bucket", r.Bucket!).Element("Key", E(upload.Key)).Element("UploadId", uploadId);
        if (url) xml.Element("EncodingType", "url");
        Buckets.Owner(xml, r, "Initiator");
        Buckets.Owner(xml, r);
        xml.Element("StorageClass", "STANDARD")
            .Element("PartNumberMarker", marker)
            .Element("NextPartNumberMarker", parts.Count > 0 ? parts[^1].PartNumber : marker)
            .Element("MaxParts", max)
            .Element("IsTruncated", truncated);
        foreach (var p in parts)
            xml.Start("Part").Element("PartNumber", p.PartNumber)
                .Element("LastModified", DateTimeOffset.FromUnixTimeMilliseconds(p.MtimeMs))
                .Element("ETag", ObjectHeaders.Quote(p.ETag)).Element("Size", p.Size).End();
        await xml.End().SendAsync(r.Response).ConfigureAwait(false);
    }

    // ---- ListMultipartUploads -------------------------------------------------------------------

    public async Task ListMultipartUploadsAsync(S3Request r)
    {
        await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        string bucket = r.Bucket!;
        string prefix = r.Q("prefix") ?? "", delimiter = r.Q("delimiter") ?? "";
        string keyMarker = r.Q("key-marker") ?? "", uploadIdMarker = keyMarker.Length == 0 ? "" : r.Q("upload-id-marker") ?? "";
        int max = ParseInt(r.Q("max-uploads"), "max-uploads", 0, MaxListEntries, MaxListEntries);
        bool url = EncodingIsUrl(r);
        string E(string s) => url ? SigV4.UriEncode(s, keepSlash: true) : s;

        // Walk the uploads in (key, id) order, folding keys with the delimiter after the prefix into
        // common prefixes; each entry (upload or prefix) counts towards max-uploads, as in S3.
        var uploads = new List<UploadRow>();
        var prefixes = new List<string>();
        string afterKey = keyMarker, afterId = uploadIdMarker;
        bool truncated = false;
        string nextKey = "", nextId = "";
        while (!truncated)
        {
            var batch = await g.Store.ListUploadsAsync(bucket, prefix, afterKey, afterId, MaxListEntries, r.Aborted).ConfigureAwait(false);
            foreach (var u in batch)
            {
                afterKey = u.Key;
                afterId = u.UploadId;
                string? cp = null;
                if (delimiter.Length > 0)
                {
                    int i = u.Key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                    if (i >= 0) cp = u.Key[..(i + delimiter.Length)];
                }
                if (cp != null && prefixes.Count > 0 && prefixes[^1] == cp) continue;
                if (uploads.Count + prefixes.Count == max)
                {
                    truncated = true;
                    break;
                }
                if (cp != null)
                {
                    prefixes.Add(cp);
                    nextKey = cp;
                    nextId = "";
                }
                else
                {
                    uploads.Add(u);
                    nextKey = u.Key;
                    nextId = u.UploadId;
                }
            }
            if (batch.Count < MaxListEntries) break;
        }

        var xml = new XmlOut().Start("ListMultipartUploadsResult", XmlOut.S3Namespace)
            .Element("Bucket", bucket).Element("KeyMarker", E(keyMarker)).Element("UploadIdMarker", uploadIdMarker);
        if (truncated) xml.Element("NextKeyMarker", E(nextKey)).Element("NextUploadIdMarker", nextId);
        if (delimiter.Length > 0) xml.Element("Delimiter", E(delimiter));
        xml.Element("Prefix", E(prefix));
        if (url) xml.Element("EncodingType", "url");
        xml.Element("MaxUploads", max).Element("IsTruncated", truncated);
        foreach (var u in uploads)
        {
            xml.Start("Upload").Element("Key", E(u.Key)).Element("UploadId", u.UploadId);
            Buckets.Owner(xml, r, "Initiator");
            Buckets.Owner(xml, r);
            xml.Element("StorageClass", "STANDARD").Element("Initiated", DateTimeOffset.FromUnixTimeMilliseconds(u.InitiatedMs)).End();
        }
        foreach (var cp in prefixes) xml.Start("CommonPrefixes").Element("Prefix", E(cp)).End();
        await xml.End().SendAsync(r.Response).ConfigureAwait(false);
    }

    private static bool EncodingIsUrl(S3Request r)
    {
        string? encoding = r.Q("encoding-type");
        if (encoding != null && encoding != "url") throw S3Errors.InvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", encoding);
        return encoding == "url";
    }
}
