using System.Xml;
using System.Xml.Linq;

namespace MogileFS.Gateway.S3;

/// <summary>Parses a request's XML body safely (no DTDs, no external entities); MalformedXML otherwise.</summary>
public static class XmlBody
{
    public static XDocument Parse(byte[] body)
    {
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body), new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true,
            });
            return XDocument.Load(reader);
        }
        catch (XmlException) { throw S3Errors.MalformedXml(); }
    }
}
