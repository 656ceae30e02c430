using MogileFS.Core.Model;
using MogileFS.Core.Protocol;

namespace MogileFS.Tracker.Commands.Core;

/// <summary>get_domains, create_domain, delete_domain (§7.18-7.20).</summary>
public static class DomainCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("get_domains", GetDomains);
        t.Add("create_domain", CreateDomainAsync, CommandFlags.WaitsForMonitor);
        t.Add("delete_domain", DeleteDomainAsync, CommandFlags.WaitsForMonitor);
    }

    private static ValueTask GetDomains(CommandContext ctx)
    {
        var snap = ctx.Snapshot;
        var r = ctx.Reply;
        r.Add("domains", snap.Domains.Count);
        int i = 0;
        foreach (var d in snap.Domains)
        {
            i++;
            r.Add("domain", i, "", d.Name);
            var classes = snap.ClassesOf(d.Id);
            r.Add("domain", i, "classes", classes.Count);
            int j = 0;
            // 2.73's order is its hash order (random). Ours: name first, mindevcount last, which is what
            // Ruby's mogilefs-client reads (it takes a class's first and last values as name and count).
            foreach (var c in classes)
            {
                j++;
                r.StartKey().KeyPart("domain").KeyPart(i).KeyPart("class").KeyPart(j).KeyPart("name").Value(c.Name);
                r.StartKey().KeyPart("domain").KeyPart(i).KeyPart("class").KeyPart(j).KeyPart("replpolicy").Value(c.EffectiveReplPolicy);
                r.StartKey().KeyPart("domain").KeyPart(i).KeyPart("class").KeyPart(j).KeyPart("hashtype").Value(c.HashType.ToWire());
                r.StartKey().KeyPart("domain").KeyPart(i).KeyPart("class").KeyPart(j).KeyPart("mindevcount").Value(c.MinDevCount);
            }
        }
        return ValueTask.CompletedTask;
    }

    private static async ValueTask CreateDomainAsync(CommandContext ctx)
    {
        var name = ctx.Args.Get("domain");
        if (!Perl.IsTrue(name)) throw new CommandException("no_domain");
        try
        {
            await ctx.Store.CreateDomainAsync(name!, ctx.Cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (ctx.Store.IsDuplicateKey(e))
        {
            throw new CommandException("domain_exists");
        }
        ctx.Reply.Add("domain", name);
    }

    private static async ValueTask DeleteDomainAsync(CommandContext ctx)
    {
        var name = ctx.Args.Get("domain");
        if (!Perl.IsTrue(name)) throw new CommandException("no_domain");
        var d = await Lookups.DomainAsync(ctx, name!).ConfigureAwait(false) ?? throw new CommandException("domain_not_found");
        if (await ctx.Store.DomainHasFilesAsync(d.Id, ctx.Cancellation).ConfigureAwait(false)) throw new CommandException("domain_has_files");
        if (await ctx.Store.DomainHasClassesAsync(d.Id, ctx.Cancellation).ConfigureAwait(false)) throw new CommandException("domain_has_classes");
        await ctx.Store.DeleteDomainAsync(d.Id, ctx.Cancellation).ConfigureAwait(false);
        ctx.Reply.Add("domain", name);
    }
}
