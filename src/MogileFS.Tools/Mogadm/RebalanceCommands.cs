using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Mogadm;

/// <summary><c>mogadm rebalance start|stop|status|settings|test|reset|policy</c>.</summary>
internal static class RebalanceCommands
{
    public static async Task<int> RunAsync(MogadmContext c)
    {
        using var admin = c.Admin();
        try
        {
            switch (c.Verb)
            {
                case "start": await admin.RebalanceStartAsync(c.Cancel); return c.Ok("rebalance started");
                case "stop": await admin.RebalanceStopAsync(c.Cancel); return c.Ok("rebalance stopped");
                case "reset": await admin.RebalanceResetAsync(c.Cancel); return c.Ok("rebalance reset");
                case "policy": await admin.RebalanceSetPolicyAsync(c.Arg("options"), c.Cancel); return c.Ok("changed policy setting");
                case "test":
                {
                    var (sources, dests) = await admin.RebalanceTestAsync(c.Cancel);
                    var ss = await admin.GetServerSettingsAsync(c.Cancel);
                    c.Out.Write("Tested rebalance policy...\n");
                    c.Out.Write($"Policy: {ss.GetValueOrDefault("rebal_policy")}\n\n");
                    c.Out.Write("Source devices:\n");
                    foreach (var d in sources.Order(StringComparer.Ordinal)) c.Out.Write($" - {d}\n");
                    c.Out.Write("Destination devices:\n");
                    foreach (var d in dests.Order(StringComparer.Ordinal)) c.Out.Write($" - {d}\n");
                    return 0;
                }
                case "status":
                {
                    var ss = await admin.GetServerSettingsAsync(c.Cancel);
                    var state = await admin.RebalanceStatusAsync(c.Cancel);
                    c.Out.Write(ss.TryGetValue("rebal_host", out var h) && h.Length > 0 && h != "0"
                        ? "Rebalance is running\n" : "Rebalance is stopped\n");
                    c.Out.Write("Rebalance status:\n");
                    foreach (var item in state.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal))
                    {
                        var kv = item.Split('=');
                        c.Out.Write($"{kv[0],25} = {(kv.Length > 1 ? kv[1] : "")}\n");
                    }
                    return 0;
                }
                case "settings":
                {
                    IReadOnlyDictionary<string, string> ss;
                    try { ss = await admin.GetServerSettingsAsync(c.Cancel); }
                    catch (MogileFSException e) { throw MogadmContext.Fail($"can't get settings ({e.Message})"); }
                    foreach (var (k, v) in ss.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                        if (k.StartsWith("rebal_", StringComparison.Ordinal) && k != "rebal_state") c.Out.Write($"{k,25} = {v}\n");
                    return 0;
                }
            }
        }
        catch (MogileFSException e) { throw MogadmContext.Fail(e.Message); }
        throw new UsageException(MogadmUsage.TopUsage());
    }
}
