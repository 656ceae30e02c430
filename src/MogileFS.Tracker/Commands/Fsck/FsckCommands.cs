using System.Data.Common;
using System.Globalization;
using MogileFS.Core.Protocol;
using MogileFS.Store;

namespace MogileFS.Tracker.Commands.Fsck;

/// <summary>
/// fsck_start/stop/reset/clearlog/getlog/status (tracker-protocol.md §7.35, jobs.md §9.1). They change
/// the fsck state in server_settings exactly as 2.73 does; the fsck job (a later issue) acts on it.
/// Settings are read from the database, not the cache, because other trackers and the job change them.
/// </summary>
public static class FsckCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("fsck_start", StartAsync, CommandFlags.ChangesMetadata);
        table.Add("fsck_stop", StopAsync, CommandFlags.ChangesMetadata);
        table.Add("fsck_reset", ResetAsync, CommandFlags.ChangesMetadata);
        table.Add("fsck_clearlog", ClearLogAsync);
        table.Add("fsck_getlog", GetLogAsync);
        table.Add("fsck_status", StatusAsync);
        table.Add("fsck_scope", ScopeAsync, CommandFlags.ChangesMetadata);
    }

    private static async ValueTask StartAsync(CommandContext ctx)
    {
        MetadataStore.FsckStartOutcome outcome;
        try
        {
            outcome = await ctx.Store.FsckStartAsync(ctx.Runtime.HostName, ctx.Cancellation).ConfigureAwait(false);
        }
        catch (DbException)
        {
            throw new CommandException("db");
        }
        if (outcome == MetadataStore.FsckStartOutcome.FsckRunning) throw new CommandException("fsck_running", "fsck is already running");
        if (outcome == MetadataStore.FsckStartOutcome.RebalanceRunning) throw new CommandException("rebal_running", "rebalance running; cannot run fsck at same time");
    }

    private static async ValueTask StopAsync(CommandContext ctx) =>
        await ctx.Store.FsckStopAsync(ctx.Cancellation).ConfigureAwait(false);

    private static async ValueTask ResetAsync(CommandContext ctx)
    {
        var startpos = ctx.Args.Get("startpos");
        try
        {
            await ctx.Store.FsckResetAsync((ctx.Args.IsTrue("policy_only"), Perl.IsTrue(startpos) ? startpos! : "0"), ctx.Cancellation).ConfigureAwait(false);
        }
        catch (DbException)
        {
            throw new CommandException("db");
        }
    }

    private static async ValueTask ClearLogAsync(CommandContext ctx) =>
        await ctx.Store.ClearFsckLogAsync(ctx.Cancellation).ConfigureAwait(false);

    private static async ValueTask GetLogAsync(CommandContext ctx)
    {
        long after = ctx.Args.Int("after_logid");
        var rows = await ctx.Store.GetFsckLogAsync(after, 100, ctx.Cancellation).ConfigureAwait(false);
        var r = ctx.Reply;
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            int n = i + 1;
            r.Add("row_", n, "_logid", row.LogId);
            if (row.UTime is long t) r.Add("row_", n, "_utime", t);
            if (row.Fid is long f) r.Add("row_", n, "_fid", f);
            if (row.EvCode is { } e) r.Add("row_", n, "_evcode", e);
            if (row.DevId is int d) r.Add("row_", n, "_devid", d);
        }
        r.Add("row_count", rows.Count);
    }

    private static async ValueTask StatusAsync(CommandContext ctx)
    {
        var store = ctx.Store;
        var ct = ctx.Cancellation;
        await store.FsckSummarizeAsync(ct).ConfigureAwait(false);
        var ss = await store.GetServerSettingsAsync(ct).ConfigureAwait(false);
        string Or0(string name) => ss.TryGetValue(name, out var v) && Perl.IsTrue(v) ? v : "0";
        ss.TryGetValue("fsck_host", out var host);
        var r = ctx.Reply;
        r.Add("running", Perl.IsTrue(host) ? 1 : 0)
         .Add("host", Perl.IsTrue(host) ? host : "")
         .Add("max_fid_checked", Or0("fsck_highest_fid_checked"))
         .Add("policy_only", Or0("fsck_opt_policy_only"))
         .Add("end_fid", Or0("fsck_fid_at_end"))
         .Add("start_time", Or0("fsck_start_time"))
         .Add("stop_time", Or0("fsck_stop_time"))
         .Add("current_time", await store.GetDatabaseTimeAsync(ct).ConfigureAwait(false))
         .Add("max_logid", await store.GetMaxFsckLogIdAsync(ct).ConfigureAwait(false));
        const string prefix = "fsck_sum_evcount_";
        foreach (var kv in ss.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            if (!kv.Key.StartsWith(prefix, StringComparison.Ordinal) || kv.Key.Length == prefix.Length) continue;
            r.Add("num_" + kv.Key[prefix.Length..], Perl.FormatNumber(Perl.Numify(kv.Value)));
        }
    }

    /// <summary>
    /// <c>fsck_scope</c> — ours, not in 2.73. Without arguments: the current scope
    /// (<c>domain=&lt;name&gt;&amp;class=&lt;name&gt;</c>, empty when unscoped). With <c>domain=</c> (and
    /// optionally <c>class=</c>): later fsck injection only queues files of that domain / class.
    /// <c>clear=1</c> removes the scope. Changing it is refused while fsck runs (<c>fsck_running</c>).
    /// </summary>
    private static async ValueTask ScopeAsync(CommandContext ctx)
    {
        var snap = ctx.Snapshot;
        bool clear = ctx.Args.IsTrue("clear");
        bool set = ctx.Args.HasValue("domain");
        if (clear || set)
        {
            if (Perl.IsTrue(await ctx.Store.GetServerSettingAsync("fsck_host", ctx.Cancellation).ConfigureAwait(false)))
                throw new CommandException("fsck_running", "fsck is already running");
            FsckScope scope = default;
            if (!clear)
            {
                var dom = ctx.RequireDomain();
                int? classid = null;
                var cname = ctx.Args.Get("class");
                if (!string.IsNullOrEmpty(cname))
                {
                    if (!snap.TryGetClass(dom.Id, cname, out var cls)) throw new CommandException("class_not_found");
                    classid = cls.ClassId;
                }
                scope = new FsckScope(dom.Id, classid);
            }
            else if (set) throw new CommandException("bad_params", "give either domain= or clear=1");
            await ctx.Store.SetFsckScopeAsync(scope, ctx.Cancellation).ConfigureAwait(false);
        }
        var now = await ctx.Store.GetFsckScopeAsync(ctx.Cancellation).ConfigureAwait(false);
        string domain = "", klass = "";
        if (now.DomainId is int d && snap.TryGetDomain(d, out var di))
        {
            domain = di.Name;
            if (now.ClassId is int c) klass = snap.ClassName(d, c) ?? "";
        }
        ctx.Reply.Add("domain", domain).Add("class", klass);
    }
}
