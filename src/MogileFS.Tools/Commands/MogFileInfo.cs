using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Commands;

/// <summary><c>mogfileinfo --key=K</c>: the file's metadata and every path.</summary>
public static class MogFileInfo
{
    public const string Usage = "--trackers=host --domain=foo --key='/hello.jpg'";

    public static Task<int> RunAsync(string[] args) => ToolHost.RunAsync("mogfileinfo", async ct =>
    {
        var o = UtilsOptions.Parse("mogfileinfo", args, Usage, "key=s");
        var key = o["key"] ?? throw new ToolException("Must specify a key with --key");
        using var client = o.Client();
        MogileFileInfo? info;
        try { info = await client.FileInfoAsync(key, false, ct); }
        catch (MogileFSException e) { throw new ToolException("Error fetching file info: " + e.Message); }
        if (info is null) throw new ToolException("Error fetching file info: unknown_key unknown_key");

        IReadOnlyList<string> paths;
        try { paths = await client.GetPathsAsync(key, new GetPathsOptions { NoVerify = true, PathCount = 99 }, ct); }
        catch (MogileFSException e) { throw new ToolException("Error fetching paths: " + e.Message); }
        if (paths.Count == 0) throw new ToolException("No paths found or key does not exist");

        var w = Console.Out;
        w.Write($"- file: {key}\n");
        foreach (var (k, v) in info.Raw.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            w.Write($"  {k,8}: {v,20}\n");
        foreach (var p in paths) w.Write($" - {p}\n");
        return 0;
    });
}
