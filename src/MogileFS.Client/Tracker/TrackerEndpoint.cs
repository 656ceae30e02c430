using System.Globalization;
using System.Net;

namespace MogileFS.Client.Tracker;

/// <summary>A tracker address <c>host:port</c> (port 7001 when omitted; IPv6 as <c>[addr]:port</c>).</summary>
public sealed class TrackerEndpoint
{
    /// <summary>The default tracker port.</summary>
    public const int DefaultPort = 7001;

    private TrackerEndpoint(string host, int port) { Host = host; Port = port; }

    /// <summary>Host name or IP address.</summary>
    public string Host { get; }
    /// <summary>TCP port.</summary>
    public int Port { get; }

    /// <summary>Parses <c>host</c>, <c>host:port</c> or <c>[v6]:port</c>.</summary>
    /// <exception cref="FormatException">The text is not a usable address.</exception>
    public static TrackerEndpoint Parse(string text)
    {
        var s = text.Trim();
        if (s.Length == 0) throw new FormatException("empty tracker address");
        string host; string? port = null;
        if (s[0] == '[')
        {
            int close = s.IndexOf(']');
            if (close < 0) throw new FormatException($"bad tracker address '{text}'");
            host = s[1..close];
            if (close + 1 < s.Length)
            {
                if (s[close + 1] != ':') throw new FormatException($"bad tracker address '{text}'");
                port = s[(close + 2)..];
            }
        }
        else
        {
            int colon = s.LastIndexOf(':');
            if (colon >= 0 && s.IndexOf(':') == colon) { host = s[..colon]; port = s[(colon + 1)..]; }
            else host = s; // a bare IPv6 address or a host without port
        }
        int p = DefaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out p) || p is < 1 or > 65535))
            throw new FormatException($"bad port in tracker address '{text}'");
        if (host.Length == 0) throw new FormatException($"bad tracker address '{text}'");
        return new TrackerEndpoint(host, p);
    }

    internal async ValueTask<IPAddress[]> ResolveAsync(CancellationToken ct)
    {
        if (IPAddress.TryParse(Host, out var ip)) return [ip];
        return await Dns.GetHostAddressesAsync(Host, ct).ConfigureAwait(false);
    }

    /// <summary><c>host:port</c>.</summary>
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
