using System.Globalization;
using System.Text;
using MogileFS.Core.Protocol;
using MogileFS.Gateway.Auth;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway.S3;

/// <summary>
/// ListObjects (v1) and ListObjectsV2: prefix, delimiter with CommonPrefixes, max-keys, marker /
/// start-after / continuation-token, encoding-type=url. Keys come from the 2.73 <c>file</c> table in
/// byte order (S3's order: UTF-8 bytes), joined with <c>s3_object</c> on the current fid, so a key
/// written or deleted straight through MogileFS lists correctly. A common prefix is skipped in one
/// step (the next query starts after it), so a folder of a million keys costs one row, not a million.
/// Work is in byte strings (one char per byte) so that comparisons are byte comparisons.
/// </summary>
public sealed class Listing(GatewayContext g)
{
    private const int DefaultMaxKeys = 1000;
    private const int Batch = 1000;

    public sealed record Page(List<(string Key, ObjectMeta Meta)> Contents, List<string> CommonPrefixes, bool Truncated, string? NextAfterBytes);

    public Task ListObjectsV1Async(S3Request r) => ListAsync(r, v2: false);
    public Task ListObjectsV2Async(S3Request r) => ListAsync(r, v2: true);

    private async Task ListAsync(S3Request r, bool v2)
    {
        int dmid = await Buckets.RequireAsync(g, r).ConfigureAwait(false);
        string prefix = r.Q("prefix") ?? "";
        string delimiter = r.Q("delimiter") ?? "";
        int maxKeys = DefaultMaxKeys;
        if (r.Q("max-keys") is { } mk)
        {
            if (!int.TryParse(mk, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out maxKeys) || maxKeys < 0)
                throw S3Errors.InvalidArgument("Provided max-keys not an integer or within integer range", "max-keys", mk);
            maxKeys = Math.Min(maxKeys, DefaultMaxKeys);
        }
        string? encoding = r.Q("encoding-type");
        if (encoding != null && encoding != "url") throw S3Errors.InvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", encoding);
        bool url = encoding == "url";

        string? marker = null, startAfter = null, token = null;
        string afterBytes = "";
        if (v2)
        {
            startAfter = r.Q("start-after");
            token = r.Q("continuation-token");
            if (token != null) afterBytes = DecodeToken(token);
            else if (!string.IsNullOrEmpty(startAfter)) afterBytes = GatewayStore.B(startAfter);
        }
        else
        {
            marker = r.Q("marker");
            if (!string.IsNullOrEmpty(marker)) afterBytes = GatewayStore.B(marker);
        }

        var page = await ListPageAsync(dmid, GatewayStore.B(prefix), GatewayStore.B(delimiter), afterBytes, maxKeys, r.Aborted).ConfigureAwait(false);

        string E(string s) => url ? SigV4.UriEncode(s, keepSlash: true) : s;
        var xml = new XmlOut().Start("ListBucketResult", XmlOut.S3Namespace);
        xml.Element("Name", r.Bucket!).Element("Prefix", E(prefix));
        if (v2)
        {
            if (token != null) xml.Element("ContinuationToken", token);
            if (startAfter != null) xml.Element("StartAfter", E(startAfter));
            xml.Element("KeyCount", page.Contents.Count + page.CommonPrefixes.Count);
        }
        else xml.Element("Marker", E(marker ?? ""));
        xml.Element("MaxKeys", maxKeys);
        if (delimiter.Length > 0) xml.Element("Delimiter", E(delimiter));
        if (url) xml.Element("EncodingType", "url");
        xml.Element("IsTruncated", page.Truncated);
        if (page.Truncated && page.NextAfterBytes != null)
        {
            if (v2) xml.Element("NextContinuationToken", EncodeToken(page.NextAfterBytes));
            else if (delimiter.Length > 0) xml.Element("NextMarker", E(GatewayStore.T(page.NextAfterBytes)));
        }
        bool owner = !v2 || r.Q("fetch-owner") == "true";
        foreach (var (key, m) in page.Contents)
        {
            xml.Start("Contents").Element("Key", E(key))
                .Element("LastModified", DateTimeOffset.FromUnixTimeMilliseconds(m.MtimeMs))
                .Element("ETag", ObjectHeaders.Quote(m.ETag))
                .Element("Size", m.Size)
                .Element("StorageClass", "STANDARD");
            if (owner) Buckets.Owner(xml, r);
            xml.End();
        }
        foreach (var cp in page.CommonPrefixes)
            xml.Start("CommonPrefixes").Element("Prefix", E(GatewayStore.T(cp))).End();
        await xml.End().SendAsync(r.Response).ConfigureAwait(false);
    }

    /// <summary>One page of entries: keys with <paramref name="prefix"/> after <paramref name="after"/> (all byte strings),
    /// keys that contain <paramref name="delimiter"/> after the prefix folded into common prefixes.</summary>
    public async Task<Page> ListPageAsync(int dmid, string prefix, string delimiter, string after, int maxKeys, CancellationToken ct)
    {
        var contents = new List<(string Key, ObjectMeta Meta)>();
        var prefixes = new List<string>();
        var adopt = new List<(string, ObjectMeta)>();
        string? last = null;
        bool truncated = false;
        // Start at the prefix or just after the marker, whichever is later.
        string start = after;
        bool exclusive = after.Length > 0;
        if (string.CompareOrdinal(prefix, start) > 0) (start, exclusive) = (prefix, false);
        if (after.Length > 0 && delimiter.Length > 0 && CommonPrefixOf(after, prefix, delimiter) is { } afterCp
            && string.CompareOrdinal(Successor(afterCp), start) > 0)
            (start, exclusive) = (Successor(afterCp), false); // the marker was in a common prefix: continue after all of it
        long now = g.Clock.GetUtcNow().ToUnixTimeMilliseconds();

        while (true)
        {
            var rows = await g.Store.ListFromAsync(dmid, start, exclusive, Batch, ct).ConfigureAwait(false);
            bool done = false;
            string? restart = null;
            foreach (var (raw, entry) in rows)
            {
                if (!raw.StartsWith(prefix, StringComparison.Ordinal))
                {
                    if (string.CompareOrdinal(raw, prefix) > 0) { done = true; break; }
                    continue;
                }
                string? cp = delimiter.Length > 0 ? CommonPrefixOf(raw, prefix, delimiter) : null;
                if (cp != null && cp == last) continue;
                if (contents.Count + prefixes.Count == maxKeys)
                {
                    truncated = maxKeys > 0;
                    done = true;
                    break;
                }
                if (cp != null)
                {
                    prefixes.Add(cp);
                    last = cp;
                    restart = Successor(cp);
                    break; // skip the rest of this prefix with a new query
                }
                var meta = entry.Meta;
                if (meta is null)
                {
                    meta = new ObjectMeta(entry.Fid, entry.Length, Objects.ForeignETag(entry.Fid), null, null, now, 0);
                    adopt.Add((entry.Key, meta));
                }
                contents.Add((entry.Key, meta));
                last = raw;
            }
            if (done) break;
            if (restart != null) (start, exclusive) = (restart, false);
            else if (rows.Count == Batch) (start, exclusive) = (rows[^1].KeyBytes, true);
            else break; // the end of the domain
        }
        if (adopt.Count > 0)
        {
            // Files made outside S3: their first listing fixes the Last-Modified they report from then on.
            try { await g.Store.AdoptManyAsync(dmid, adopt, ct).ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OperationCanceledException) { GatewayLog.SweepFailed(g.Log, ex.Message); }
        }
        return new Page(contents, prefixes, truncated, truncated ? last : null);
    }

    /// <summary>The common prefix of a key (prefix + up to and including the first delimiter after it), or null.</summary>
    private static string? CommonPrefixOf(string key, string prefix, string delimiter)
    {
        if (!key.StartsWith(prefix, StringComparison.Ordinal)) return null;
        int i = key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
        return i < 0 ? null : key[..(i + delimiter.Length)];
    }

    /// <summary>The smallest byte string greater than every string that starts with <paramref name="p"/>.</summary>
    internal static string Successor(string p)
    {
        var chars = p.ToCharArray();
        int n = chars.Length;
        while (n > 0 && chars[n - 1] == '\u00FF') n--;
        if (n == 0) return p + "\u00FF\u00FF\u00FF\u00FF"; // only 0xFF bytes: nothing sorts after; practically past the end
        chars[n - 1]++;
        var s = new string(chars, 0, n);
        // PostgreSQL text must stay valid UTF-8; when the increment breaks that, the string plus U+10FFFF (F4 8F BF BF)
        // sorts after every valid key that has the prefix.
        return ByteString.TryToText(s) is null ? p + "\u00F4\u008F\u00BF\u00BF" : s;
    }

    private static string EncodeToken(string afterBytes) =>
        Convert.ToBase64String(ByteString.ToBytes(afterBytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string DecodeToken(string token)
    {
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            return ByteString.FromBytes(Convert.FromBase64String(b64));
        }
        catch (FormatException)
        {
            throw S3Errors.InvalidArgument("The continuation token provided is incorrect", "continuation-token", token);
        }
    }
}
