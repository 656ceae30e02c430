using MogileFS.Core.Model;
using MogileFS.Core.Protocol;

namespace MogileFS.Tracker.Commands.Core;

/// <summary>create_class, update_class, delete_class (§7.21-7.23).</summary>
public static class ClassCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("create_class", ctx => CreateOrUpdateAsync(ctx, ctx.Args.IsTrue("update")), CommandFlags.WaitsForMonitor);
        t.Add("update_class", ctx => CreateOrUpdateAsync(ctx, true), CommandFlags.WaitsForMonitor);
        t.Add("delete_class", DeleteClassAsync, CommandFlags.WaitsForMonitor);
    }

    private static async ValueTask CreateOrUpdateAsync(CommandContext ctx, bool update)
    {
        var a = ctx.Args;
        var domainName = a.GetOrEmpty("domain");
        var className = a.GetOrEmpty("class");
        if (domainName.Length == 0) throw new CommandException("no_domain");
        if (className.Length == 0) throw new CommandException("no_class");
        double mindev = a.Num("mindevcount");
        if (!(mindev > 0)) throw new CommandException("invalid_mindevcount");
        var replpolicy = a.Get("replpolicy");
        if (Perl.IsTrue(replpolicy))
        {
            var err = ReplPolicySyntax.Validate(replpolicy!);
            if (err != null) throw new CommandException("invalid_replpolicy", err);
        }
        else replpolicy = null; // an empty value keeps the stored policy
        var hashText = a.Get("hashtype");
        HashType? hash = null;
        if (Perl.IsTrue(hashText))
        {
            if (!States.TryParseHashType(hashText, out var h)) throw new CommandException("invalid_hashtype");
            hash = h;
        }
        var domain = await Lookups.DomainAsync(ctx, domainName).ConfigureAwait(false) ?? throw new CommandException("domain_not_found");
        int minDevCount = Lookups.ToInt(mindev);

        var existing = await Lookups.StoredClassAsync(ctx, domain.Id, className).ConfigureAwait(false);
        if (update && existing is null && className != ClassInfo.DefaultName) throw new CommandException("class_not_found");
        if (update && existing is not null)
        {
            await ctx.Store.UpdateClassAsync(domain.Id, existing.ClassId, minDevCount, replpolicy, hash, ctx.Cancellation).ConfigureAwait(false);
        }
        else
        {
            if (!update && existing is not null) throw new CommandException("class_exists");
            try
            {
                await ctx.Store.CreateClassAsync(domain.Id, className, minDevCount, replpolicy, hash, ctx.Cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (ctx.Store.IsDuplicateKey(e))
            {
                throw new CommandException("class_exists");
            }
        }
        ctx.Reply.Add("class", className).Add("mindevcount", Perl.FormatNumber(mindev)).Add("domain", domainName);
    }

    private static async ValueTask DeleteClassAsync(CommandContext ctx)
    {
        var domainName = ctx.Args.GetOrEmpty("domain");
        var className = ctx.Args.GetOrEmpty("class");
        if (domainName.Length == 0) throw new CommandException("no_domain");
        // 2.73 never answers no_class here (10.Q14): a missing class ends in class_not_found.
        if (className == ClassInfo.DefaultName) throw new CommandException("nodel_default_class");
        var domain = await Lookups.DomainAsync(ctx, domainName).ConfigureAwait(false) ?? throw new CommandException("domain_not_found");
        var cls = await Lookups.StoredClassAsync(ctx, domain.Id, className).ConfigureAwait(false) ?? throw new CommandException("class_not_found");
        if (await ctx.Store.ClassHasFilesAsync(domain.Id, cls.ClassId, ctx.Cancellation).ConfigureAwait(false))
            throw new CommandException("class_has_files");
        if (!await ctx.Store.DeleteClassAsync(domain.Id, cls.ClassId, ctx.Cancellation).ConfigureAwait(false))
            throw new CommandException("class_not_found");
        ctx.Reply.Add("domain", domainName).Add("class", className);
    }
}
