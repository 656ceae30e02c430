using MogileFS.Core.Protocol;
using MogileFS.Tracker.Commands;
using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Dashboard;

/// <summary>The outcome of a query command run in process: the reply pairs, or the error code and message.</summary>
public sealed record LocalReply(bool Ok, string? ErrorCode, string? ErrorMessage, RequestArgs Pairs)
{
    public string? this[string key] => Pairs.Get(key);
}

/// <summary>
/// Runs a tracker query command in this process, through the same handler, metadata reload and
/// monitor wait as a client connection, so a dashboard action has exactly the effect (and the
/// refusals) of the protocol command that mogadm sends. Not counted against query_jobs: these are
/// a few operator clicks, never a workload.
/// </summary>
internal sealed class LocalCommands(CommandTable table, TrackerRuntime runtime, Action<string, Exception> reportFailure)
{
    public async Task<LocalReply> RunAsync(string command, IEnumerable<(string Name, string Value)> args, CancellationToken ct)
    {
        if (!table.TryGet(command, out var entry)) throw new ArgumentException($"no command {command}", nameof(command));
        var ctx = new CommandContext(runtime) { Command = entry.Name, Cancellation = runtime.Stopping };
        foreach (var (n, v) in args) ctx.Args.Set(n, v);
        try
        {
            await entry.Handler(ctx).ConfigureAwait(false);
        }
        catch (CommandException ce)
        {
            ctx.Reply.Error(ce.Code, ce.WireMessage);
        }
        catch (Exception e) when (runtime.Store.IsDuplicateKey(e))
        {
            ctx.Reply.Error("dup");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ctx.Reply.Error("failure");
            reportFailure(entry.Name, e);
        }
        if ((entry.Flags & CommandFlags.ChangesMetadata) != 0 && !ctx.Reply.IsError)
        {
            await runtime.Metadata.ReloadAsync(ct).ConfigureAwait(false);
            if ((entry.Flags & CommandFlags.WaitsForMonitor) == CommandFlags.WaitsForMonitor)
                await runtime.Monitor.RequestFreshRoundAsync(ct).WaitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        }
        if (ctx.Reply.IsError)
            return new LocalReply(false, ctx.Reply.ErrorCode, ctx.Reply.ErrorMessage ?? ErrorCodes.DefaultMessage(ctx.Reply.ErrorCode!), new RequestArgs());
        return new LocalReply(true, null, null, RequestArgs.Parse(ctx.Reply.EncodedPairs));
    }
}
