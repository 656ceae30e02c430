using System.Globalization;
using System.Text.RegularExpressions;

namespace MogileFS.TestSupport.Transcripts;

/// <summary>A storage host of the capture and the devices it serves.</summary>
public sealed record CaptureHost(string Name, string Ip, IReadOnlyList<int> WritableDevices, IReadOnlyList<int> OtherDevices);

/// <summary>
/// The topology the transcripts were captured on (README "Topology used for the capture"). A
/// replay keeps the addresses (127.0.2.1 and 127.0.2.2 are free on any Linux loopback) and maps
/// the ports, which must be OS-assigned, see <see cref="CapturePorts"/>.
/// </summary>
public static class CaptureTopology
{
    public const string TrackerIp = "127.0.2.1";
    public const int TrackerPort = 27001;
    public const int HttpPort = 27500;
    public const int MgmtPort = 27501;
    public const string ClientIp = "127.0.0.1";
    public const string Domain = "testdom";
    public const int QueryJobs = 3;

    public static readonly CaptureHost H1 = new("h1", "127.0.2.1", [1, 2], [5]);
    public static readonly CaptureHost H2 = new("h2", "127.0.2.2", [3, 4], []);
    public static readonly IReadOnlyList<CaptureHost> Hosts = [H1, H2];

    public static CaptureHost HostOfDevice(int devid) =>
        Hosts.FirstOrDefault(h => h.WritableDevices.Contains(devid) || h.OtherDevices.Contains(devid))
        ?? throw new InvalidOperationException($"device {devid} is not part of the capture topology");

    /// <summary>The first writable device on a host other than the one holding <paramref name="devid"/>.</summary>
    public static int DeviceOnOtherHost(int devid)
    {
        var host = HostOfDevice(devid);
        return Hosts.First(h => h != host).WritableDevices[0];
    }

    /// <summary>The other writable device on the host of <paramref name="devid"/>.</summary>
    public static int OtherDeviceOnSameHost(int devid) => HostOfDevice(devid).WritableDevices.First(d => d != devid);

    /// <summary>The fid path formula (storage-node.md §2.2) without the /devN prefix.</summary>
    public static string FidPath(long fid)
    {
        string nfid = fid.ToString(CultureInfo.InvariantCulture).PadLeft(10, '0');
        return $"/{nfid[0]}/{nfid.Substring(1, 3)}/{nfid.Substring(4, 3)}/{nfid}.fid";
    }
}

/// <summary>
/// The real ports standing in for the capture's 27001 (tracker), 27500 (HTTP of both nodes) and
/// 27501 (side channel of both nodes). Both storage nodes get the same HTTP and the same side-channel
/// port on their different addresses, as in the capture, so a port maps to one port everywhere: in
/// requests (<c>port=27500</c>), in expected replies (URLs, <c>http_port=</c>) and in vary-re masks.
/// </summary>
public sealed record CapturePorts(int Tracker, int Http, int Mgmt)
{
    private static readonly Regex CapturedPort = new(@"(?<!\d)(27001|27500|27501)(?!\d)");

    public string Rewrite(string text) => CapturedPort.Replace(text, m => m.Value switch
    {
        "27001" => Tracker.ToString(CultureInfo.InvariantCulture),
        "27500" => Http.ToString(CultureInfo.InvariantCulture),
        _ => Mgmt.ToString(CultureInfo.InvariantCulture),
    });

    /// <summary>No rewriting (replaying against a cluster on the capture's own ports).</summary>
    public static CapturePorts Identity { get; } = new(CaptureTopology.TrackerPort, CaptureTopology.HttpPort, CaptureTopology.MgmtPort);
}
