using System.Globalization;
using System.Net;
using MogileFS.TestSupport.Transcripts;

namespace MogileFS.TestSupport.Cluster;

/// <summary>
/// Connects the transcript replayer to a <see cref="TestCluster"/>: the first tracker, the port
/// mapping, storage URLs to docroot files, and a stand-in for the replication job.
/// </summary>
public sealed class ClusterReplayEnvironment(TestCluster cluster) : IReplayEnvironment
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public IPEndPoint TrackerEndPoint => cluster.TrackerEndPoint;
    public CapturePorts Ports => cluster.CapturePorts;

    /// <summary>Whether a replication wait that times out may be satisfied by copying the file
    /// ourselves (until the replication job of issue 4 exists).</summary>
    public bool ReplicationStandIn { get; init; } = true;

    public string? LocalPathForUrl(string url)
    {
        var node = cluster.NodeForUrl(url);
        return node?.PathFor(new Uri(url).AbsolutePath);
    }

    public async Task<string?> StandInAsync(WaitStep step, ReplaySideChannel side, CancellationToken ct)
    {
        if (step.Condition is not DevCountAtLeast wanted || !ReplicationStandIn) return null;

        // Do what the replicator does: copy the bytes to a device on another host over HTTP, then
        // record the new replica (file_on row, devcount) and drop the replication queue entry.
        string key = TranscriptText.EncodeValue(wanted.Key);
        var info = await side.QueryOkAsync($"file_info domain={CaptureTopology.Domain}&key={key}&devices=1", ct).ConfigureAwait(false);
        long fid = long.Parse(info["fid"], CultureInfo.InvariantCulture);
        var have = info["devids"].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        var paths = await side.QueryOkAsync($"get_paths domain={CaptureTopology.Domain}&key={key}&noverify=1", ct).ConfigureAwait(false);
        byte[] content = await Http.GetByteArrayAsync(paths["path1"], ct).ConfigureAwait(false);

        var copies = new List<string>();
        while (have.Count < wanted.Count)
        {
            var usedHosts = have.Select(d => CaptureTopology.HostOfDevice(d)).ToHashSet();
            int target = CaptureTopology.Hosts.Where(h => !usedHosts.Contains(h)).SelectMany(h => h.WritableDevices)
                .Concat(CaptureTopology.Hosts.SelectMany(h => h.WritableDevices))
                .First(d => !have.Contains(d));
            var host = CaptureTopology.HostOfDevice(target);
            string url = $"http://{host.Ip}:{cluster.HttpPort}/dev{target}{CaptureTopology.FidPath(fid)}";
            using (var body = new ByteArrayContent(content))
            {
                var response = await Http.PutAsync(url, body, ct).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
            }
            await cluster.ExecuteAsync("INSERT INTO file_on (fid, devid) VALUES (@fid, @devid)", ("@fid", fid), ("@devid", target))
                .ConfigureAwait(false);
            have.Add(target);
            copies.Add($"dev{target}");
        }
        await cluster.ExecuteAsync("UPDATE file SET devcount = (SELECT COUNT(*) FROM file_on WHERE fid = @fid) WHERE fid = @fid",
            ("@fid", fid)).ConfigureAwait(false);
        await cluster.ExecuteAsync("DELETE FROM file_to_replicate WHERE fid = @fid", ("@fid", fid)).ConfigureAwait(false);
        return $"the harness copied fid {fid} to {string.Join(", ", copies)} over HTTP and added the file_on rows "
            + "(the replication job is issue 4)";
    }
}
