namespace MogileFS.Tracker.Commands.Rebalance;

/// <summary>The rebalance_* commands (owned by the file-commands engineer; see docs/tracker-internals.md).</summary>
public static class RebalanceCommands
{
    public static void Register(CommandTable table)
    {
        _ = table;
    }
}
