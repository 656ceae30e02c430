using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Mogadm;

/// <summary><c>mogadm settings list|set</c>.</summary>
internal static class SettingsCommands
{
    public static async Task<int> RunAsync(MogadmContext c)
    {
        using var admin = c.Admin();
        switch (c.Verb)
        {
            case "list":
                IReadOnlyDictionary<string, string> ss;
                try { ss = await admin.GetServerSettingsAsync(c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail($"can't get settings ({e.Message})"); }
                foreach (var (k, v) in ss.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (k.StartsWith("rebal", StringComparison.Ordinal)) continue; // noisy; see 'rebalance settings'
                    c.Out.Write($"{k,25} = {v}\n");
                }
                return 0;
            case "set":
                try { await admin.SetServerSettingAsync(c.Arg("key")!, c.Arg("value"), c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail(e.Message); }
                return c.Ok();
        }
        throw new UsageException(MogadmUsage.TopUsage());
    }
}
