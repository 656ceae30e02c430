namespace MogileFS.Store;

/// <summary>Everything the tracker caches, read in one go.</summary>
public sealed record MetadataRows(
    List<MogileFS.Core.Model.DomainInfo> Domains,
    List<MogileFS.Core.Model.ClassInfo> Classes,
    List<MogileFS.Core.Model.HostInfo> Hosts,
    List<MogileFS.Core.Model.DeviceInfo> Devices,
    Dictionary<string, string> Settings);

// server_settings (schema.md §3.8, §5) and the cache load.
public abstract partial class MetadataStore
{
    /// <summary>Reads domains, classes, hosts, devices and settings on one connection.</summary>
    public ValueTask<MetadataRows> LoadMetadataAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) => new MetadataRows(
            await LoadDomainsAsync(s, ct).ConfigureAwait(false),
            await LoadClassesAsync(s, ct).ConfigureAwait(false),
            await LoadHostsAsync(s, ct).ConfigureAwait(false),
            await LoadDevicesAsync(s, ct).ConfigureAwait(false),
            await LoadSettingsAsync(s, ct).ConfigureAwait(false)), ct);

    public ValueTask<Dictionary<string, string>> GetServerSettingsAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) => await LoadSettingsAsync(s, ct).ConfigureAwait(false), ct);

    internal static async ValueTask<Dictionary<string, string>> LoadSettingsAsync(StoreSession s, CancellationToken ct)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var r = await s.Sql("SELECT field, value FROM server_settings").ReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            d[s.GetText(r, 0) ?? ""] = s.GetText(r, 1) ?? "";
        return d;
    }

    /// <summary>One setting (null when absent).</summary>
    public ValueTask<string?> GetServerSettingAsync(string field, CancellationToken ct) =>
        ReadAsync(field, static async (s, f, ct) =>
            await s.Sql("SELECT value FROM server_settings WHERE field = CAST(@f AS TEXT)").Text("@f", f).ScalarTextAsync(ct).ConfigureAwait(false), ct);

    /// <summary>Sets a setting; null deletes the row.</summary>
    public ValueTask SetServerSettingAsync(string field, string? value, CancellationToken ct) =>
        WriteAsync((field, value), static async (s, a, ct) =>
        {
            await SetServerSettingAsync(s, a.field, a.value, ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    /// <summary>Inside a write transaction: set (upsert) or delete (null) one setting.</summary>
    public static async ValueTask SetServerSettingAsync(StoreSession s, string field, string? value, CancellationToken ct)
    {
        if (value is null)
            await s.Sql("DELETE FROM server_settings WHERE field = CAST(@f AS TEXT)").Text("@f", field).ExecuteAsync(ct).ConfigureAwait(false);
        else
            await s.Sql(s.Dialect.Upsert("INSERT INTO server_settings (field, value) VALUES (CAST(@f AS TEXT), CAST(@v AS TEXT))", "field", ["value"]))
                .Text("@f", field).Text("@v", value).ExecuteAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The setting's value; when absent, stores <paramref name="valueIfAbsent"/> first. Safe when
    /// several trackers race: the first insert wins and every caller returns the stored value.
    /// </summary>
    public ValueTask<string> GetOrAddServerSettingAsync(string field, string valueIfAbsent, CancellationToken ct) =>
        WriteAsync((field, valueIfAbsent), static async (s, a, ct) =>
        {
            await s.Sql(s.Dialect.InsertIgnore("INSERT INTO server_settings (field, value) VALUES (CAST(@f AS TEXT), CAST(@v AS TEXT))", "field"))
                .Text("@f", a.field).Text("@v", a.valueIfAbsent).ExecuteAsync(ct).ConfigureAwait(false);
            return await s.Sql("SELECT value FROM server_settings WHERE field = CAST(@f AS TEXT)").Text("@f", a.field).ScalarTextAsync(ct).ConfigureAwait(false)
                ?? a.valueIfAbsent;
        }, ct);

    /// <summary>value = value + by (numeric), creating the row with <paramref name="by"/> when absent. Returns the new value.</summary>
    public ValueTask<long> IncrementServerSettingAsync(string field, long by, CancellationToken ct) =>
        WriteAsync((field, by), static async (s, a, ct) => await IncrementServerSettingAsync(s, a.field, a.by, ct).ConfigureAwait(false), ct);

    public static async ValueTask<long> IncrementServerSettingAsync(StoreSession s, string field, long by, CancellationToken ct)
    {
        var cur = await s.Sql("SELECT value FROM server_settings WHERE field = CAST(@f AS TEXT)").Text("@f", field).ScalarTextAsync(ct).ConfigureAwait(false);
        long next = (cur is null ? 0 : (long)MogileFS.Core.Protocol.Perl.Int(cur)) + by;
        await SetServerSettingAsync(s, field, next.ToString(System.Globalization.CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        return next;
    }

    /// <summary>The database's clock as unix seconds (queue timestamps use it, schema.md §6).</summary>
    public ValueTask<long> GetDatabaseTimeAsync(CancellationToken ct) => PingAsync(ct);
}
