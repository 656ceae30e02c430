using System.Collections.Concurrent;
using System.Data.Common;

namespace MogileFS.Store.Dialects;

/// <summary>
/// Named locks held by the database session of one dedicated connection per store (PostgreSQL advisory
/// locks, MySQL GET_LOCK): many locks at once, one attempt at a time. A tracker that dies loses its
/// connection and with it its locks; a connection that breaks is reopened once per attempt and the
/// locks it held count as lost.
/// </summary>
internal abstract class ConnectionLocks : NamedLockBackend
{
    private readonly MetadataStore _store;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<int, MetadataStore.NamedLock> _held = new();
    private DbConnection? _conn;
    private volatile bool _disposed;

    protected ConnectionLocks(MetadataStore store) => _store = store;

    /// <summary>One attempt on the lock connection.</summary>
    protected abstract ValueTask<bool> TakeAsync(DbConnection c, MetadataStore.NamedLock handle, CancellationToken ct);

    protected abstract ValueTask GiveBackAsync(DbConnection c, MetadataStore.NamedLock handle);

    /// <summary>Drops every lock of the session before the connection is closed (it may go back to a driver pool).</summary>
    protected abstract string ReleaseAllSql { get; }

    public override async ValueTask<bool> TryLockAsync(MetadataStore.NamedLock handle, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    var c = await ConnectionAsync(ct).ConfigureAwait(false);
                    // Session locks are re-entrant within a session: refuse a second holder here.
                    if (_held.ContainsKey(handle.LockId)) return false;
                    if (!await TakeAsync(c, handle, ct).ConfigureAwait(false)) return false;
                    _held[handle.LockId] = handle;
                    return true;
                }
                catch (Exception e) when (attempt == 0 && e is DbException or InvalidOperationException or IOException)
                {
                    await DropConnectionAsync().ConfigureAwait(false); // reconnect once
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<DbConnection> ConnectionAsync(CancellationToken ct)
    {
        if (_conn is { State: System.Data.ConnectionState.Open } c) return c;
        await DropConnectionAsync().ConfigureAwait(false);
        _conn = await _store.OpenConnectionAsync(ct).ConfigureAwait(false);
        return _conn;
    }

    private async ValueTask DropConnectionAsync()
    {
        var c = _conn;
        _conn = null;
        _held.Clear(); // locks held on a lost connection are gone with it
        if (c == null) return;
        if (c.State == System.Data.ConnectionState.Open)
        {
            try
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = ReleaseAllSql;
                await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception) { /* broken: the server ends the session and its locks */ }
        }
        try { await c.DisposeAsync().ConfigureAwait(false); } catch (Exception) { /* already broken */ }
    }

    public override async ValueTask ReleaseAsync(MetadataStore.NamedLock l)
    {
        if (!_held.TryRemove(new KeyValuePair<int, MetadataStore.NamedLock>(l.LockId, l))) return;
        if (_disposed) return;
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_conn is { State: System.Data.ConnectionState.Open } c)
                await GiveBackAsync(c, l).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or IOException)
        {
            await DropConnectionAsync().ConfigureAwait(false); // the locks went with it
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _disposed = true;
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _held.Clear();
            await DropConnectionAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs a scalar with positional parameters @p0, @p1, ...</summary>
    protected static async ValueTask<object?> ScalarAsync(DbConnection c, string sql, CancellationToken ct, params object[] args)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        for (int i = 0; i < args.Length; i++)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            p.Value = args[i];
            cmd.Parameters.Add(p);
        }
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }
}
