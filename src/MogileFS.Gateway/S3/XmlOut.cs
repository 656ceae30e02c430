using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace MogileFS.Gateway.S3;

/// <summary>
/// A tiny forward-only XML writer for S3 replies: elements and escaped text into a StringBuilder,
/// sent as one UTF-8 body. S3 replies are small (a listing page is at most 1000 entries), so
/// building the text first and sending it with a Content-Length is cheaper than streaming.
/// </summary>
public sealed class XmlOut
{
    public const string S3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
    private readonly StringBuilder _sb = new(512);
    private readonly Stack<string> _open = new();

    public XmlOut() => _sb.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

    public XmlOut Start(string name, string? ns = null)
    {
        _sb.Append('<').Append(name);
        if (ns != null) _sb.Append(" xmlns=\"").Append(ns).Append('"');
        _sb.Append('>');
        _open.Push(name);
        return this;
    }

    public XmlOut End()
    {
        _sb.Append("</").Append(_open.Pop()).Append('>');
        return this;
    }

    public XmlOut Element(string name, string? value)
    {
        if (value is null) return this;
        _sb.Append('<').Append(name).Append('>');
        Escape(value);
        _sb.Append("</").Append(name).Append('>');
        return this;
    }

    /// <summary>Appends markup as it is (for the rare element with attributes).</summary>
    public XmlOut Append(string markup)
    {
        _sb.Append(markup);
        return this;
    }

    public XmlOut Element(string name, long value) => Element(name, value.ToString(CultureInfo.InvariantCulture));
    public XmlOut Element(string name, bool value) => Element(name, value ? "true" : "false");
    public XmlOut Element(string name, DateTimeOffset value) => Element(name, Iso8601(value));

    public static string Iso8601(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private void Escape(string s)
    {
        foreach (char c in s)
        {
            switch (c)
            {
                case '<': _sb.Append("&lt;"); break;
                case '>': _sb.Append("&gt;"); break;
                case '&': _sb.Append("&amp;"); break;
                case '"': _sb.Append("&quot;"); break;
                case '\'': _sb.Append("&apos;"); break;
                case '\r': _sb.Append("&#13;"); break;
                case '\n': _sb.Append("&#10;"); break;
                case '\t': _sb.Append("&#9;"); break;
                default:
                    // XML 1.0 cannot carry other control characters even escaped: S3 clients that need
                    // them ask for encoding-type=url; here they become U+FFFD so the document stays valid.
                    if (c < 0x20 || c is '\uFFFE' or '\uFFFF') _sb.Append('\uFFFD');
                    else _sb.Append(c);
                    break;
            }
        }
    }

    public override string ToString() => _sb.ToString();

    /// <summary>Sends the document with status <paramref name="status"/>.</summary>
    public Task SendAsync(HttpResponse response, int status = 200)
    {
        var bytes = Encoding.UTF8.GetBytes(_sb.ToString());
        response.StatusCode = status;
        response.ContentType = "application/xml";
        response.ContentLength = bytes.Length;
        return response.Body.WriteAsync(bytes).AsTask();
    }
}
