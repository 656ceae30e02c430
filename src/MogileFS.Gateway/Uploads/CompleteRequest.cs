using System.Globalization;
using System.Security.Cryptography;
using System.Xml;
using MogileFS.Gateway.S3;

namespace MogileFS.Gateway.Uploads;

/// <summary>One <c>&lt;Part&gt;</c> of a CompleteMultipartUpload body.</summary>
public readonly record struct RequestedPart(int PartNumber, string ETag);

/// <summary>
/// The body of CompleteMultipartUpload (<c>&lt;CompleteMultipartUpload&gt;&lt;Part&gt;&lt;PartNumber/&gt;&lt;ETag/&gt;</c>...)
/// and the rules S3 applies to it before anything is assembled.
/// </summary>
public static class CompleteRequest
{
    /// <summary>Most parts an upload may have, as S3.</summary>
    public const int MaxParts = 10_000;

    /// <summary>Smallest size of every part but the last, as S3.</summary>
    public const long MinPartSize = 5L << 20;

    /// <summary>Largest part, as S3.</summary>
    public const long MaxPartSize = 5L << 30;

    /// <summary>Parses the body; MalformedXML for anything but the documented shape.</summary>
    public static List<RequestedPart> Parse(Stream body)
    {
        var parts = new List<RequestedPart>();
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreWhitespace = true,
            MaxCharactersInDocument = 4L << 20,
        };
        try
        {
            using var reader = XmlReader.Create(body, settings);
            reader.MoveToContent();
            if (reader.LocalName != "CompleteMultipartUpload") throw S3Errors.MalformedXml();
            if (reader.IsEmptyElement) return parts;
            reader.Read();
            while (reader.NodeType != XmlNodeType.EndElement && !reader.EOF)
            {
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "Part" && !reader.IsEmptyElement)
                {
                    int? number = null;
                    string? etag = null;
                    reader.Read();
                    while (reader.NodeType != XmlNodeType.EndElement && !reader.EOF)
                    {
                        if (reader.NodeType != XmlNodeType.Element) { reader.Skip(); continue; }
                        switch (reader.LocalName)
                        {
                            case "PartNumber":
                                string text = reader.ReadElementContentAsString().Trim();
                                if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) throw S3Errors.MalformedXml();
                                number = n;
                                break;
                            case "ETag":
                                etag = reader.ReadElementContentAsString().Trim();
                                break;
                            default:
                                reader.Skip(); // ChecksumCRC32 and friends: not kept, not checked
                                break;
                        }
                    }
                    reader.ReadEndElement();
                    if (number is null || etag is null) throw S3Errors.MalformedXml();
                    parts.Add(new RequestedPart(number.Value, etag));
                    if (parts.Count > MaxParts) throw S3Errors.MalformedXml();
                }
                else reader.Skip();
            }
        }
        catch (XmlException) { throw S3Errors.MalformedXml(); }
        if (parts.Count == 0) throw S3Errors.MalformedXml();
        return parts;
    }

    /// <summary>S3's order rule: part numbers strictly ascending (InvalidPartOrder).</summary>
    public static void CheckOrder(IReadOnlyList<RequestedPart> parts)
    {
        for (int i = 1; i < parts.Count; i++)
            if (parts[i].PartNumber <= parts[i - 1].PartNumber)
                throw new S3Exception(400, "InvalidPartOrder",
                    "The list of parts was not in ascending order. Parts must be ordered by part number.");
    }

    /// <summary>An ETag as clients send it (quoted or not) in the stored form (32 lower-case hex digits).</summary>
    public static string NormalizeETag(string etag)
    {
        var s = etag.Trim();
        if (s.Length >= 2 && s[0] == '"' && s[^1] == '"') s = s[1..^1];
        else if (s.StartsWith("&quot;", StringComparison.Ordinal) && s.EndsWith("&quot;", StringComparison.Ordinal) && s.Length >= 12) s = s[6..^6];
        return s.ToLowerInvariant();
    }

    /// <summary>The ETag S3 gives a multipart object: MD5 of the parts' binary MD5s, "-", number of parts.</summary>
    public static string MultipartETag(IEnumerable<string> partMd5Hex)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        int count = 0;
        foreach (var hex in partMd5Hex)
        {
            md5.AppendData(Convert.FromHexString(hex));
            count++;
        }
        return Convert.ToHexStringLower(md5.GetHashAndReset()) + "-" + count.ToString(CultureInfo.InvariantCulture);
    }

    public static S3Exception InvalidPart(int partNumber) =>
        new S3Exception(400, "InvalidPart",
            "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
            .With("PartNumber", partNumber.ToString(CultureInfo.InvariantCulture));

    public static S3Exception EntityTooSmall(int partNumber, long size) =>
        new S3Exception(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.")
            .With("ProposedSize", size.ToString(CultureInfo.InvariantCulture))
            .With("MinSizeAllowed", MinPartSize.ToString(CultureInfo.InvariantCulture))
            .With("PartNumber", partNumber.ToString(CultureInfo.InvariantCulture));
}
