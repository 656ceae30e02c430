using System.Data.Common;
using MogileFS.Core.Protocol;

namespace MogileFS.Store;

/// <summary>Tuning of a <see cref="MetadataStore"/>.</summary>
public sealed class StoreOptions
{
    /// <summary>SQLite: read connections kept open (writes use one more, serialised). PostgreSQL: pool size for everything.</summary>
    public int MaxConnections { get; set; } = 16;

    /// <summary>How often a write that hit SQLITE_BUSY/LOCKED or a PostgreSQL deadlock/serialisation failure is retried.</summary>
    public int TransientRetries { get; set; } = 2;

    /// <summary>SQLite busy timeout (ms) of reads. Writes wait for locks up to <see cref="WriteTimeout"/> instead.</summary>
    public int SqliteBusyTimeoutMs { get; set; } = 1000;

    /// <summary>
    /// The most a write may wait, in all: for the connection that writes (SQLite has one, shared by every
    /// request and job of the tracker), for the database's write lock (another process holding it) and
    /// for retries. Then it fails (the client gets an error) instead of queueing further. 3 s: what
    /// MogileFS clients wait for a reply by default. Zero or negative: no bound.
    /// </summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a request keeps reconnecting when the database went away or changed role (a PostgreSQL
    /// failover, a restart) before it fails: reads are re-run, writes are re-run only when they failed
    /// before their COMMIT was sent (docs/ha-database.md). 3 s: what MogileFS clients wait for a reply by
    /// default. Zero: no retry.
    /// </summary>
    public TimeSpan ReconnectWait { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>
/// The metadata store: one class, one concrete subclass per database (<see cref="SqliteMetadataStore"/>,
/// <see cref="PostgresMetadataStore"/>). The SQL is written once, in the partial files per area
/// (<c>MetadataStore.Namespace.cs</c>, <c>.Cluster.cs</c>, <c>.Settings.cs</c>, <c>.Files.cs</c>, ...);
/// the subclasses only supply connections, error classification and byte-string binding, and their
/// <see cref="Dialects.SqlDialect"/> the SQL that differs (<c>{NOW}</c> = database unix time as an integer,
/// insert-if-absent, upserts, queue claims, named locks).
///
/// How to write a store method (any partial):
/// <code>
/// public ValueTask&lt;long?&gt; FindFidAsync(int dmid, string key, CancellationToken ct) =>
///     ReadAsync((dmid, key), static async (s, a, ct) =>
///         await s.Sql("SELECT fid FROM file WHERE dmid = @d AND dkey = CAST(@k AS TEXT)")
///                .Int("@d", a.dmid).Text("@k", a.key).ScalarInt64Async(ct), ct);
/// </code>
/// Rules: byte-string parameters are bound with <see cref="StoreCommand.Text"/> and written in SQL as
/// <c>CAST(@p AS TEXT)</c> (SQLite then stores non-UTF-8 bytes exactly as the Perl tracker did);
/// byte-string columns are read with <see cref="StoreSession.GetText"/>. Writes go through
/// <see cref="WriteAsync{T}"/>: one transaction, retried as a whole on busy/deadlock, so the body must
/// be idempotent up to its commit and must not do network I/O. Insert-if-absent and upserts are written
/// with <c>s.Dialect.InsertIgnore</c>/<c>Upsert</c>. Duplicate keys surface as
/// <see cref="DbException"/>; test them with <see cref="IsDuplicateKey"/>.
/// </summary>
public abstract partial class MetadataStore : IAsyncDisposable
{
    protected MetadataStore(StoreOptions? options)
    {
        Options = options ?? new StoreOptions();
    }

    public StoreOptions Options { get; }

    public abstract DatabaseKind Kind { get; }

    /// <summary>Opens (lazily connects) the store named by a DBI DSN.</summary>
    public static MetadataStore Open(DatabaseDsn dsn, string? user, string? password, StoreOptions? options = null) =>
        dsn.Kind switch
        {
            DatabaseKind.Sqlite => new SqliteMetadataStore(dsn.Database ?? throw new DatabaseDsnException("SQLite DSN without a database file"), options),
            DatabaseKind.Postgres => new PostgresMetadataStore(dsn.ToConnectionString(user, password), options),
            DatabaseKind.MySql => new MySqlMetadataStore(dsn.ToConnectionString(user, password), options),
            _ => throw new DatabaseNotSupportedException("Unknown database type: " + dsn.Original),
        };

    // ---- sessions -------------------------------------------------------------------------

    /// <summary>Runs <paramref name="body"/> on a pooled connection without a transaction (reads). A read
    /// that loses its database (<see cref="IsFailover"/>) is re-run on a new connection for up to
    /// <see cref="StoreOptions.ReconnectWait"/>.</summary>
    public async ValueTask<T> ReadAsync<TState, T>(TState state, Func<StoreSession, TState, CancellationToken, ValueTask<T>> body, CancellationToken ct)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int transient = 0;
        for (int attempt = 0; ; attempt++)
        {
            StoreSession s;
            try
            {
                s = await RentAsync(write: false, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsFailover(e))
            {
                OnFailover(e, null);
                if (!MayReconnect(started, ct)) throw;
                await Task.Delay(ReconnectBackoff(attempt), ct).ConfigureAwait(false);
                continue;
            }
            bool ok = false;
            TimeSpan delay;
            try
            {
                var r = await body(s, state, ct).ConfigureAwait(false);
                ok = true;
                DatabaseAnswered();
                return r;
            }
            catch (Exception e) when (IsTransient(e) && transient < Options.TransientRetries)
            {
                ok = s.IsHealthy();
                delay = Backoff(transient++);
            }
            catch (Exception e) when (IsFailover(e))
            {
                OnFailover(e, s);
                if (!MayReconnect(started, ct)) throw;
                delay = ReconnectBackoff(attempt);
            }
            catch (Exception e) when (e is not DbException || IsDuplicateKey(e))
            {
                ok = s.IsHealthy();
                throw;
            }
            finally
            {
                Return(s, write: false, ok); // any other database error drops the connection
            }
            await Task.Delay(delay, ct).ConfigureAwait(false);
        }
    }

    public ValueTask<T> ReadAsync<T>(Func<StoreSession, CancellationToken, ValueTask<T>> body, CancellationToken ct) =>
        ReadAsync(body, static (s, b, ct) => b(s, ct), ct);

    /// <summary>
    /// Runs <paramref name="body"/> in one transaction (SQLite: BEGIN IMMEDIATE on the single writer
    /// connection; PostgreSQL: a pooled connection) and commits. Busy/locked/deadlock errors roll back
    /// and re-run the whole body.
    /// </summary>
    /// <remarks>The whole call is bounded by <see cref="StoreOptions.WriteTimeout"/> (docs/tracker.md, Store):
    /// time spent waiting for the write connection counts, and each attempt may only wait for locks as
    /// long as is left; past the bound it throws <see cref="StoreBusyException"/>.</remarks>
    public ValueTask<T> WriteAsync<TState, T>(TState state, Func<StoreSession, TState, CancellationToken, ValueTask<T>> body, CancellationToken ct)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        return GroupCommit is { } g ? g.RunAsync(state, body, started, ct) : WriteAloneAsync(state, body, started, ct);
    }

    /// <summary>Set by a store whose writes are serialised on one connection (SQLite): concurrent write
    /// bodies are then run together in one transaction and committed once (<see cref="GroupCommit"/>).</summary>
    private protected GroupCommit? GroupCommit { get; init; }

    /// <summary>One write transaction of its own (the path without group commit, and group commit's
    /// fallback when a shared transaction cannot begin or commit).</summary>
    internal async ValueTask<T> WriteAloneAsync<TState, T>(TState state, Func<StoreSession, TState, CancellationToken, ValueTask<T>> body, long started, CancellationToken ct)
    {
        // The write bound (db_write_timeout) runs from the last reconnect; reconnecting is bounded
        // from the first attempt (db_reconnect_wait), so a write can wait out a failover.
        long first = started;
        int transient = 0;
        for (int attempt = 0; ; attempt++)
        {
            StoreSession s;
            try
            {
                s = await RentForWriteAsync(started, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsFailover(e))
            {
                OnFailover(e, null);
                if (!MayReconnect(first, ct)) throw;
                await Task.Delay(ReconnectBackoff(attempt), ct).ConfigureAwait(false);
                started = System.Diagnostics.Stopwatch.GetTimestamp();
                continue;
            }
            bool ok = false, committing = false, reconnecting = false;
            TimeSpan delay;
            try
            {
                await BeginWriteAsync(s, Remaining(started), ct).ConfigureAwait(false);
                var r = await body(s, state, ct).ConfigureAwait(false);
                committing = true;
                await CommitWriteAsync(s, ct).ConfigureAwait(false);
                ok = true;
                DatabaseAnswered();
                return r;
            }
            catch (Exception e) when (IsTransient(e) && transient < Options.TransientRetries && Remaining(started) > TimeSpan.FromMilliseconds(50))
            {
                ok = await RollbackWriteAsync(s).ConfigureAwait(false);
                delay = Backoff(transient++);
            }
            catch (Exception e) when (IsTransient(e) && Options.WriteTimeout > TimeSpan.Zero)
            {
                await RollbackWriteAsync(s).ConfigureAwait(false);
                ok = false;
                throw new StoreBusyException($"database busy: write not done within {Options.WriteTimeout.TotalSeconds:0.###} s ({e.Message})", e);
            }
            catch (Exception e) when (IsFailover(e))
            {
                // The server went away or is no longer the primary. Before COMMIT nothing of this
                // transaction can survive, so it is run again on a new connection; during COMMIT the
                // outcome is unknown and running it again could apply it twice: the caller gets the error.
                OnFailover(e, s);
                await RollbackWriteAsync(s).ConfigureAwait(false);
                ok = false;
                if (committing || !MayReconnect(first, ct)) throw;
                delay = ReconnectBackoff(attempt);
                reconnecting = true;
            }
            catch (Exception e)
            {
                ok = await RollbackWriteAsync(s).ConfigureAwait(false) && (e is not DbException || IsDuplicateKey(e) || !IsConnectionError(e));
                throw;
            }
            finally
            {
                if (!await s.RunAfterWriteAsync().ConfigureAwait(false)) ok = false;
                Return(s, write: true, ok);
            }
            await Task.Delay(delay, ct).ConfigureAwait(false);
            if (reconnecting) started = System.Diagnostics.Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Whether a request that lost its database may try again (<see cref="StoreOptions.ReconnectWait"/>).
    /// Once one request has waited the whole time in vain the database counts as down: later calls try
    /// once and fail at once (a command makes several calls; each must not wait again), until a call
    /// gets through.</summary>
    private bool MayReconnect(long started, CancellationToken ct)
    {
        if (ct.IsCancellationRequested || Volatile.Read(ref _databaseDown)) return false;
        if (System.Diagnostics.Stopwatch.GetElapsedTime(started) < Options.ReconnectWait) return true;
        Volatile.Write(ref _databaseDown, true);
        return false;
    }

    private bool _databaseDown;

    /// <summary>A call got through: the database is back.</summary>
    private void DatabaseAnswered()
    {
        if (_databaseDown) Volatile.Write(ref _databaseDown, false);
    }

    private static TimeSpan ReconnectBackoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(500, 50 << Math.Min(attempt, 4)) * (0.5 + Random.Shared.NextDouble()));

    /// <summary>Time left of the write bound (<see cref="Timeout.InfiniteTimeSpan"/> when unbounded).</summary>
    internal TimeSpan Remaining(long started)
    {
        if (Options.WriteTimeout <= TimeSpan.Zero) return Timeout.InfiniteTimeSpan;
        var left = Options.WriteTimeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    internal async ValueTask<StoreSession> RentForWriteAsync(long started, CancellationToken ct)
    {
        var left = Remaining(started);
        if (left == Timeout.InfiniteTimeSpan) return await RentAsync(write: true, ct).ConfigureAwait(false);
        if (left > TimeSpan.Zero)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(left);
            try
            {
                return await RentAsync(write: true, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
        }
        throw new StoreBusyException($"database busy: no write connection free within {Options.WriteTimeout.TotalSeconds:0.###} s");
    }

    /// <summary>Starts the write transaction, waiting at most <paramref name="lockWait"/> for the
    /// database's write lock (<see cref="Timeout.InfiniteTimeSpan"/>: the driver's default).</summary>
    protected internal virtual ValueTask BeginWriteAsync(StoreSession s, TimeSpan lockWait, CancellationToken ct) => s.BeginAsync(ct);

    protected internal virtual ValueTask CommitWriteAsync(StoreSession s, CancellationToken ct) => s.CommitAsync(ct);

    /// <summary>Rolls back; false when the connection is no longer usable.</summary>
    protected internal virtual ValueTask<bool> RollbackWriteAsync(StoreSession s) => s.TryRollbackAsync();

    public ValueTask<T> WriteAsync<T>(Func<StoreSession, CancellationToken, ValueTask<T>> body, CancellationToken ct) =>
        WriteAsync(body, static (s, b, ct) => b(s, ct), ct);

    public async ValueTask WriteAsync(Func<StoreSession, CancellationToken, ValueTask> body, CancellationToken ct) =>
        await WriteAsync(body, static async (s, b, ct) => { await b(s, ct).ConfigureAwait(false); return true; }, ct).ConfigureAwait(false);

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(200, 2 << Math.Min(attempt, 7)) * (0.5 + Random.Shared.NextDouble()));

    // ---- dialect hooks --------------------------------------------------------------------

    /// <summary>Leases a session (connection + statement cache).</summary>
    protected abstract ValueTask<StoreSession> RentAsync(bool write, CancellationToken ct);

    /// <summary>Gives a session back; <paramref name="healthy"/> false closes it (it is replaced on demand).</summary>
    protected abstract void Return(StoreSession session, bool write, bool healthy);

    internal void ReturnWriter(StoreSession session, bool healthy) => Return(session, write: true, healthy);

    /// <summary>Unique/primary-key violation (schema.md §6 rules).</summary>
    public abstract bool IsDuplicateKey(Exception e);

    /// <summary>Worth retrying the whole operation: SQLite BUSY/LOCKED, PostgreSQL deadlock/serialisation.</summary>
    public abstract bool IsTransient(Exception e);

    /// <summary>The connection itself is broken (server gone, file unreadable): drop it.</summary>
    protected abstract bool IsConnectionError(Exception e);

    /// <summary>The database went away or stopped being the primary (a failover, a restart): the store
    /// reconnects and re-runs what is safe to re-run. None by default (SQLite, MySQL keep today's behaviour:
    /// the request fails and its connection is dropped).</summary>
    protected virtual bool IsFailover(Exception e) => false;

    /// <summary>The request failed because the database could not be reached or was not the primary
    /// (after the store's own retries): the tracker answers <c>ERR failure Database unavailable ...</c>.</summary>
    public bool IsUnavailable(Exception e) => IsFailover(e);

    /// <summary>Called once per request that saw <see cref="IsFailover"/>: forget connections and server
    /// roles learnt before it. <paramref name="failed"/>: the session that failed (null: opening failed).</summary>
    protected virtual void OnFailover(Exception e, StoreSession? failed) { }
    internal bool IsBrokenConnection(Exception e) => IsConnectionError(e);

    /// <summary>The database's SQL generator (<c>Dialects/</c>): the only place that differs per database.</summary>
    internal abstract Dialects.SqlDialect Dialect { get; }

    /// <summary>Replaces dialect tokens in SQL written once for all databases.</summary>
    protected internal string RewriteSql(string sql) => Dialect.Rewrite(sql);

    /// <summary>Binds a byte string (see <see cref="ByteString"/>) to a text parameter.</summary>
    protected internal abstract void BindText(DbParameter p, string? value);

    /// <summary>Reads a text column as a byte string.</summary>
    protected internal abstract string? ReadText(DbDataReader r, int ordinal);

    /// <summary>Opens a new physical connection, configured.</summary>
    protected internal abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    /// <summary>Throws when the database cannot be reached (start-up check, health).</summary>
    public ValueTask<long> PingAsync(CancellationToken ct) =>
        ReadAsync(static async (s, ct) => await s.Sql("SELECT {NOW}").ScalarInt64Async(ct).ConfigureAwait(false) ?? 0, ct);
}

/// <summary>A write gave up at <see cref="StoreOptions.WriteTimeout"/> (the database stayed locked,
/// or the write connection stayed busy).</summary>
public sealed class StoreBusyException : TimeoutException
{
    public StoreBusyException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The database cannot be used safely right now (e.g. its files are not writable); the
/// request fails, the connection is kept, and the next request tries again.</summary>
public sealed class StoreUnavailableException : IOException
{
    public StoreUnavailableException(string message) : base(message) { }
}
