namespace MogileFS.Tracker.Commands.Core;

public static class DeviceCommands
{
    public static void Register(CommandTable table)
    {
        _ = table; // TODO(tracker core): handlers
    }
}
