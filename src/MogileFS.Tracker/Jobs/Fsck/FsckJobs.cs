using MogileFS.Core.Protocol;
using MogileFS.Store;
using MogileFS.Tracker.Commands;
using MogileFS.Tracker.Jobs.Scrub;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Jobs.Fsck;

/// <summary>
/// Wires fsck into a tracker: the fsck workers and the injection hook of the job master, the
/// background scrubber, and our command <c>fsck_scope</c> (limit a run to a domain or class).
/// Registered from <c>TrackerCommands.CreateDefault</c>.
/// </summary>
public static class FsckJobs
{
    /// <summary>Items one fsck worker checks at once (HEADs and digests overlap across fids).</summary>
    public const int WorkerParallelism = 8;

    public static void Register(CommandTable table)
    {
        table.Add("fsck_scope", ScopeAsync, CommandFlags.ChangesMetadata);
        table.OnStart((rt, _) =>
        {
            var state = rt.Feature(r => new FsckServices(r));
            var hooks = rt.Feature<JobHooks>();
            hooks.RegisterQueueWorker(QueueTable.Fsck, MogileFS.Tracker.Runtime.JobKind.Fsck, state.Worker.HandleAsync, WorkerParallelism);
            hooks.AddInjector(state.Injector.RunPassAsync);
            hooks.AddInjector(state.Scrubber.TickAsync);
            return Task.CompletedTask;
        });
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

/// <summary>Per-tracker fsck and scrub objects.</summary>
internal sealed class FsckServices
{
    public FsckServices(TrackerRuntime rt)
    {
        var policy = new ReplicationPolicyCheck(rt.Observations, rt.Options.MinFreeSpaceMb);
        Checker = new FsckChecker(rt, policy);
        Worker = new FsckWorker(rt, Checker);
        Injector = new FsckInjector(rt);
        Scrubber = new Scrubber(rt, Checker);
    }

    public FsckChecker Checker { get; }
    public FsckWorker Worker { get; }
    public FsckInjector Injector { get; }
    public Scrubber Scrubber { get; }
}
