using MogileFS.Core.Protocol;

namespace MogileFS.Tracker.Commands.Core;

/// <summary>noop, test, sleep, clear_cache, do_monitor_round (tracker-protocol.md §7.1-7.5).</summary>
public static class BasicCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("noop", static _ => ValueTask.CompletedTask, CommandFlags.NoDatabase);
        t.Add("test", Test, CommandFlags.NoDatabase);
        t.Add("sleep", SleepAsync, CommandFlags.NoDatabase);
        t.Add("clear_cache", ClearCacheAsync);
        t.Add("do_monitor_round", DoMonitorRoundAsync);
    }

    private static ValueTask Test(CommandContext ctx)
    {
        if (ctx.Args.IsTrue("crash")) throw new InvalidOperationException("Crashed on purpose");
        return ValueTask.CompletedTask;
    }

    private static async ValueTask SleepAsync(CommandContext ctx)
    {
        var d = ctx.Args.Get("duration");
        double seconds = Perl.IsTrue(d) ? Perl.Int(d) : 10;
        if (double.IsNaN(seconds) || seconds <= 0) return;
        // Sleeps as asked (2.73's endless watchdog retry for >= 30 s is not copied, 10.Q21); capped at a day.
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(seconds, 86400)), ctx.Clock, ctx.Cancellation).ConfigureAwait(false);
    }

    private static async ValueTask ClearCacheAsync(CommandContext ctx)
    {
        await ctx.Metadata.ReloadAsync(ctx.Cancellation).ConfigureAwait(false);
        // 2.73 asks the monitor for a fresh round and replies when it has completed, so every
        // device's observed state is known (Test.pm's wait_for_monitor and mogadm rely on it).
        await ctx.Runtime.Monitor.RequestFreshRoundAsync(ctx.Cancellation).ConfigureAwait(false);
        // The reply echoes every decoded argument (T02); callid is added by the framework.
        var args = ctx.Args;
        for (int i = 0; i < args.Count; i++)
        {
            var (name, value) = args[i];
            if (name == "callid") continue;
            ctx.Reply.Add(name, value);
        }
    }

    private static async ValueTask DoMonitorRoundAsync(CommandContext ctx)
    {
        await ctx.Metadata.ReloadAsync(ctx.Cancellation).ConfigureAwait(false);
        await ctx.Runtime.Monitor.RequestFreshRoundAsync(ctx.Cancellation).ConfigureAwait(false);
    }
}
