using MogileFS.Core.Model;
using MogileFS.Core.Protocol;
using MogileFS.Tracker.Policies;

namespace MogileFS.Tracker.Commands.Rebalance;

/// <summary>
/// rebalance_set_policy/test/start/stop/status/reset (tracker-protocol.md §7.36, jobs.md §10.3). They
/// change rebal_policy, rebal_state, rebal_host and rebal_signal exactly as 2.73 does; the injection job
/// (a later issue) acts on them. Settings are read from the database, not the cache.
/// </summary>
public static class RebalanceCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("rebalance_status", StatusAsync);
        table.Add("rebalance_test", TestAsync);
        table.Add("rebalance_start", StartAsync, CommandFlags.ChangesMetadata);
        table.Add("rebalance_stop", StopAsync, CommandFlags.ChangesMetadata);
        table.Add("rebalance_reset", ResetAsync, CommandFlags.ChangesMetadata);
        table.Add("rebalance_set_policy", SetPolicyAsync, CommandFlags.ChangesMetadata);
    }

    private static ValueTask<string?> Setting(CommandContext ctx, string name) => ctx.Store.GetServerSettingAsync(name, ctx.Cancellation);

    private static List<RebalanceDevice> Devices(CommandContext ctx)
    {
        var snap = ctx.Snapshot;
        var list = new List<RebalanceDevice>(snap.Devices.Count);
        long minFree = ctx.Options.MinFreeSpaceMb;
        foreach (var d in snap.Devices)
        {
            bool hostAlive = snap.TryGetHost(d.HostId, out var h) && h.Status == HostState.Alive;
            bool canDelete = hostAlive && d.Status.CanDeleteFrom();
            bool getsFiles = hostAlive && d.Status.ShouldGetNewFiles() && ctx.Observations.IsWriteable(d)
                && !(d.MbTotal is > 0 && (d.MbFree ?? 0) < minFree);
            list.Add(new RebalanceDevice(d.Id, d.HostId, canDelete, getsFiles, d.MbTotal, d.MbUsed));
        }
        return list;
    }

    private static RebalancePolicy ParseStored(string policy)
    {
        // A stored policy was validated when it was set; one written by hand may not be (2.73 crashes).
        if (!RebalancePolicy.TryParse(policy, out var p, out var err)) throw new CommandException("failure", err);
        return p;
    }

    private static async ValueTask StatusAsync(CommandContext ctx)
    {
        var state = await Setting(ctx, "rebal_state").ConfigureAwait(false);
        if (!Perl.IsTrue(state)) throw new CommandException("no_rebal_state");
        ctx.Reply.Add("state", state);
    }

    private static async ValueTask TestAsync(CommandContext ctx)
    {
        var policy = await Setting(ctx, "rebal_policy").ConfigureAwait(false);
        if (!Perl.IsTrue(policy)) throw new CommandException("no_rebal_policy");
        var p = ParseStored(policy!);
        var devs = Devices(ctx);
        var sdevs = p.FilterSourceDevices(devs);
        var ddevs = p.FilterDestDevices(devs, sdevs);
        ctx.Reply.Add("sdevs", string.Join(',', sdevs)).Add("ddevs", string.Join(',', ddevs));
    }

    private static async ValueTask StartAsync(CommandContext ctx)
    {
        if (Perl.IsTrue(await Setting(ctx, "rebal_host").ConfigureAwait(false)))
            throw new CommandException("rebal_running", "rebalance is already running");
        if (Perl.IsTrue(await Setting(ctx, "fsck_host").ConfigureAwait(false)))
            throw new CommandException("fsck_running", "fsck running; cannot run rebalance at same time");
        var state = await Setting(ctx, "rebal_state").ConfigureAwait(false);
        if (!Perl.IsTrue(state))
        {
            var policy = await Setting(ctx, "rebal_policy").ConfigureAwait(false);
            if (!Perl.IsTrue(policy)) throw new CommandException("no_rebal_policy");
            var p = ParseStored(policy!);
            state = RebalancePolicy.InitialState(p.FilterSourceDevices(Devices(ctx)), ctx.Clock.GetUtcNow().ToUnixTimeSeconds());
            await ctx.Store.SetServerSettingAsync("rebal_state", state, ctx.Cancellation).ConfigureAwait(false);
        }
        await ctx.Store.SetServerSettingAsync("rebal_host", ctx.Runtime.HostName, ctx.Cancellation).ConfigureAwait(false);
        ctx.Reply.Add("state", state);
    }

    private static async ValueTask StopAsync(CommandContext ctx)
    {
        if (!Perl.IsTrue(await Setting(ctx, "rebal_host").ConfigureAwait(false))) throw new CommandException("rebal_not_started");
        await ctx.Store.SetServerSettingAsync("rebal_signal", "stop", ctx.Cancellation).ConfigureAwait(false);
    }

    private static async ValueTask ResetAsync(CommandContext ctx)
    {
        if (Perl.IsTrue(await Setting(ctx, "rebal_host").ConfigureAwait(false)))
            throw new CommandException("rebal_running", "rebalance is running");
        await ctx.Store.SetServerSettingAsync("rebal_state", null, ctx.Cancellation).ConfigureAwait(false);
    }

    private static async ValueTask SetPolicyAsync(CommandContext ctx)
    {
        if (Perl.IsTrue(await Setting(ctx, "rebal_host").ConfigureAwait(false)))
            throw new CommandException("no_set_rebal", "cannot change rebalance policy while rebalance is running");
        var policy = ctx.Args.Get("policy");
        if (!RebalancePolicy.TryParse(policy, out _, out var err))
            throw new CommandException("bad_rebal_pol", err);
        await ctx.Store.SetServerSettingAsync("rebal_policy", policy, ctx.Cancellation).ConfigureAwait(false);
        await ctx.Store.SetServerSettingAsync("rebal_state", null, ctx.Cancellation).ConfigureAwait(false);
    }
}
