using System.Data.Common;
using MogileFS.Core.Protocol;
using Npgsql;

namespace MogileFS.Store;

/// <summary>
/// PostgreSQL: a bounded pool of open connections with per-connection prepared statements.
/// The database is UTF-8 (mogdbsetup creates it so): byte strings are bound as text decoded from
/// UTF-8; a value that is not valid UTF-8 cannot be stored (2.73 fails the same way) and answers
/// <c>ERR failure</c>.
///
/// Failover (docs/ha-database.md): with several hosts (<c>host=a,b,c</c>) connections come from an
/// Npgsql multi-host data source that only hands out connections to the primary. When a request sees
/// the server go away or refuse writes (<see cref="IsFailover"/>), the store retires its pooled
/// sessions, clears Npgsql's pool and what Npgsql remembered about each host's role, and the request is
/// re-run where that is safe (MetadataStore.ReadAsync/WriteAsync).
/// </summary>
public sealed class PostgresMetadataStore : MetadataStore
{
    private readonly string _connectionString;
    private readonly SessionPool _pool;
    private readonly NpgsqlMultiHostDataSource? _multiHost;
    private readonly NpgsqlDataSource? _dataSource;
    private long _failovers;

    public PostgresMetadataStore(string connectionString, StoreOptions? options = null) : base(options)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = true,
            MaxPoolSize = Math.Max(Options.MaxConnections + 4, 8),
            MaxAutoPrepare = 256,
            AutoPrepareMinUsages = 2,
            NoResetOnClose = true,
        };
        _connectionString = b.ToString();
        if (b.Host is { } host && host.Contains(','))
        {
            var target = Enum.TryParse<TargetSessionAttributes>((b.TargetSessionAttributes ?? "primary").Replace("-", ""), true, out var t)
                ? t : TargetSessionAttributes.Primary;
            _multiHost = new NpgsqlDataSourceBuilder(_connectionString).BuildMultiHost();
            _dataSource = _multiHost.WithTargetSession(target);
        }
        _pool = new SessionPool(Math.Max(1, Options.MaxConnections), async ct =>
            new StoreSession(this, await OpenConnectionAsync(ct).ConfigureAwait(false)));
    }

    public override DatabaseKind Kind => DatabaseKind.Postgres;

    /// <summary>How many times a request saw the database go away or change role (a gauge for operators and tests).</summary>
    public long FailoversSeen => Interlocked.Read(ref _failovers);

    protected internal override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var c = _dataSource?.CreateConnection() ?? new NpgsqlConnection(_connectionString);
        try
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            return c;
        }
        catch
        {
            await c.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override ValueTask<StoreSession> RentAsync(bool write, CancellationToken ct) => _pool.RentAsync(ct);

    protected override void Return(StoreSession session, bool write, bool healthy) => _pool.Return(session, healthy);

    public override bool IsDuplicateKey(Exception e) =>
        e is PostgresException { SqlState: "23505" }
        || (e is NpgsqlException && e.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase));

    public override bool IsTransient(Exception e) => e is PostgresException { SqlState: "40P01" or "40001" };

    protected override bool IsConnectionError(Exception e) => e is NpgsqlException and not PostgresException || e is InvalidOperationException;

    /// <summary>
    /// The server went away or is not (any more) the primary: the connection broke or could not be opened
    /// (no PostgreSQL error code), class 08 (connection exception), 57P01-57P03 (admin/crash shutdown,
    /// cannot connect now: a server stopping or still starting), 25006 (read-only transaction: a standby,
    /// or a primary being demoted).
    /// </summary>
    protected override bool IsFailover(Exception e) => e switch
    {
        PostgresException pe => pe.SqlState.StartsWith("08", StringComparison.Ordinal)
            || pe.SqlState is "57P01" or "57P02" or "57P03" or "25006",
        NpgsqlException => true,
        _ => false,
    };

    protected override void OnFailover(Exception e, StoreSession? failed)
    {
        Interlocked.Increment(ref _failovers);
        // A session of an older generation failing says nothing new: the pool was cleared after it.
        if (failed is null || _pool.IsCurrent(failed)) _pool.Invalidate();
        if (_multiHost != null)
        {
            _multiHost.Clear();
            _multiHost.ClearDatabaseStates();
        }
        else
        {
            using var c = new NpgsqlConnection(_connectionString);
            NpgsqlConnection.ClearPool(c);
        }
    }

    internal override Dialects.SqlDialect Dialect => Dialects.PostgresDialect.Instance;

    // 0: not known yet; 1: the database's default collation is bytewise (C / POSIX with the libc
    // provider); 2: another collation.
    private volatile int _keyOrder;

    /// <summary>
    /// list_keys orders bytewise. On a database whose default collation is C that is the order of the
    /// (dmid, dkey) index, so the statement without COLLATE clauses gets an index range scan (and
    /// PostgreSQL turns the LIKE prefix into index bounds). With an explicit COLLATE "C" no index of
    /// the default collation is usable and every call scanned the domain's keys (docs/growth.md). On
    /// a database of another collation the explicit COLLATE "C" stays: correct, and fast with the
    /// optional index <c>(dmid, dkey COLLATE "C")</c> that docs/growth.md describes.
    /// </summary>
    protected internal override async ValueTask<string> ListKeysSqlAsync(StoreSession s, bool caseSensitive, bool bounded, CancellationToken ct)
    {
        if (_keyOrder == 0)
        {
            // datlocprovider exists from PostgreSQL 15 on ('c' = libc); before, every database is libc.
            long kind = await s.Sql("SELECT CASE WHEN d.datcollate IN ('C', 'POSIX') AND COALESCE(to_jsonb(d) ->> 'datlocprovider', 'c') = 'c' THEN 1 ELSE 2 END FROM pg_database d WHERE d.datname = current_database()")
                .ScalarInt64Async(ct).ConfigureAwait(false) ?? 2;
            _keyOrder = (int)kind;
        }
        return _keyOrder == 1 ? Dialects.PostgresDialect.ListKeysSqlBytewiseDatabase(bounded) : Dialect.ListKeysSql(caseSensitive);
    }

    protected internal override void BindText(DbParameter p, string? value)
    {
        if (value is null) { p.Value = DBNull.Value; return; }
        if (ByteString.IsAscii(value)) { p.Value = value; return; }
        var text = ByteString.TryToText(value)
            ?? throw new CommandException("failure", "Value is not valid UTF-8; this PostgreSQL database stores UTF-8 text");
        if (text.Contains('\0')) throw new CommandException("failure", "PostgreSQL text cannot hold NUL bytes");
        p.Value = text;
    }

    protected internal override string? ReadText(DbDataReader r, int ordinal) => ByteString.FromText(r.GetString(ordinal));

    public override async ValueTask DisposeAsync()
    {
        await _pool.DisposeAsync().ConfigureAwait(false);
        if (_multiHost != null) await _multiHost.DisposeAsync().ConfigureAwait(false);
    }
}
