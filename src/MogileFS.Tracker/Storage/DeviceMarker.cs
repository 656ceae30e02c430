using System.Globalization;
using System.Text;

namespace MogileFS.Tracker.Storage;

/// <summary>
/// The file <c>devN/.mogilefs-device</c> a tracker writes into every device directory the first
/// time it sees it: which cluster (the database's <c>cluster_id</c> server setting) and which
/// device id the directory belongs to. A directory whose marker names another cluster or another
/// device id is not used, so two databases never hand out the same paths on one disk (two
/// launchers on one docroot, a new empty database pointed at old nodes, a disk moved or copied
/// to another device id). Not part of 2.73, which ignores the file.
/// </summary>
public static class DeviceMarker
{
    /// <summary>Path of the marker under the docroot for device <paramref name="devid"/>.</summary>
    public static string PathFor(int devid) => $"/dev{devid.ToString(CultureInfo.InvariantCulture)}/.mogilefs-device";

    /// <summary>The server_settings key holding the cluster's identity.</summary>
    public const string ClusterIdSetting = "cluster_id";

    /// <summary>The server_settings key recording that this cluster wrote the marker of <paramref name="devid"/>.</summary>
    public static string MarkedSetting(int devid) => $"device_marker_{devid.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>True for the settings of this feature, which server_settings does not list (they are not 2.73's).</summary>
    public static bool IsOwnSetting(string key) => key == ClusterIdSetting || key.StartsWith("device_marker_", StringComparison.Ordinal);

    /// <summary>Why a device whose marker this cluster wrote, but which no longer has one, is not used.</summary>
    public static string GoneReason(string clusterId, int devid) =>
        "it is missing although this cluster wrote it (disk not mounted, or the directory replaced?). " +
        $"If the directory really is dev{devid.ToString(CultureInfo.InvariantCulture)}, put the file back with: " +
        $"printf 'cluster_id = {clusterId}\\ndevid = {devid.ToString(CultureInfo.InvariantCulture)}\\n' > DOCROOT/dev{devid.ToString(CultureInfo.InvariantCulture)}/.mogilefs-device";

    public static byte[] Format(string clusterId, int devid) => Encoding.ASCII.GetBytes(
        "# Written by a MogileFS tracker: this directory is the device below of the cluster below.\n" +
        "# Trackers of another cluster (another database) refuse to use it. Delete this file only\n" +
        "# if the directory really is to be reused by another cluster or device id.\n" +
        $"cluster_id = {clusterId}\ndevid = {devid.ToString(CultureInfo.InvariantCulture)}\n");

    /// <summary>Reads <c>cluster_id</c> and <c>devid</c>; null for whatever is missing.</summary>
    public static (string? ClusterId, int? DevId) Parse(ReadOnlySpan<byte> body)
    {
        string? cluster = null;
        int? devid = null;
        foreach (var raw in Encoding.Latin1.GetString(body).Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            int eq = line.IndexOf('=');
            if (eq < 0) continue;
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (key == "cluster_id") cluster = value;
            else if (key == "devid" && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int d)) devid = d;
        }
        return (cluster, devid);
    }

    /// <summary>Null when the marker belongs to this cluster and device; otherwise the reason, in words.</summary>
    public static string? Mismatch(ReadOnlySpan<byte> body, string clusterId, int devid)
    {
        var (c, d) = Parse(body);
        if (c is null || d is null) return "the marker file is not readable (no cluster_id or devid line)";
        if (c != clusterId) return $"it belongs to another cluster (cluster_id {c}; this database's is {clusterId})";
        if (d != devid) return $"it is device {d.Value.ToString(CultureInfo.InvariantCulture)} (moved or copied from another device id?)";
        return null;
    }
}
