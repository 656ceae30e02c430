using System.Globalization;
using System.Net;
using System.Text;
using MogileFS.Core.Protocol;

namespace MogileFS.Tracker.Dashboard;

/// <summary>Small helpers for the server-rendered pages: escaping, byte strings, numbers and sizes.</summary>
internal static class Html
{
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A byte string (key, domain, class name) shown as text, escaped.</summary>
    public static string B(string? bytes) => E(bytes is null ? "" : ByteString.ToDisplayText(bytes));

    /// <summary>A byte string as a URL query value.</summary>
    public static string U(string? bytes) => Uri.EscapeDataString(bytes is null ? "" : ByteString.ToDisplayText(bytes));

    public static string N(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Size(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        int u = 0;
        while (bytes >= 1024 && u < units.Length - 1) { bytes /= 1024; u++; }
        return u == 0 ? bytes.ToString("0", CultureInfo.InvariantCulture) + " B" : bytes.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[u];
    }

    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var d = now - at;
        if (d < TimeSpan.Zero) d = TimeSpan.Zero;
        return d.TotalSeconds < 90 ? $"{d.TotalSeconds:0} s ago"
            : d.TotalMinutes < 90 ? $"{d.TotalMinutes:0} min ago"
            : d.TotalHours < 48 ? $"{d.TotalHours:0} h ago" : $"{d.TotalDays:0} d ago";
    }

    /// <summary>A usage bar: &lt;meter&gt; (no inline styles, so the page's CSP can forbid them) and the figure.</summary>
    public static string UsageBar(long? usedMb, long? totalMb)
    {
        if (totalMb is not > 0 || usedMb is null) return "<span class=muted>unknown</span>";
        double pct = 100.0 * usedMb.Value / totalMb.Value;
        return string.Create(CultureInfo.InvariantCulture,
            $"<meter min=0 max=100 low=80 high=90 optimum=0 value=\"{pct:0.0}\" title=\"{pct:0.0}% used\"></meter> <span class=num>{pct:0.0}%</span> <span class=muted>{Size(usedMb.Value * 1048576.0)} of {Size(totalMb.Value * 1048576.0)}</span>");
    }

    /// <summary>A state word in a coloured badge (class = the word).</summary>
    public static string Badge(string? state) => $"<span class=\"badge s-{E(state)}\">{E(string.IsNullOrEmpty(state) ? "?" : state)}</span>";

    public static StringBuilder Row(this StringBuilder sb, params string[] cells)
    {
        sb.Append("<tr>");
        foreach (var c in cells) sb.Append("<td>").Append(c).Append("</td>");
        return sb.Append("</tr>\n");
    }

    public static StringBuilder Head(this StringBuilder sb, params string[] cells)
    {
        sb.Append("<thead><tr>");
        foreach (var c in cells) sb.Append("<th>").Append(c).Append("</th>");
        return sb.Append("</tr></thead>\n");
    }
}
