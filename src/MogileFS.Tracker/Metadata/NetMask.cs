using System.Net;
using System.Net.Sockets;

namespace MogileFS.Tracker.Metadata;

/// <summary>An IPv4/IPv6 network in CIDR notation (altmask, zone_* settings).</summary>
public readonly struct NetMask
{
    private readonly byte[] _network;
    private readonly int _prefix;

    private NetMask(byte[] network, int prefix)
    {
        _network = network;
        _prefix = prefix;
    }

    /// <summary>"10.0.0.0/8", "192.168.1.5" (= /32), "fe80::/10".</summary>
    public static bool TryParse(string? text, out NetMask mask)
    {
        mask = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim();
        int slash = s.IndexOf('/');
        var addrText = slash < 0 ? s : s[..slash];
        if (slash < 0 && (s.Equals("any", StringComparison.OrdinalIgnoreCase) || s.Equals("default", StringComparison.OrdinalIgnoreCase)))
        {
            mask = new NetMask([0, 0, 0, 0], 0); // Net::Netmask's names for 0.0.0.0/0
            return true;
        }
        // IPv4 only as a dotted quad of decimal numbers: IPAddress.TryParse also takes "1" (0.0.0.1),
        // "10.1.2" and hex parts, which Net::Netmask (2.73's check) refuses.
        if (!addrText.Contains(':') && !IsDottedQuad(addrText)) return false;
        if (!IPAddress.TryParse(addrText, out var addr)) return false;
        var bytes = addr.GetAddressBytes();
        int max = bytes.Length * 8;
        int prefix = max;
        if (slash >= 0)
        {
            var p = s[(slash + 1)..];
            if (p.Contains('.'))
            {
                // dotted netmask 255.0.0.0
                if (!IPAddress.TryParse(p, out var m) || m.AddressFamily != AddressFamily.InterNetwork || bytes.Length != 4) return false;
                var mb = m.GetAddressBytes();
                prefix = 0;
                foreach (var b in mb) prefix += System.Numerics.BitOperations.PopCount(b);
            }
            else if (!int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefix) || prefix > max) return false;
        }
        mask = new NetMask(bytes, prefix);
        return true;
    }

    private static bool IsDottedQuad(string s)
    {
        var parts = s.Split('.');
        if (parts.Length != 4) return false;
        foreach (var p in parts)
            if (p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) > 255) return false;
        return true;
    }

    public bool Contains(IPAddress ip)
    {
        if (_network is null) return false;
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        var b = ip.GetAddressBytes();
        if (b.Length != _network.Length) return false;
        int bits = _prefix;
        for (int i = 0; i < b.Length && bits > 0; i++, bits -= 8)
        {
            int m = bits >= 8 ? 0xFF : (0xFF << (8 - bits)) & 0xFF;
            if ((b[i] & m) != (_network[i] & m)) return false;
        }
        return true;
    }
}
