namespace MogileFS.Tracker.Commands.Core;

public static class ClassCommands
{
    public static void Register(CommandTable table)
    {
        _ = table; // TODO(tracker core): handlers
    }
}
