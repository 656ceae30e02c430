using MogileFS.Core.Model;
using MogileFS.Tracker.Metadata;

namespace MogileFS.Tracker.Commands.Core;

/// <summary>
/// Cache lookups for the administrative commands: on a miss the cache is reloaded once before the
/// command reports "not found", so an object created through another tracker a moment ago is found
/// (these commands are rare, so the extra read costs nothing that matters).
/// </summary>
internal static class Lookups
{
    public static async ValueTask<DomainInfo?> DomainAsync(CommandContext ctx, string name)
    {
        if (ctx.Snapshot.TryGetDomain(name, out var d)) return d;
        await ctx.Metadata.ReloadAsync(ctx.Cancellation).ConfigureAwait(false);
        return ctx.Snapshot.TryGetDomain(name, out d) ? d : null;
    }

    public static async ValueTask<HostInfo?> HostAsync(CommandContext ctx, string name)
    {
        if (ctx.Snapshot.TryGetHost(name, out var h)) return h;
        await ctx.Metadata.ReloadAsync(ctx.Cancellation).ConfigureAwait(false);
        return ctx.Snapshot.TryGetHost(name, out h) ? h : null;
    }

    public static async ValueTask<HostInfo?> HostAsync(CommandContext ctx, int hostid)
    {
        if (ctx.Snapshot.TryGetHost(hostid, out var h)) return h;
        await ctx.Metadata.ReloadAsync(ctx.Cancellation).ConfigureAwait(false);
        return ctx.Snapshot.TryGetHost(hostid, out h) ? h : null;
    }

    public static async ValueTask<DeviceInfo?> DeviceAsync(CommandContext ctx, int devid)
    {
        if (ctx.Snapshot.TryGetDevice(devid, out var d)) return d;
        await ctx.Metadata.ReloadAsync(ctx.Cancellation).ConfigureAwait(false);
        return ctx.Snapshot.TryGetDevice(devid, out d) ? d : null;
    }

    /// <summary>A stored class row (not the implicit default).</summary>
    public static async ValueTask<ClassInfo?> StoredClassAsync(CommandContext ctx, int dmid, string name)
    {
        if (ctx.Snapshot.TryGetClass(dmid, name, out var c) && !c.IsImplicit) return c;
        await ctx.Metadata.ReloadAsync(ctx.Cancellation).ConfigureAwait(false);
        return ctx.Snapshot.TryGetClass(dmid, name, out c) && !c.IsImplicit ? c : null;
    }

    /// <summary>Clamp a Perl number to an int column value.</summary>
    public static int ToInt(double d) => double.IsNaN(d) ? 0 : d >= int.MaxValue ? int.MaxValue : d <= int.MinValue ? int.MinValue : (int)Math.Truncate(d);
}
