using System.Globalization;
using System.Runtime.CompilerServices;
using MogileFS.Client.Protocol;
using MogileFS.Client.Tracker;

namespace MogileFS.Client;

/// <summary>
/// Administration of a MogileFS installation: domains, classes, hosts, devices, server
/// settings, read slaves, fsck and rebalance (what MogileFS::Admin and mogadm do). Thread-safe.
/// </summary>
public sealed class MogileFSAdmin : IDisposable
{
    private readonly TrackerBackend _backend;
    private readonly bool _ownsBackend;

    /// <summary>Creates an admin client with its own tracker connections (no domain needed).</summary>
    public MogileFSAdmin(MogileFSClientOptions options) : this(new TrackerBackend(options), true) { }

    /// <summary>Creates an admin client sharing <paramref name="backend"/>.</summary>
    public MogileFSAdmin(TrackerBackend backend) : this(backend, false) { }

    private MogileFSAdmin(TrackerBackend backend, bool owns) { _backend = backend; _ownsBackend = owns; }

    /// <summary>The tracker connection pool.</summary>
    public TrackerBackend Backend => _backend;

    private static KeyValuePair<string, string?> P(string k, string? v) => new(k, v);
    private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

    private Task<TrackerResponse> Read(string cmd, CancellationToken ct, params KeyValuePair<string, string?>[] args)
        => _backend.SendAsync(cmd, args, RequestSafety.Idempotent, null, ct);

    private Task<TrackerResponse> Write(string cmd, CancellationToken ct, params KeyValuePair<string, string?>[] args)
        => _backend.SendAsync(cmd, args, RequestSafety.NotIdempotent, null, ct);

    // ------------------------------------------------------------ domains and classes

    /// <summary>All domains with their classes (including the implicit <c>default</c>).</summary>
    public async Task<IReadOnlyDictionary<string, DomainInfo>> GetDomainsAsync(CancellationToken cancellationToken = default)
    {
        var r = await Read("get_domains", cancellationToken).ConfigureAwait(false);
        var result = new SortedDictionary<string, DomainInfo>(StringComparer.Ordinal);
        long n = r.GetInt64("domains");
        for (int i = 1; i <= n; i++)
        {
            var name = r.Get($"domain{i}") ?? "";
            var classes = new SortedDictionary<string, ClassInfo>(StringComparer.Ordinal);
            long cn = r.GetInt64($"domain{i}classes");
            for (int j = 1; j <= cn; j++)
            {
                var p = $"domain{i}class{j}";
                var cname = r.Get(p + "name") ?? "";
                classes[cname] = new ClassInfo(cname, (int)r.GetInt64(p + "mindevcount"),
                    r.Get(p + "replpolicy") ?? "", r.Get(p + "hashtype") ?? "");
            }
            result[name] = new DomainInfo(name, classes);
        }
        return result;
    }

    /// <summary>Creates a domain.</summary>
    public Task CreateDomainAsync(string domain, CancellationToken cancellationToken = default)
        => Write("create_domain", cancellationToken, P("domain", domain));

    /// <summary>Deletes an empty domain (no files, no classes besides default).</summary>
    public Task DeleteDomainAsync(string domain, CancellationToken cancellationToken = default)
        => Write("delete_domain", cancellationToken, P("domain", domain));

    /// <summary>Creates a class. <paramref name="replPolicy"/>/<paramref name="hashType"/> <see langword="null"/> = not sent.</summary>
    public Task CreateClassAsync(string domain, string @class, int minDevCount, string? replPolicy = null,
        string? hashType = null, CancellationToken cancellationToken = default)
        => Write("create_class", cancellationToken, P("domain", domain), P("class", @class),
            P("mindevcount", N(minDevCount)), P("replpolicy", replPolicy), P("hashtype", hashType));

    /// <summary>Updates a class (mindevcount is always set; an empty policy keeps the stored one).</summary>
    public Task UpdateClassAsync(string domain, string @class, int minDevCount, string? replPolicy = null,
        string? hashType = null, CancellationToken cancellationToken = default)
        => Write("update_class", cancellationToken, P("domain", domain), P("class", @class),
            P("mindevcount", N(minDevCount)), P("replpolicy", replPolicy), P("hashtype", hashType));

    /// <summary>Deletes a class that has no files.</summary>
    public Task DeleteClassAsync(string domain, string @class, CancellationToken cancellationToken = default)
        => Write("delete_class", cancellationToken, P("domain", domain), P("class", @class));

    // ------------------------------------------------------------ hosts and devices

    /// <summary>All hosts, or only <paramref name="hostId"/>.</summary>
    public async Task<IReadOnlyList<HostInfo>> GetHostsAsync(int? hostId = null, CancellationToken cancellationToken = default)
    {
        var r = await Read("get_hosts", cancellationToken, P("hostid", hostId is { } h ? N(h) : null)).ConfigureAwait(false);
        var list = new List<HostInfo>();
        long n = r.GetInt64("hosts");
        for (int i = 1; i <= n; i++)
        {
            string F(string f) => r.Get($"host{i}_{f}") ?? "";
            list.Add(new HostInfo((int)r.GetInt64($"host{i}_hostid"), F("hostname"), F("status"), F("hostip"),
                (int)r.GetInt64($"host{i}_http_port"), (int?)r.GetNullableInt64($"host{i}_http_get_port"),
                NullIfEmpty(F("altip")), NullIfEmpty(F("altmask"))));
        }
        list.Sort((a, b) => a.HostId.CompareTo(b.HostId));
        return list;
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private static KeyValuePair<string, string?>[] HostArgs(string host, HostSettings s) =>
    [
        P("host", host), P("ip", s.Ip), P("port", s.Port is { } p ? N(p) : null),
        P("getport", s.GetPort is { } g ? N(g) : null), P("altip", s.AltIp), P("altmask", s.AltMask),
        P("status", s.Status),
    ];

    /// <summary>Registers a host (status <c>down</c> unless given).</summary>
    public Task CreateHostAsync(string host, HostSettings settings, CancellationToken cancellationToken = default)
        => Write("create_host", cancellationToken, HostArgs(host, settings));

    /// <summary>Changes the fields of <paramref name="settings"/> that are not <see langword="null"/>.</summary>
    public Task UpdateHostAsync(string host, HostSettings settings, CancellationToken cancellationToken = default)
        => Write("update_host", cancellationToken, HostArgs(host, settings));

    /// <summary>Deletes a host that has no devices.</summary>
    public Task DeleteHostAsync(string host, CancellationToken cancellationToken = default)
        => Write("delete_host", cancellationToken, P("host", host));

    /// <summary>All devices, or only <paramref name="devId"/>.</summary>
    public async Task<IReadOnlyList<DeviceInfo>> GetDevicesAsync(int? devId = null, CancellationToken cancellationToken = default)
    {
        var r = await Read("get_devices", cancellationToken, P("devid", devId is { } d ? N(d) : null)).ConfigureAwait(false);
        var list = new List<DeviceInfo>();
        long n = r.GetInt64("devices");
        for (int i = 1; i <= n; i++)
        {
            string pre = $"dev{i}_";
            list.Add(new DeviceInfo((int)r.GetInt64(pre + "devid"), (int)r.GetInt64(pre + "hostid"), r.Get(pre + "status") ?? "",
                (int)r.GetInt64(pre + "weight"), r.GetInt64(pre + "mb_total"), r.GetInt64(pre + "mb_used"),
                r.GetNullableInt64(pre + "mb_free"), r.Get(pre + "observed_state") ?? "", r.Get(pre + "utilization") ?? "",
                r.Get(pre + "reject_bad_md5") ?? ""));
        }
        list.Sort((a, b) => a.DevId.CompareTo(b.DevId));
        return list;
    }

    /// <summary>Registers device <paramref name="devId"/> on <paramref name="hostName"/>.</summary>
    public Task CreateDeviceAsync(string hostName, int devId, string state = "alive", CancellationToken cancellationToken = default)
        => Write("create_device", cancellationToken, P("hostname", hostName), P("devid", N(devId)), P("state", state));

    /// <summary>Sets a device's state (<c>alive</c>, <c>readonly</c>, <c>drain</c>, <c>down</c>, <c>dead</c>).</summary>
    public Task SetDeviceStateAsync(string hostName, int devId, string state, CancellationToken cancellationToken = default)
        => Write("set_state", cancellationToken, P("host", hostName), P("device", N(devId)), P("state", state));

    /// <summary>Sets a device's weight.</summary>
    public Task SetDeviceWeightAsync(string hostName, int devId, int weight, CancellationToken cancellationToken = default)
        => Write("set_weight", cancellationToken, P("host", hostName), P("device", N(devId)), P("weight", N(weight)));

    // ------------------------------------------------------------ files

    /// <summary>Up to <paramref name="count"/> files with fid greater than <paramref name="fromFid"/>, ascending.</summary>
    public async Task<IReadOnlyList<FidInfo>> ListFidsAsync(long fromFid, int count, CancellationToken cancellationToken = default)
    {
        var r = await Read("list_fids", cancellationToken, P("from", N(fromFid)), P("to", N(count))).ConfigureAwait(false);
        var list = new List<FidInfo>();
        long n = r.GetInt64("fid_count");
        for (int i = 1; i <= n; i++)
        {
            string pre = $"fid_{i}_";
            list.Add(new FidInfo(r.GetInt64(pre + "fid"), r.Get(pre + "domain") ?? "", r.Get(pre + "class") ?? "",
                r.Get(pre + "key") ?? "", r.GetInt64(pre + "length"), (int)r.GetInt64(pre + "devcount")));
        }
        list.Sort((a, b) => a.Fid.CompareTo(b.Fid));
        return list;
    }

    /// <summary>Every file with fid greater than <paramref name="fromFid"/>, in pages of 500.</summary>
    public async IAsyncEnumerable<FidInfo> EnumerateFidsAsync(long fromFid = 0,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var page = await ListFidsAsync(fromFid, 500, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0) yield break;
            foreach (var f in page) yield return f;
            fromFid = page[^1].Fid;
        }
    }

    /// <summary>Makes every waiting replication due now; returns how many were waiting.</summary>
    public async Task<long> ReplicateNowAsync(CancellationToken cancellationToken = default)
        => (await Write("replicate_now", cancellationToken).ConfigureAwait(false)).GetInt64("count");

    /// <summary>Makes the tracker reload its metadata caches.</summary>
    public Task ClearCacheAsync(CancellationToken cancellationToken = default)
        => Read("clear_cache", cancellationToken, P("all", "1"));

    // ------------------------------------------------------------ settings and slaves

    /// <summary>All visible server settings.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetServerSettingsAsync(CancellationToken cancellationToken = default)
    {
        var r = await Read("server_settings", cancellationToken).ConfigureAwait(false);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        long n = r.GetInt64("key_count");
        for (int i = 1; i <= n; i++)
            if (r.Get($"key_{i}") is { } k) result[k] = r.Get($"value_{i}") ?? "";
        return result;
    }

    /// <summary>One server setting (empty string when unset).</summary>
    public async Task<string> GetServerSettingAsync(string key, CancellationToken cancellationToken = default)
        => (await Read("server_setting", cancellationToken, P("key", key)).ConfigureAwait(false)).Get("value") ?? "";

    /// <summary>Sets (or, with <see langword="null"/>, deletes where the setting allows it) a server setting.</summary>
    public Task SetServerSettingAsync(string key, string? value, CancellationToken cancellationToken = default)
        => Write("set_server_setting", cancellationToken, P("key", key), P("value", value));

    private async Task<Dictionary<string, string>> SlaveKeysAsync(CancellationToken ct)
    {
        var raw = await GetServerSettingAsync("slave_keys", ct).ConfigureAwait(false);
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in raw.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = item.Split('=', 2);
            keys[parts[0]] = parts.Length > 1 && parts[1].Length > 0 ? parts[1] : "1";
        }
        return keys;
    }

    private Task SetSlaveKeysAsync(Dictionary<string, string> keys, CancellationToken ct)
        => SetServerSettingAsync("slave_keys",
            string.Join(',', keys.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => k.Value == "1" ? k.Key : $"{k.Key}={k.Value}")), ct);

    /// <summary>The configured read slaves.</summary>
    public async Task<IReadOnlyList<SlaveInfo>> ListSlavesAsync(CancellationToken cancellationToken = default)
    {
        var list = new List<SlaveInfo>();
        foreach (var key in (await SlaveKeysAsync(cancellationToken).ConfigureAwait(false)).Keys.Order(StringComparer.Ordinal))
        {
            var v = (await GetServerSettingAsync("slave_" + key, cancellationToken).ConfigureAwait(false)).Split('|');
            list.Add(new SlaveInfo(key, v.ElementAtOrDefault(0) ?? "", v.ElementAtOrDefault(1) ?? "", v.ElementAtOrDefault(2) ?? ""));
        }
        return list;
    }

    /// <summary>Adds a read slave. Returns false when the key already exists.</summary>
    public async Task<bool> AddSlaveAsync(string key, string? dsn, string? username, string? password, CancellationToken cancellationToken = default)
    {
        var keys = await SlaveKeysAsync(cancellationToken).ConfigureAwait(false);
        if (keys.ContainsKey(key)) return false;
        await SetServerSettingAsync("slave_" + key, $"{dsn}|{username}|{password}", cancellationToken).ConfigureAwait(false);
        keys[key] = "1";
        await SetSlaveKeysAsync(keys, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Changes the given fields of a read slave. Returns false when the key does not exist.</summary>
    public async Task<bool> ModifySlaveAsync(string key, string? dsn, string? username, string? password, CancellationToken cancellationToken = default)
    {
        var keys = await SlaveKeysAsync(cancellationToken).ConfigureAwait(false);
        if (!keys.ContainsKey(key)) return false;
        var v = (await GetServerSettingAsync("slave_" + key, cancellationToken).ConfigureAwait(false)).Split('|');
        var value = $"{dsn ?? v.ElementAtOrDefault(0)}|{username ?? v.ElementAtOrDefault(1)}|{password ?? v.ElementAtOrDefault(2)}";
        await SetServerSettingAsync("slave_" + key, value, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Removes a read slave. Returns false when the key does not exist.</summary>
    public async Task<bool> DeleteSlaveAsync(string key, CancellationToken cancellationToken = default)
    {
        var keys = await SlaveKeysAsync(cancellationToken).ConfigureAwait(false);
        if (!keys.Remove(key)) return false;
        await SetServerSettingAsync("slave_" + key, null, cancellationToken).ConfigureAwait(false);
        await SetSlaveKeysAsync(keys, cancellationToken).ConfigureAwait(false);
        return true;
    }

    // ------------------------------------------------------------ fsck

    /// <summary>Starts (or resumes) the background file-system check.</summary>
    public Task FsckStartAsync(CancellationToken cancellationToken = default) => Write("fsck_start", cancellationToken);
    /// <summary>Stops (pauses) fsck.</summary>
    public Task FsckStopAsync(CancellationToken cancellationToken = default) => Write("fsck_stop", cancellationToken);
    /// <summary>Resets fsck's position (and its policy-only option).</summary>
    public Task FsckResetAsync(bool policyOnly = false, long? startPos = null, CancellationToken cancellationToken = default)
        => Write("fsck_reset", cancellationToken, P("policy_only", policyOnly ? "1" : null),
            P("startpos", startPos is { } s ? N(s) : null));
    /// <summary>Clears the fsck log.</summary>
    public Task FsckClearLogAsync(CancellationToken cancellationToken = default) => Write("fsck_clearlog", cancellationToken);
    /// <summary>fsck status pairs (<c>running</c>, <c>host</c>, <c>max_fid_checked</c>, <c>num_&lt;CODE&gt;</c>, ...).</summary>
    public async Task<IReadOnlyDictionary<string, string>> FsckStatusAsync(CancellationToken cancellationToken = default)
        => await Read("fsck_status", cancellationToken).ConfigureAwait(false);

    /// <summary>Up to 100 fsck log rows after <paramref name="afterLogId"/>.</summary>
    public async Task<IReadOnlyList<FsckLogRow>> FsckLogRowsAsync(long afterLogId, CancellationToken cancellationToken = default)
    {
        var r = await Read("fsck_getlog", cancellationToken, P("after_logid", N(afterLogId))).ConfigureAwait(false);
        var list = new List<FsckLogRow>();
        long n = r.GetInt64("row_count");
        for (int i = 1; i <= n; i++)
        {
            string pre = $"row_{i}_";
            list.Add(new FsckLogRow(r.GetInt64(pre + "logid"), r.GetInt64(pre + "utime"), r.GetInt64(pre + "fid"),
                r.Get(pre + "evcode") ?? "", (int?)r.GetNullableInt64(pre + "devid")));
        }
        return list;
    }

    // ------------------------------------------------------------ rebalance

    /// <summary>Sets the rebalance policy (<see langword="null"/> clears it).</summary>
    public Task RebalanceSetPolicyAsync(string? policy, CancellationToken cancellationToken = default)
        => Write("rebalance_set_policy", cancellationToken, P("policy", policy));
    /// <summary>Which devices the policy selects: (sources, destinations).</summary>
    public async Task<(IReadOnlyList<string> Sources, IReadOnlyList<string> Destinations)> RebalanceTestAsync(CancellationToken cancellationToken = default)
    {
        var r = await Read("rebalance_test", cancellationToken).ConfigureAwait(false);
        static string[] Split(string? s) => (s ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        return (Split(r.Get("sdevs")), Split(r.Get("ddevs")));
    }
    /// <summary>Starts a rebalance; returns the state string.</summary>
    public async Task<string> RebalanceStartAsync(CancellationToken cancellationToken = default)
        => (await Write("rebalance_start", cancellationToken).ConfigureAwait(false)).Get("state") ?? "";
    /// <summary>The rebalance state string (<c>key=value</c> items separated by spaces).</summary>
    public async Task<string> RebalanceStatusAsync(CancellationToken cancellationToken = default)
        => (await Read("rebalance_status", cancellationToken).ConfigureAwait(false)).Get("state") ?? "";
    /// <summary>Asks a running rebalance to stop.</summary>
    public Task RebalanceStopAsync(CancellationToken cancellationToken = default) => Write("rebalance_stop", cancellationToken);
    /// <summary>Forgets the saved rebalance state.</summary>
    public Task RebalanceResetAsync(CancellationToken cancellationToken = default) => Write("rebalance_reset", cancellationToken);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsBackend) _backend.Dispose();
    }
}
