namespace MogileFS.Tracker.Commands.Core;

public static class HostCommands
{
    public static void Register(CommandTable table)
    {
        _ = table; // TODO(tracker core): handlers
    }
}
