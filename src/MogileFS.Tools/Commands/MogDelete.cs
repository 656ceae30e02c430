using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Commands;

/// <summary><c>mogdelete --key=K</c>.</summary>
public static class MogDelete
{
    public const string Usage = "--trackers=host --domain=foo --key='/hello.jpg'";

    public static Task<int> RunAsync(string[] args) => ToolHost.RunAsync("mogdelete", async ct =>
    {
        var o = UtilsOptions.Parse("mogdelete", args, Usage, "key=s");
        var key = o["key"] ?? throw new ToolException("Must specify a key to delete with --key");
        using var client = o.Client();
        bool existed;
        try { existed = await client.DeleteAsync(key, ct); }
        catch (MogileFSException e) { throw new ToolException("Error deleting file: " + e.Message); }
        if (!existed) throw new ToolException("Error deleting file: unknown_key unknown_key");
        return 0;
    });
}
