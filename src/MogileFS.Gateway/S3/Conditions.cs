using System.Globalization;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway.S3;

/// <summary>
/// Conditional requests and ranges as S3 evaluates them (RFC 7232 order, with S3's rule that a
/// true If-Match makes a false If-Unmodified-Since irrelevant and a false If-None-Match makes a
/// true If-Modified-Since irrelevant).
/// </summary>
public static class Conditions
{
    /// <summary>Checks If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since (or the
    /// x-amz-copy-source-if-* family when <paramref name="prefix"/> is given). Returns false when the
    /// answer is 304 Not Modified; throws PreconditionFailed for 412.</summary>
    public static bool Check(S3Request r, ObjectMeta m, string prefix = "")
    {
        string? ifMatch = r.Header(prefix + "If-Match");
        string? ifNoneMatch = r.Header(prefix + "If-None-Match");
        var ifModifiedSince = Date(r.Header(prefix + "If-Modified-Since"));
        var ifUnmodifiedSince = Date(r.Header(prefix + "If-Unmodified-Since"));
        long modified = m.MtimeMs / 1000; // HTTP dates have whole seconds

        if (ifMatch != null)
        {
            if (!Matches(ifMatch, m.ETag)) throw S3Errors.PreconditionFailed(prefix + "If-Match");
        }
        else if (ifUnmodifiedSince is { } ius && modified > ius.ToUnixTimeSeconds())
            throw S3Errors.PreconditionFailed(prefix + "If-Unmodified-Since");

        if (ifNoneMatch != null)
        {
            if (Matches(ifNoneMatch, m.ETag))
            {
                if (prefix.Length > 0) throw S3Errors.PreconditionFailed(prefix + "If-None-Match");
                return false;
            }
        }
        else if (ifModifiedSince is { } ims && modified <= ims.ToUnixTimeSeconds())
        {
            if (prefix.Length > 0) throw S3Errors.PreconditionFailed(prefix + "If-Modified-Since");
            return false;
        }
        return true;
    }

    private static bool Matches(string header, string etag)
    {
        foreach (var part in header.Split(','))
        {
            var t = part.Trim();
            if (t == "*") return true;
            if (t.StartsWith("W/", StringComparison.Ordinal)) t = t[2..];
            if (t.Trim('"') == etag) return true;
        }
        return false;
    }

    private static DateTimeOffset? Date(string? v) =>
        v != null && DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    /// <summary>
    /// The byte range of a <c>Range</c> header over an object of <paramref name="size"/> bytes: null for the whole
    /// object (no header, a malformed one, or several ranges, which S3 also answers with the whole object);
    /// InvalidRange when it starts past the end.
    /// </summary>
    public static (long Offset, long Length)? Range(string? header, long size)
    {
        if (header is null) return null;
        var h = header.Trim();
        if (!h.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase)) return null;
        var spec = h[6..].Trim();
        if (spec.Contains(',')) return null;
        int dash = spec.IndexOf('-');
        if (dash < 0) return null;
        string a = spec[..dash].Trim(), b = spec[(dash + 1)..].Trim();
        if (a.Length == 0)
        {
            if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out long suffix)) return null;
            if (suffix == 0 || size == 0) throw S3Errors.InvalidRange(size);
            long len = Math.Min(suffix, size);
            return (size - len, len);
        }
        if (!long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out long first)) return null;
        long last = size - 1;
        if (b.Length > 0)
        {
            if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out last)) return null;
            if (last < first) return null;
        }
        if (first >= size) throw S3Errors.InvalidRange(size);
        last = Math.Min(last, size - 1);
        return (first, last - first + 1);
    }
}
