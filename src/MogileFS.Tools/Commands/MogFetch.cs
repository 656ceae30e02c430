using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Commands;

/// <summary><c>mogfetch --key=K --file=F|-</c>: fetch a file to a local path or stdout.</summary>
public static class MogFetch
{
    public const string Usage = "--trackers=host --domain=foo --key='/hello.jpg' --file='./output'";

    public static Task<int> RunAsync(string[] args) => ToolHost.RunAsync("mogfetch", async ct =>
    {
        var o = UtilsOptions.Parse("mogfetch", args, Usage, "key=s", "file=s");
        var key = o["key"] ?? throw new ToolException("Must specify a key to fetch with --key");
        var filename = o["file"] ?? throw new ToolException("Must specify a destination with --file (or --file=- for stdout)");
        using var client = o.Client();

        IReadOnlyList<string> paths;
        try
        {
            // noverify: don't make the tracker check the node; every path is tried below anyway.
            paths = await client.GetPathsAsync(key, new GetPathsOptions { NoVerify = true }, ct);
        }
        catch (MogileFSException e)
        {
            throw new ToolException("Error fetching paths: " + e.Message);
        }
        if (paths.Count == 0) throw new ToolException("No paths found or key does not exist");

        if (filename != "-" && Directory.Exists(filename))
            throw new ToolException($"Cannot write to {filename}: it is a directory (give a file name)");
        bool toStdout = filename == "-";
        using var bar = new ProgressBar("fetching", null, !toStdout && ProgressBar.Interactive);
        var options = new FetchOptions { Progress = bar, LengthKnown = bar.SetTotal };
        try
        {
            if (toStdout)
            {
                await using var stdout = Console.OpenStandardOutput(1 << 16);
                await client.FetchPathsAsync(key, paths, stdout, options, ct);
                await stdout.FlushAsync(ct);
            }
            else
            {
                // Written under a temporary name and renamed when complete: a failed fetch never
                // leaves a partial file that looks whole.
                var full = Path.GetFullPath(filename);
                var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.mogfetch.{Environment.ProcessId}");
                try
                {
                    await using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1, useAsync: true))
                        await client.FetchPathsAsync(key, paths, fs, options, ct);
                    File.Move(tmp, full, overwrite: true);
                }
                catch
                {
                    try { File.Delete(tmp); } catch { }
                    throw;
                }
            }
        }
        catch (MogileFSStorageException e)
        {
            bar.Dispose();
            foreach (var a in e.Attempts)
            {
                Console.Error.WriteLine("Got errors while trying to fetch:");
                Console.Error.WriteLine($"{a.Error} ({a.Url})");
            }
            return 1;
        }
        bar.Complete();
        return 0;
    });
}
