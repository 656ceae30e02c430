using MogileFS.Core.Model;

namespace MogileFS.Store;

/// <summary>Fields of a host that create_host/update_host may set; null = not given (unchanged).</summary>
public sealed record HostUpdate(string? Status = null, string? Ip = null, string? Port = null, string? GetPort = null, string? AltIp = null, string? AltMask = null);

// Hosts and devices (schema.md §3.6, §3.7, §8).
public abstract partial class MetadataStore
{
    public ValueTask<List<HostInfo>> GetHostsAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) => await LoadHostsAsync(s, ct).ConfigureAwait(false), ct);

    internal static async ValueTask<List<HostInfo>> LoadHostsAsync(StoreSession s, CancellationToken ct)
    {
        var list = new List<HostInfo>();
        await using var r = await s.Sql("SELECT hostid, hostname, status, hostip, http_port, http_get_port, altip, altmask FROM host").ReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new HostInfo(StoreSession.GetInt32(r, 0) ?? 0, s.GetText(r, 1) ?? "", s.GetText(r, 2), s.GetText(r, 3),
                StoreSession.GetInt32(r, 4), StoreSession.GetInt32(r, 5), s.GetText(r, 6), s.GetText(r, 7)));
        return list;
    }

    public ValueTask<List<DeviceInfo>> GetDevicesAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) => await LoadDevicesAsync(s, ct).ConfigureAwait(false), ct);

    internal static async ValueTask<List<DeviceInfo>> LoadDevicesAsync(StoreSession s, CancellationToken ct)
    {
        var list = new List<DeviceInfo>();
        await using var r = await s.Sql("SELECT devid, hostid, status, weight, mb_total, mb_used, mb_asof FROM device").ReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new DeviceInfo(StoreSession.GetInt32(r, 0) ?? 0, StoreSession.GetInt32(r, 1) ?? 0, s.GetText(r, 2), StoreSession.GetInt32(r, 3),
                StoreSession.GetInt64(r, 4), StoreSession.GetInt64(r, 5), StoreSession.GetInt64(r, 6)));
        return list;
    }

    /// <summary>
    /// Creates a host (hostid = MAX+1, status down) and applies <paramref name="update"/>, in one
    /// transaction. Uniqueness violations (name, ip, altip) throw a duplicate-key DbException.
    /// </summary>
    public ValueTask<int> CreateHostAsync(string name, string? ip, HostUpdate update, CancellationToken ct) =>
        WriteAsync((name, ip, update), static async (s, a, ct) =>
        {
            var max = await s.Sql("SELECT MAX(hostid) FROM host").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0;
            int hostid = (int)max + 1;
            await s.Sql("INSERT INTO host (hostid, hostname, hostip, status) VALUES (@h, CAST(@n AS TEXT), CAST(@ip AS TEXT), 'down')")
                .Int("@h", hostid).Text("@n", a.name).Text("@ip", a.ip).ExecuteAsync(ct).ConfigureAwait(false);
            await ApplyHostUpdateAsync(s, hostid, a.update, ct).ConfigureAwait(false);
            return hostid;
        }, ct);

    public ValueTask UpdateHostAsync(int hostid, HostUpdate update, CancellationToken ct) =>
        WriteAsync((hostid, update), static async (s, a, ct) =>
        {
            await ApplyHostUpdateAsync(s, a.hostid, a.update, ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    private static async ValueTask ApplyHostUpdateAsync(StoreSession s, int hostid, HostUpdate u, CancellationToken ct)
    {
        // Empty altip/altmask mean "none": stored as NULL so two hosts can both have none (10.Q35 not copied).
        if (u.AltIp != null)
            await s.Sql("UPDATE host SET altip = CAST(@v AS TEXT) WHERE hostid = @h").Text("@v", u.AltIp.Length == 0 ? null : u.AltIp).Int("@h", hostid).ExecuteAsync(ct).ConfigureAwait(false);
        if (u.AltMask != null)
            await s.Sql("UPDATE host SET altmask = CAST(@v AS TEXT) WHERE hostid = @h").Text("@v", u.AltMask.Length == 0 ? null : u.AltMask).Int("@h", hostid).ExecuteAsync(ct).ConfigureAwait(false);
        if (u.GetPort != null)
            await s.Sql("UPDATE host SET http_get_port = @v WHERE hostid = @h").Int("@v", PortValue(u.GetPort)).Int("@h", hostid).ExecuteAsync(ct).ConfigureAwait(false);
        if (u.Ip != null)
            await s.Sql("UPDATE host SET hostip = CAST(@v AS TEXT) WHERE hostid = @h").Text("@v", u.Ip).Int("@h", hostid).ExecuteAsync(ct).ConfigureAwait(false);
        if (u.Port != null)
            await s.Sql("UPDATE host SET http_port = @v WHERE hostid = @h").Int("@v", PortValue(u.Port)).Int("@h", hostid).ExecuteAsync(ct).ConfigureAwait(false);
        if (u.Status != null)
            await s.Sql("UPDATE host SET status = CAST(@v AS TEXT) WHERE hostid = @h").Text("@v", u.Status).Int("@h", hostid).ExecuteAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Ports are integers in every schema: empty = NULL, otherwise Perl numification.</summary>
    private static long? PortValue(string v) => v.Length == 0 ? null : (long)MogileFS.Core.Protocol.Perl.Int(v);

    public ValueTask<bool> DeleteHostAsync(int hostid, CancellationToken ct) =>
        WriteAsync(hostid, static async (s, hostid, ct) =>
            await s.Sql("DELETE FROM host WHERE hostid = @h").Int("@h", hostid).ExecuteAsync(ct).ConfigureAwait(false) > 0, ct);

    public ValueTask<bool> HostHasDevicesAsync(int hostid, CancellationToken ct) =>
        ReadAsync(hostid, static async (s, hostid, ct) =>
            await s.Sql("SELECT 1 FROM device WHERE hostid = @h LIMIT 1").Int("@h", hostid).ScalarInt64Async(ct).ConfigureAwait(false) != null, ct);

    /// <summary>Inserts a device. An existing devid throws a duplicate-key DbException.</summary>
    public ValueTask CreateDeviceAsync(int devid, int hostid, DeviceState state, CancellationToken ct) =>
        WriteAsync((devid, hostid, state), static async (s, a, ct) =>
            await s.Sql("INSERT INTO device (devid, hostid, status) VALUES (@d, @h, CAST(@s AS TEXT))")
                .Int("@d", a.devid).Int("@h", a.hostid).Text("@s", a.state.ToWire()).ExecuteAsync(ct).ConfigureAwait(false), ct).AsValueTaskVoid();

    public ValueTask SetDeviceStateAsync(int devid, DeviceState state, CancellationToken ct) =>
        WriteAsync((devid, state), static async (s, a, ct) =>
            await s.Sql("UPDATE device SET status = CAST(@s AS TEXT) WHERE devid = @d").Text("@s", a.state.ToWire()).Int("@d", a.devid).ExecuteAsync(ct).ConfigureAwait(false), ct).AsValueTaskVoid();

    public ValueTask SetDeviceWeightAsync(int devid, long weight, CancellationToken ct) =>
        WriteAsync((devid, weight), static async (s, a, ct) =>
            await s.Sql("UPDATE device SET weight = @w WHERE devid = @d").Int("@w", a.weight).Int("@d", a.devid).ExecuteAsync(ct).ConfigureAwait(false), ct).AsValueTaskVoid();

    /// <summary>Monitor: stores usage figures of one device (mb_asof = database time now).</summary>
    public ValueTask UpdateDeviceUsageAsync(int devid, long mbTotal, long mbUsed, CancellationToken ct) =>
        WriteAsync((devid, mbTotal, mbUsed), static async (s, a, ct) =>
            await s.Sql("UPDATE device SET mb_total = @t, mb_used = @u, mb_asof = {NOW} WHERE devid = @d")
                .Int("@t", a.mbTotal).Int("@u", a.mbUsed).Int("@d", a.devid).ExecuteAsync(ct).ConfigureAwait(false), ct).AsValueTaskVoid();
}
