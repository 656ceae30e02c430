using System.Data;
using System.Data.Common;

namespace MogileFS.Store;

/// <summary>
/// One leased database connection with its prepared-statement cache and the current transaction.
/// Valid only inside the <c>ReadAsync</c>/<c>WriteAsync</c> body that received it.
/// </summary>
public sealed class StoreSession : IAsyncDisposable
{
    private readonly Dictionary<string, StoreCommand> _commands = new(StringComparer.Ordinal);

    internal StoreSession(MetadataStore store, DbConnection connection)
    {
        Store = store;
        Connection = connection;
    }

    public MetadataStore Store { get; }
    public DbConnection Connection { get; }
    public DbTransaction? Transaction { get; private set; }

    /// <summary>The pool generation this session was opened in (see <see cref="SessionPool.Invalidate"/>).</summary>
    internal int Generation { get; set; }

    /// <summary>A write transaction begun by the store directly on the connection (SQLite), without a
    /// <see cref="Transaction"/> object.</summary>
    internal bool RawTransaction { get; set; }
    public DatabaseKind Kind => Store.Kind;

    private List<(Func<StoreSession, string, ValueTask> Action, string Arg)>? _afterWrite;

    /// <summary>Runs <paramref name="action"/> on this connection once the current write transaction has
    /// committed or rolled back (e.g. releasing a MySQL named lock taken inside it).</summary>
    internal void AfterWrite(Func<StoreSession, string, ValueTask> action, string arg) => (_afterWrite ??= []).Add((action, arg));

    /// <summary>False when an action failed: the caller then drops (closes) the connection, and with it
    /// whatever the action was to undo (a session lock).</summary>
    internal async ValueTask<bool> RunAfterWriteAsync()
    {
        if (_afterWrite is not { Count: > 0 } list) return true;
        _afterWrite = null;
        bool ok = true;
        foreach (var (action, arg) in list)
        {
            try { await action(this, arg).ConfigureAwait(false); }
            catch (Exception e) when (e is DbException or InvalidOperationException or IOException or OperationCanceledException) { ok = false; }
        }
        return ok;
    }

    /// <summary>Native resources a store keeps with this connection (SQLite: statements prepared with
    /// SQLitePCLRaw); disposed before the connection closes.</summary>
    internal IDisposable? Native { get; set; }

    /// <summary>The store's SQL generator.</summary>
    internal Dialects.SqlDialect Dialect => Store.Dialect;

    /// <summary>A cached, prepared command for <paramref name="sql"/> (dialect tokens replaced), bound to the current transaction.
    /// Parameters keep their objects between uses; set every parameter on every use.</summary>
    public StoreCommand Sql(string sql)
    {
        if (!_commands.TryGetValue(sql, out var c))
        {
            var cmd = Connection.CreateCommand();
            cmd.CommandText = Store.RewriteSql(sql);
            c = new StoreCommand(this, cmd);
            if (_commands.Count < 512) _commands[sql] = c;
        }
        c.Command.Transaction = Transaction;
        return c;
    }

    /// <summary>Reads a byte-string column (null for NULL).</summary>
    public string? GetText(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : Store.ReadText(r, ordinal);

    public static long? GetInt64(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : Convert.ToInt64(r.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);
    public static int? GetInt32(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : Convert.ToInt32(r.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    internal async ValueTask BeginAsync(CancellationToken ct)
    {
        Transaction = await Connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);
    }

    internal async ValueTask CommitAsync(CancellationToken ct)
    {
        var t = Transaction;
        Transaction = null;
        if (t != null)
        {
            await t.CommitAsync(ct).ConfigureAwait(false);
            await t.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal async ValueTask<bool> TryRollbackAsync()
    {
        var t = Transaction;
        Transaction = null;
        if (t == null) return IsHealthy();
        try
        {
            await t.RollbackAsync().ConfigureAwait(false);
            await t.DisposeAsync().ConfigureAwait(false);
            return IsHealthy();
        }
        catch
        {
            return false;
        }
    }

    internal bool IsHealthy() => Connection.State == ConnectionState.Open;

    public async ValueTask DisposeAsync()
    {
        Native?.Dispose();
        Native = null;
        foreach (var c in _commands.Values) await c.Command.DisposeAsync().ConfigureAwait(false);
        _commands.Clear();
        await Connection.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A cached command with fluent parameter binding (parameter objects are reused).</summary>
public sealed class StoreCommand
{
    private readonly StoreSession _session;

    internal StoreCommand(StoreSession session, DbCommand command)
    {
        _session = session;
        Command = command;
    }

    public DbCommand Command { get; }

    private DbParameter Param(string name, DbType type)
    {
        var ps = Command.Parameters;
        for (int i = 0; i < ps.Count; i++)
        {
            var existing = ps[i];
            if (existing.ParameterName == name)
            {
                existing.DbType = type;
                return existing;
            }
        }
        var p = Command.CreateParameter();
        p.ParameterName = name;
        p.DbType = type;
        ps.Add(p);
        return p;
    }

    /// <summary>Binds a byte string (write it in SQL as <c>CAST(@name AS TEXT)</c>); null = SQL NULL.</summary>
    public StoreCommand Text(string name, string? value)
    {
        var p = Param(name, DbType.String);
        _session.Store.BindText(p, value);
        return this;
    }

    public StoreCommand Int(string name, long value)
    {
        Param(name, DbType.Int64).Value = value;
        return this;
    }

    public StoreCommand Int(string name, long? value)
    {
        Param(name, DbType.Int64).Value = value is { } v ? v : DBNull.Value;
        return this;
    }

    public StoreCommand Blob(string name, byte[]? value)
    {
        Param(name, DbType.Binary).Value = (object?)value ?? DBNull.Value;
        return this;
    }

    public Task<int> ExecuteAsync(CancellationToken ct) => Command.ExecuteNonQueryAsync(ct);

    public async Task<long?> ScalarInt64Async(CancellationToken ct)
    {
        var v = await Command.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return v is null or DBNull ? null : Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>First column of the first row as a byte string (null when no row or NULL).</summary>
    public async Task<string?> ScalarTextAsync(CancellationToken ct)
    {
        await using var r = await Command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
        return _session.GetText(r, 0);
    }

    public Task<DbDataReader> ReaderAsync(CancellationToken ct) => Command.ExecuteReaderAsync(ct);
}
