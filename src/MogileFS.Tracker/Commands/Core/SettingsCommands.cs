using MogileFS.Core.Model;
using MogileFS.Core.Protocol;
using MogileFS.Store;
using MogileFS.Tracker.Metadata;

namespace MogileFS.Tracker.Commands.Core;

/// <summary>server_settings, server_setting, set_server_setting (§7.32-7.34).</summary>
public static class SettingsCommands
{
    public static void Register(CommandTable t)
    {
        t.Add("server_settings", ServerSettingsAsync);
        t.Add("server_setting", ServerSettingAsync);
        t.Add("set_server_setting", SetServerSettingAsync, CommandFlags.ChangesMetadata);
    }

    private static async ValueTask ServerSettingsAsync(CommandContext ctx)
    {
        var all = await ctx.Store.GetServerSettingsAsync(ctx.Cancellation).ConfigureAwait(false);
        int n = 0;
        foreach (var kv in all.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            if (kv.Key.StartsWith("fsck_", StringComparison.Ordinal) && kv.Key != "fsck_checksum") continue;
            if (MogileFS.Tracker.Storage.DeviceMarker.IsOwnSetting(kv.Key)) continue; // ours (device markers), not 2.73 settings
            n++;
            ctx.Reply.Add("key_", n, "", kv.Key);
            ctx.Reply.Add("value_", n, "", kv.Value);
        }
        if (n > 0) ctx.Reply.Add("key_count", n);
    }

    private static async ValueTask ServerSettingAsync(CommandContext ctx)
    {
        var key = ctx.Args.Get("key");
        if (!Perl.IsTrue(key)) throw new CommandException("bad_params");
        var value = await ctx.Store.GetServerSettingAsync(key!, ctx.Cancellation).ConfigureAwait(false);
        ctx.Reply.Add("key", key).Add("value", value);
    }

    private static async ValueTask SetServerSettingAsync(CommandContext ctx)
    {
        var key = ctx.Args.Get("key");
        if (!Perl.IsTrue(key)) throw new CommandException("bad_params");
        bool hasValue = ctx.Args.Has("value");
        var value = ctx.Args.Get("value");
        string? store = Normalize(key!, hasValue, value);
        bool slave = key!.StartsWith("slave_", StringComparison.Ordinal);
        await ctx.Store.WriteAsync((key, store, slave), static async (s, a, ct) =>
        {
            await MetadataStore.SetServerSettingAsync(s, a.key, a.store, ct).ConfigureAwait(false);
            if (a.slave) await MetadataStore.IncrementServerSettingAsync(s, "slave_version", 1, ct).ConfigureAwait(false);
            return true;
        }, ctx.Cancellation).ConfigureAwait(false);
    }

    /// <summary>Validates a write (schema.md §5, protocol §7.34). Returns the value to store, null = delete.</summary>
    public static string? Normalize(string key, bool hasValue, string? value)
    {
        switch (key)
        {
            case "skip_devcount":
            case "skip_mkcol":
            case "case_sensitive_list_keys":
            case "drain_moves_files": // ours: docs/fsck-rebalance.md
                if (!Perl.IsTrue(value)) return "0";
                if (StartsWithAny(value!, "0", "f", "off", "n")) return "0";
                if (StartsWithAny(value!, "1", "t", "on", "y")) return "1";
                throw new CommandException("invalid_format", "Unknown format");
            case "memcache_ttl":
            case "internal_queue_limit":
            case "auto_mark_dead_after": // ours, seconds: docs/configuration.md
                if (!Perl.IsTrue(value)) return "0";
                if (Perl.IsAllDigits(value)) return value;
                throw new CommandException("invalid_format", "Must be numeric");
            case "memcache_servers":
            case "network_zones":
                return hasValue ? value ?? "" : null;
            case "scrub_rate": // ours, bytes per second with optional k/m/g: docs/fsck-rebalance.md
                if (!Perl.IsTrue(value)) return "0";
                if (Policies.ScrubRate.Parse(value) > 0) return value!.Trim();
                throw new CommandException("invalid_format", "Must be numeric (bytes per second, optional k/m/g suffix)");
            case "fsck_checksum":
                return value switch
                {
                    "off" => value,
                    "class" => null,
                    _ when HashTypes.TryParseName(value, out _) => value,
                    _ => throw new CommandException("invalid_format", "Not a valid checksum algorithm"),
                };
        }
        if (key.StartsWith("queue_", StringComparison.Ordinal)) return hasValue ? value ?? "" : null;
        if (key.StartsWith("slave_", StringComparison.Ordinal)) return Perl.IsTrue(value) ? value : null;
        if (key.StartsWith("zone_", StringComparison.Ordinal))
        {
            if (!hasValue) return null;
            foreach (var part in (value ?? "").Split(new[] { ',', ' ', '\t', '\r', '\n', '\f' }, StringSplitOptions.RemoveEmptyEntries))
                if (!NetMask.TryParse(part, out _)) throw new CommandException("invalid_format", "Doesn't match an acceptable netmask");
            return value ?? "";
        }
        throw new CommandException("not_writable");
    }

    private static bool StartsWithAny(string v, params string[] prefixes)
    {
        foreach (var p in prefixes)
            if (v.StartsWith(p, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
