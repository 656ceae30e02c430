namespace MogileFS.Tracker.Commands.Files;

/// <summary>The file commands (create_open, create_close, get_paths, ...) (owned by the file-commands engineer; see docs/tracker-internals.md).</summary>
public static class FileCommands
{
    public static void Register(CommandTable table)
    {
        _ = table;
    }
}
