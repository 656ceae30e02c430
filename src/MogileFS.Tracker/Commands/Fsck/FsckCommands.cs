namespace MogileFS.Tracker.Commands.Fsck;

/// <summary>The fsck_* commands (owned by the file-commands engineer; see docs/tracker-internals.md).</summary>
public static class FsckCommands
{
    public static void Register(CommandTable table)
    {
        _ = table;
    }
}
