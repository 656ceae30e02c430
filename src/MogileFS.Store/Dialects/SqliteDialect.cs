using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;

namespace MogileFS.Store.Dialects;

/// <summary>SQLite's SQL: writers are serialised by the store (BEGIN IMMEDIATE on one connection), so
/// claims need no row locks; AUTOINCREMENT's sqlite_sequence is the fid generator.</summary>
internal sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override string Now => "CAST(strftime('%s','now') AS INTEGER)";

    public override string IdsFromJson(string param) => $"SELECT value AS id FROM json_each({param})";

    /// <summary>LIKE is ASCII case-insensitive in SQLite; case_sensitive_like is a connection-wide pragma,
    /// so a case-sensitive match uses a GLOB with the same literal prefix. Ordering is bytewise.</summary>
    public override string ListKeysSql(bool caseSensitive) => caseSensitive
        ? "SELECT dkey FROM file WHERE dmid = @d AND dkey GLOB CAST(@g AS TEXT) AND dkey > CAST(@a AS TEXT) ORDER BY dkey LIMIT @n"
        : "SELECT dkey FROM file WHERE dmid = @d AND dkey LIKE CAST(@p AS TEXT) ESCAPE '\\' AND dkey > CAST(@a AS TEXT) ORDER BY dkey LIMIT @n";

    public override (string Name, string Value) ListKeysPattern(string likePattern, bool caseSensitive) =>
        caseSensitive ? ("@g", LikeToGlob(likePattern)) : ("@p", likePattern);

    private static string LikeToGlob(string like)
    {
        var sb = new StringBuilder(like.Length + 4);
        for (int i = 0; i < like.Length; i++)
        {
            char c = like[i];
            if (c == '\\' && i + 1 < like.Length) { c = like[++i]; AppendGlobLiteral(sb, c); continue; }
            if (c == '%') { sb.Append('*'); continue; }
            if (c == '_') { sb.Append('?'); continue; }
            AppendGlobLiteral(sb, c);
        }
        return sb.ToString();
    }

    private static void AppendGlobLiteral(StringBuilder sb, char c)
    {
        if (c is '*' or '?' or '[') sb.Append('[').Append(c).Append(']');
        else sb.Append(c);
    }

    public override async ValueTask RaiseFidGeneratorAsync(StoreSession s, long atLeast, CancellationToken ct)
    {
        int n = await s.Sql("UPDATE sqlite_sequence SET seq = @m WHERE name = 'tempfile' AND seq < @m").Int("@m", atLeast).ExecuteAsync(ct).ConfigureAwait(false);
        if (n == 0)
            await s.Sql("INSERT INTO sqlite_sequence (name, seq) SELECT 'tempfile', @m WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tempfile')")
                .Int("@m", atLeast).ExecuteAsync(ct).ConfigureAwait(false);
    }

    public override NamedLockBackend CreateLockBackend(MetadataStore store) => new SqliteLocks((SqliteMetadataStore)store);

    /// <summary>
    /// As 2.73: a row in table <c>lock</c> (lockid, hostname, pid, acquiredat). A row of a dead process on
    /// this host or older than an hour is taken over. Several trackers inside one process share hostname
    /// and pid, so an in-process table (per database file) decides between them first; the row then only
    /// excludes other processes.
    /// </summary>
    private sealed class SqliteLocks : NamedLockBackend
    {
        private static readonly ConcurrentDictionary<(string Db, int LockId), object> InProcess = new();
        private readonly MetadataStore _store;
        private readonly string _dbKey;
        private readonly string _hostName = System.Net.Dns.GetHostName();
        private readonly int _pid = Environment.ProcessId;

        public SqliteLocks(SqliteMetadataStore store)
        {
            _store = store;
            _dbKey = Path.GetFullPath(store.Path);
        }

        public override async ValueTask<bool> TryLockAsync(MetadataStore.NamedLock handle, CancellationToken ct)
        {
            var key = (_dbKey, handle.LockId);
            if (!InProcess.TryAdd(key, handle)) return false;
            bool got = false;
            try
            {
                got = await TryRowAsync(handle.LockId, ct).ConfigureAwait(false);
                return got;
            }
            finally
            {
                if (!got) InProcess.TryRemove(new KeyValuePair<(string, int), object>(key, handle));
            }
        }

        private async ValueTask<bool> TryRowAsync(int id, CancellationToken ct)
        {
            for (int round = 0; round < 3; round++)
            {
                var holder = await _store.WriteAsync((id, _hostName, _pid), static async (s, a, ct) =>
                {
                    int n = await s.Sql(s.Dialect.InsertIgnore("INSERT INTO lock (lockid, hostname, pid, acquiredat) VALUES (@l, CAST(@h AS TEXT), @p, {NOW})", "lockid"))
                        .Int("@l", a.id).Text("@h", a._hostName).Int("@p", a._pid).ExecuteAsync(ct).ConfigureAwait(false);
                    if (n > 0) return ((string?, long, long, long)?)null;
                    await using var r = await s.Sql("SELECT hostname, pid, acquiredat, {NOW} FROM lock WHERE lockid = @l").Int("@l", a.id).ReaderAsync(ct).ConfigureAwait(false);
                    if (!await r.ReadAsync(ct).ConfigureAwait(false)) return ((string?)"", -1L, 0L, 0L);
                    return (s.GetText(r, 0), StoreSession.GetInt64(r, 1) ?? 0, StoreSession.GetInt64(r, 2) ?? 0, StoreSession.GetInt64(r, 3) ?? 0);
                }, ct).ConfigureAwait(false);
                if (holder is null) return true;
                var (host, pid, at, now) = holder.Value;
                if (pid < 0) continue; // released meanwhile: try again at once
                bool stale = at + 3600 < now
                    || (host == _hostName && (pid == _pid || !ProcessAlive((int)pid)));
                // pid == ours: this process holds the in-process entry, so the row is a leftover.
                if (!stale) return false;
                await _store.WriteAsync((id, host, pid), static async (s, a, ct) =>
                    await s.Sql("DELETE FROM lock WHERE lockid = @l AND pid = @p AND hostname = CAST(@h AS TEXT)")
                        .Int("@l", a.id).Int("@p", a.pid).Text("@h", a.host).ExecuteAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            }
            return false;
        }

        private static bool ProcessAlive(int pid)
        {
            if (pid <= 0) return false;
            if (OperatingSystem.IsLinux()) return Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture));
            try
            {
                using var p = System.Diagnostics.Process.GetProcessById(pid);
                return !p.HasExited;
            }
            catch (ArgumentException) { return false; }
            catch (InvalidOperationException) { return false; }
        }

        public override async ValueTask ReleaseAsync(MetadataStore.NamedLock l)
        {
            try
            {
                await _store.WriteAsync((l.LockId, _hostName, _pid), static async (s, a, ct) =>
                    await s.Sql("DELETE FROM lock WHERE lockid = @l AND pid = @p AND hostname = CAST(@h AS TEXT)")
                        .Int("@l", a.LockId).Int("@p", a._pid).Text("@h", a._hostName).ExecuteAsync(ct).ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or ObjectDisposedException)
            {
                // The row stays; our pid check takes it over next time (or another process after an hour).
            }
            finally
            {
                InProcess.TryRemove(new KeyValuePair<(string, int), object>((_dbKey, l.LockId), l));
            }
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
