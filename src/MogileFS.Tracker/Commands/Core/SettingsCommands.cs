namespace MogileFS.Tracker.Commands.Core;

public static class SettingsCommands
{
    public static void Register(CommandTable table)
    {
        _ = table; // TODO(tracker core): handlers
    }
}
