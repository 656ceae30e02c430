using System.Collections.Frozen;
using MogileFS.Core.Model;
using MogileFS.Store;

namespace MogileFS.Tracker.Metadata;

/// <summary>
/// An immutable copy of domains, classes, hosts, devices and server settings, read from the
/// database in one go. Requests read <see cref="MetadataCache.Current"/> once and use it; a reload
/// swaps in a new snapshot atomically. Lookups are byte-exact (names are byte strings).
/// </summary>
public sealed class MetadataSnapshot
{
    private readonly FrozenDictionary<string, DomainInfo> _domainsByName;
    private readonly FrozenDictionary<int, DomainInfo> _domainsById;
    private readonly FrozenDictionary<(int, string), ClassInfo> _classesByName;
    private readonly FrozenDictionary<(int, int), ClassInfo> _classesById;
    private readonly FrozenDictionary<int, ClassInfo[]> _classesByDomain;
    private readonly FrozenDictionary<int, HostInfo> _hostsById;
    private readonly FrozenDictionary<string, HostInfo> _hostsByName;
    private readonly FrozenDictionary<int, DeviceInfo> _devicesById;
    private readonly FrozenDictionary<string, string> _settings;

    public MetadataSnapshot(MetadataRows rows, int defaultMinDevCount, long version, DateTimeOffset loadedAt)
    {
        Version = version;
        LoadedAt = loadedAt;
        DefaultMinDevCount = defaultMinDevCount;
        Domains = rows.Domains.OrderBy(d => d.Id).ToArray();
        _domainsByName = Dedup(Domains, d => d.Name).ToFrozenDictionary(StringComparer.Ordinal);
        _domainsById = Dedup(Domains, d => d.Id).ToFrozenDictionary();

        var classes = new List<ClassInfo>(rows.Classes.Count + Domains.Count);
        classes.AddRange(rows.Classes.Where(c => _domainsById.ContainsKey(c.DomainId)));
        foreach (var d in Domains)
        {
            if (!rows.Classes.Any(c => c.DomainId == d.Id && c.ClassId == 0))
                classes.Add(new ClassInfo(d.Id, 0, ClassInfo.DefaultName, defaultMinDevCount, null, HashType.None, IsImplicit: true));
        }
        _classesByName = Dedup(classes, c => (c.DomainId, c.Name)).ToFrozenDictionary();
        _classesById = Dedup(classes, c => (c.DomainId, c.ClassId)).ToFrozenDictionary();
        _classesByDomain = classes.GroupBy(c => c.DomainId).ToFrozenDictionary(g => g.Key, g => g.OrderBy(c => c.ClassId).ToArray());

        Hosts = rows.Hosts.OrderBy(h => h.Id).ToArray();
        _hostsById = Dedup(Hosts, h => h.Id).ToFrozenDictionary();
        _hostsByName = Dedup(Hosts, h => h.Name).ToFrozenDictionary(StringComparer.Ordinal);
        Devices = rows.Devices.OrderBy(d => d.Id).ToArray();
        _devicesById = Dedup(Devices, d => d.Id).ToFrozenDictionary();
        _settings = rows.Settings.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static Dictionary<TKey, T> Dedup<TKey, T>(IEnumerable<T> items, Func<T, TKey> key) where TKey : notnull
    {
        var d = new Dictionary<TKey, T>();
        foreach (var i in items) d.TryAdd(key(i), i);
        return d;
    }

    /// <summary>Increases with every reload.</summary>
    public long Version { get; }
    public DateTimeOffset LoadedAt { get; }
    public int DefaultMinDevCount { get; }

    public IReadOnlyList<DomainInfo> Domains { get; }
    public IReadOnlyList<HostInfo> Hosts { get; }
    public IReadOnlyList<DeviceInfo> Devices { get; }
    public IReadOnlyDictionary<string, string> Settings => _settings;

    public bool TryGetDomain(string name, out DomainInfo domain) => _domainsByName.TryGetValue(name, out domain!);
    public bool TryGetDomain(int dmid, out DomainInfo domain) => _domainsById.TryGetValue(dmid, out domain!);

    /// <summary>Class by name in a domain; "default" always exists (implicit when not stored).</summary>
    public bool TryGetClass(int dmid, string name, out ClassInfo cls) => _classesByName.TryGetValue((dmid, name), out cls!);

    public bool TryGetClass(int dmid, int classid, out ClassInfo cls) => _classesById.TryGetValue((dmid, classid), out cls!);

    /// <summary>Class name for display: the class's name, "default" for classid 0, else null (unknown class).</summary>
    public string? ClassName(int dmid, int classid) =>
        _classesById.TryGetValue((dmid, classid), out var c) ? c.Name : classid == 0 ? ClassInfo.DefaultName : null;

    /// <summary>All classes of a domain including the implicit default, ordered by classid.</summary>
    public IReadOnlyList<ClassInfo> ClassesOf(int dmid) => _classesByDomain.TryGetValue(dmid, out var a) ? a : Array.Empty<ClassInfo>();

    public bool TryGetHost(int hostid, out HostInfo host) => _hostsById.TryGetValue(hostid, out host!);
    public bool TryGetHost(string name, out HostInfo host) => _hostsByName.TryGetValue(name, out host!);
    public bool TryGetDevice(int devid, out DeviceInfo device) => _devicesById.TryGetValue(devid, out device!);

    /// <summary>A server setting (null when absent).</summary>
    public string? Setting(string name) => _settings.TryGetValue(name, out var v) ? v : null;

    /// <summary>A boolean setting ("1" = on), e.g. skip_mkcol, skip_devcount, case_sensitive_list_keys.</summary>
    public bool SettingIsOn(string name) => MogileFS.Core.Protocol.Perl.IsTrue(Setting(name));

    public static MetadataSnapshot Empty(int defaultMinDevCount) =>
        new(new MetadataRows(new(), new(), new(), new(), new()), defaultMinDevCount, 0, DateTimeOffset.MinValue);
}
