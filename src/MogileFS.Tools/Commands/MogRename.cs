using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Commands;

/// <summary><c>mogrename --old_key=A --new_key=B</c>.</summary>
public static class MogRename
{
    public const string Usage = "--trackers=host --domain=foo --class=bar --old_key='/hello.jpg' --new_key='/bye.jpg'";

    public static Task<int> RunAsync(string[] args) => ToolHost.RunAsync("mogrename", async ct =>
    {
        var o = UtilsOptions.Parse("mogrename", args, Usage, "old_key=s", "new_key=s", "class=s");
        var from = o["old_key"] ?? throw new ToolException("Must specify the key to rename with --old_key");
        var to = o["new_key"] ?? throw new ToolException("Must specify the new key with --new_key");
        using var client = o.Client();
        bool existed;
        try { existed = await client.RenameAsync(from, to, ct); }
        catch (MogileFSException e) { throw new ToolException($"Error renaming '{from}' to '{to}': {e.Message}"); }
        if (!existed) throw new ToolException($"Error renaming '{from}': no such key in domain '{o["domain"]}'");
        return 0;
    });
}
