using System.Globalization;
using System.Net;

namespace MogileFS.Tracker.Server;

/// <summary>Parses <c>listen</c> entries: "ip:port", "ip" (+ conf_port), "[v6]:port", "host:port".</summary>
public static class ListenAddress
{
    public static List<IPEndPoint> Resolve(IReadOnlyList<string> listen, int confPort)
    {
        var result = new List<IPEndPoint>();
        var entries = listen.Count == 0 ? new List<string> { "0.0.0.0" } : listen;
        foreach (var raw in entries)
        {
            foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                result.Add(Parse(part, confPort));
        }
        return result;
    }

    public static IPEndPoint Parse(string entry, int confPort)
    {
        string host = entry;
        int port = confPort;
        if (entry.StartsWith('['))
        {
            int close = entry.IndexOf(']');
            if (close < 0) throw new FormatException($"listen: bad address '{entry}'");
            host = entry[1..close];
            if (close + 1 < entry.Length)
            {
                if (entry[close + 1] != ':') throw new FormatException($"listen: bad address '{entry}'");
                port = ParsePort(entry[(close + 2)..], entry);
            }
        }
        else
        {
            int colon = entry.LastIndexOf(':');
            if (colon >= 0 && entry.IndexOf(':') == colon)
            {
                host = entry[..colon];
                port = ParsePort(entry[(colon + 1)..], entry);
            }
        }
        if (host.Length == 0 || host == "*") host = "0.0.0.0";
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
        var addrs = Dns.GetHostAddresses(host);
        var pick = addrs.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addrs.FirstOrDefault()
                   ?? throw new FormatException($"listen: cannot resolve '{host}'");
        return new IPEndPoint(pick, port);
    }

    private static int ParsePort(string s, string entry) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 65535
            ? p
            : throw new FormatException($"listen: bad port in '{entry}'");
}
