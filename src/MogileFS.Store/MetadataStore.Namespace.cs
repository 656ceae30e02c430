using MogileFS.Core.Model;

namespace MogileFS.Store;

// Domains and classes (schema.md §3.1, §3.2, §8).
public abstract partial class MetadataStore
{
    public ValueTask<List<DomainInfo>> GetDomainsAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) => await LoadDomainsAsync(s, ct).ConfigureAwait(false), ct);

    internal static async ValueTask<List<DomainInfo>> LoadDomainsAsync(StoreSession s, CancellationToken ct)
    {
        var list = new List<DomainInfo>();
        await using var r = await s.Sql("SELECT dmid, namespace FROM domain").ReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new DomainInfo(StoreSession.GetInt32(r, 0) ?? 0, s.GetText(r, 1) ?? ""));
        return list;
    }

    /// <summary>Stored class rows (the implicit default class is added by the cache, not here).</summary>
    public ValueTask<List<ClassInfo>> GetClassesAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) => await LoadClassesAsync(s, ct).ConfigureAwait(false), ct);

    internal static async ValueTask<List<ClassInfo>> LoadClassesAsync(StoreSession s, CancellationToken ct)
    {
        var list = new List<ClassInfo>();
        await using var r = await s.Sql("SELECT dmid, classid, classname, mindevcount, replpolicy, hashtype FROM class").ReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var ht = StoreSession.GetInt32(r, 5) ?? 0;
            list.Add(new ClassInfo(StoreSession.GetInt32(r, 0) ?? 0, StoreSession.GetInt32(r, 1) ?? 0, s.GetText(r, 2) ?? "",
                StoreSession.GetInt32(r, 3) ?? 0, s.GetText(r, 4), ht is 1 or 2 ? (HashType)ht : HashType.None));
        }
        return list;
    }

    /// <summary>Creates a domain with dmid = MAX(dmid)+1. A duplicate name throws a duplicate-key DbException.</summary>
    public ValueTask<int> CreateDomainAsync(string name, CancellationToken ct) =>
        WriteAsync(name, static async (s, name, ct) =>
        {
            var max = await s.Sql("SELECT MAX(dmid) FROM domain").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0;
            var dmid = (int)max + 1;
            await s.Sql("INSERT INTO domain (dmid, namespace) VALUES (@d, CAST(@n AS TEXT))").Int("@d", dmid).Text("@n", name).ExecuteAsync(ct).ConfigureAwait(false);
            return dmid;
        }, ct);

    /// <summary>Deletes a domain and its stored classid-0 row. Returns false if it did not exist.</summary>
    public ValueTask<bool> DeleteDomainAsync(int dmid, CancellationToken ct) =>
        WriteAsync(dmid, static async (s, dmid, ct) =>
        {
            int n = await s.Sql("DELETE FROM domain WHERE dmid = @d").Int("@d", dmid).ExecuteAsync(ct).ConfigureAwait(false);
            await s.Sql("DELETE FROM class WHERE dmid = @d AND classid = 0").Int("@d", dmid).ExecuteAsync(ct).ConfigureAwait(false);
            return n > 0;
        }, ct);

    public ValueTask<bool> DomainHasFilesAsync(int dmid, CancellationToken ct) =>
        ReadAsync(dmid, static async (s, dmid, ct) =>
            await s.Sql("SELECT 1 FROM file WHERE dmid = @d LIMIT 1").Int("@d", dmid).ScalarInt64Async(ct).ConfigureAwait(false) != null, ct);

    /// <summary>True if the domain has stored classes other than classid 0.</summary>
    public ValueTask<bool> DomainHasClassesAsync(int dmid, CancellationToken ct) =>
        ReadAsync(dmid, static async (s, dmid, ct) =>
            await s.Sql("SELECT 1 FROM class WHERE dmid = @d AND classid <> 0 LIMIT 1").Int("@d", dmid).ScalarInt64Async(ct).ConfigureAwait(false) != null, ct);

    public ValueTask<bool> ClassHasFilesAsync(int dmid, int classid, CancellationToken ct) =>
        ReadAsync((dmid, classid), static async (s, a, ct) =>
            await s.Sql("SELECT 1 FROM file WHERE dmid = @d AND classid = @c LIMIT 1").Int("@d", a.dmid).Int("@c", a.classid).ScalarInt64Async(ct).ConfigureAwait(false) != null, ct);

    /// <summary>
    /// Creates a class row (classid 0 for "default", else MAX(classid)+1 in the domain) with the given
    /// settings, in one transaction. A duplicate name throws a duplicate-key DbException.
    /// </summary>
    public ValueTask<int> CreateClassAsync(int dmid, string name, int minDevCount, string? replPolicy, HashType? hashType, CancellationToken ct) =>
        WriteAsync((dmid, name, minDevCount, replPolicy, hashType), static async (s, a, ct) =>
        {
            int classid;
            if (a.name == ClassInfo.DefaultName) classid = 0;
            else
            {
                var max = await s.Sql("SELECT MAX(classid) FROM class WHERE dmid = @d").Int("@d", a.dmid).ScalarInt64Async(ct).ConfigureAwait(false) ?? 0;
                classid = (int)max + 1;
            }
            await s.Sql("INSERT INTO class (dmid, classid, classname, mindevcount) VALUES (@d, @c, CAST(@n AS TEXT), @m)")
                .Int("@d", a.dmid).Int("@c", classid).Text("@n", a.name).Int("@m", a.minDevCount).ExecuteAsync(ct).ConfigureAwait(false);
            await ApplyClassSettingsAsync(s, a.dmid, classid, null, a.replPolicy, a.hashType, ct).ConfigureAwait(false);
            return classid;
        }, ct);

    /// <summary>Updates mindevcount, and replpolicy / hashtype when non-null (HashType.None stores NULL).</summary>
    public ValueTask UpdateClassAsync(int dmid, int classid, int minDevCount, string? replPolicy, HashType? hashType, CancellationToken ct) =>
        WriteAsync((dmid, classid, minDevCount, replPolicy, hashType), static async (s, a, ct) =>
        {
            await ApplyClassSettingsAsync(s, a.dmid, a.classid, a.minDevCount, a.replPolicy, a.hashType, ct).ConfigureAwait(false);
            return true;
        }, ct).AsValueTaskVoid();

    private static async ValueTask ApplyClassSettingsAsync(StoreSession s, int dmid, int classid, int? minDevCount, string? replPolicy, HashType? hashType, CancellationToken ct)
    {
        if (minDevCount is { } m)
            await s.Sql("UPDATE class SET mindevcount = @m WHERE dmid = @d AND classid = @c").Int("@m", m).Int("@d", dmid).Int("@c", classid).ExecuteAsync(ct).ConfigureAwait(false);
        if (replPolicy != null)
            await s.Sql("UPDATE class SET replpolicy = CAST(@p AS TEXT) WHERE dmid = @d AND classid = @c").Text("@p", replPolicy).Int("@d", dmid).Int("@c", classid).ExecuteAsync(ct).ConfigureAwait(false);
        if (hashType is { } h)
            await s.Sql("UPDATE class SET hashtype = @h WHERE dmid = @d AND classid = @c").Int("@h", h == HashType.None ? null : (long)h).Int("@d", dmid).Int("@c", classid).ExecuteAsync(ct).ConfigureAwait(false);
    }

    public ValueTask<bool> DeleteClassAsync(int dmid, int classid, CancellationToken ct) =>
        WriteAsync((dmid, classid), static async (s, a, ct) =>
            await s.Sql("DELETE FROM class WHERE dmid = @d AND classid = @c").Int("@d", a.dmid).Int("@c", a.classid).ExecuteAsync(ct).ConfigureAwait(false) > 0, ct);
}

internal static class ValueTaskExtensions
{
    public static async ValueTask AsValueTaskVoid<T>(this ValueTask<T> t) => await t.ConfigureAwait(false);
}
