using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Commands;

/// <summary><c>moglistkeys --key_prefix=P</c>: every key with that prefix, one per line.</summary>
public static class MogListKeys
{
    public const string Usage = "--trackers=host --domain=foo --key_prefix='bar/'";

    public static Task<int> RunAsync(string[] args) => ToolHost.RunAsync("moglistkeys", async ct =>
    {
        var o = UtilsOptions.Parse("moglistkeys", args, Usage, "key_prefix=s");
        using var client = o.Client();
        long n = 0;
        var w = Console.Out;
        try
        {
            await foreach (var key in client.ListKeysAsync(o["key_prefix"], 1000, ct))
            {
                w.Write(key);
                w.Write('\n');
                n++;
            }
        }
        catch (MogileFSException e) { throw new ToolException("Error listing files: " + e.Message); }
        if (n == 0)
            throw new ToolException("Error listing files: none_match No keys match that pattern and after-value (if any).");
        return 0;
    });
}
