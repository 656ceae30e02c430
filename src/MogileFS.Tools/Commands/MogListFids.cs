using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Commands;

/// <summary><c>moglistfids --fromfid=N --count=M</c>: dump file rows in fid order.</summary>
public static class MogListFids
{
    public const string Usage = "--trackers=host --fromfid=123 --count=5000";

    public static Task<int> RunAsync(string[] args) => ToolHost.RunAsync("moglistfids", async ct =>
    {
        var o = UtilsOptions.Parse("moglistfids", args, Usage, "fromfid=i", "count=i");
        using var admin = new MogileFSAdmin(o.ClientOptions(needDomain: false));
        long from = long.TryParse(o["fromfid"], out var f) ? f : 0;
        long count = long.TryParse(o["count"], out var c) && c != 0 ? c : 100;
        var w = Console.Out;
        while (count > 0)
        {
            IReadOnlyList<FidInfo> chunk;
            try { chunk = await admin.ListFidsAsync(from, (int)Math.Min(count, int.MaxValue), ct); }
            catch (MogileFSException e) { throw new ToolException("Error listing fids: " + e.Message); }
            if (chunk.Count == 0) break;
            from = chunk[^1].Fid;
            count -= chunk.Count;
            foreach (var file in chunk)
            {
                w.Write($"fid {file.Fid}\n");
                w.Write($"class {file.Class}\n");
                w.Write($"devcount {file.DevCount}\n");
                w.Write($"domain {file.Domain}\n");
                // 2.30 meant to %-escape the key here but tested the wrong hash key, so keys are printed as stored.
                w.Write($"key {file.Key}\n");
                w.Write($"length {file.Length}\n");
                w.Write("\n");
            }
        }
        return 0;
    });
}
