using System.Data.Common;
using MogileFS.Core.Protocol;
using MySqlConnector;

namespace MogileFS.Store;

/// <summary>
/// MySQL / MariaDB (2.73's own database): a bounded pool of open connections. Byte strings travel as
/// UTF-8 text, as they do for 2.73 through DBD::mysql (whose connection is utf8mb4): the server
/// converts them to the column's character set (latin1 on a database mogdbsetup created with the
/// server defaults); a value that is not valid UTF-8 cannot be stored (2.73 fails the same way) and
/// answers <c>ERR failure</c>.
/// </summary>
public sealed class MySqlMetadataStore : MetadataStore
{
    private readonly string _connectionString;
    private readonly SessionPool _pool;

    public MySqlMetadataStore(string connectionString, StoreOptions? options = null) : base(options)
    {
        var b = new MySqlConnectionStringBuilder(connectionString)
        {
            // Our SessionPool keeps the connections; closing one must really end its server session,
            // so that the named locks it may hold (GET_LOCK) go with it (a driver pool would keep them
            // until it reset the connection, and in-process trackers would share that pool).
            Pooling = false,
            TreatTinyAsBoolean = false,
            UseAffectedRows = false, // matched rows, as SQLite and PostgreSQL count them
        };
        _connectionString = b.ConnectionString;
        _pool = new SessionPool(Math.Max(1, Options.MaxConnections), async ct =>
            new StoreSession(this, await OpenConnectionAsync(ct).ConfigureAwait(false)));
    }

    public override DatabaseKind Kind => DatabaseKind.MySql;

    internal override Dialects.SqlDialect Dialect => Dialects.MySqlDialect.Instance;

    protected internal override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var c = new MySqlConnection(_connectionString);
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

    /// <summary>ER_DUP_ENTRY (1062), or a message saying duplicate (2.73's test).</summary>
    public override bool IsDuplicateKey(Exception e) =>
        e is MySqlException m && (m.ErrorCode == MySqlErrorCode.DuplicateKeyEntry || m.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase));

    /// <summary>Deadlock (1213) and lock wait timeout (1205): the transaction was rolled back or may be retried.</summary>
    public override bool IsTransient(Exception e) =>
        e is MySqlException { ErrorCode: MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout };

    /// <summary>Client-side errors (2000 and up: server gone, lost connection), failed connects, a closed connection.</summary>
    protected override bool IsConnectionError(Exception e) =>
        e is MySqlException m ? m.Number >= 2000 || m.Number == 0 || m.ErrorCode == MySqlErrorCode.UnableToConnectToHost
        : e is InvalidOperationException or MySqlEndOfStreamException or IOException;

    protected internal override void BindText(DbParameter p, string? value)
    {
        if (value is null) { p.Value = DBNull.Value; return; }
        if (ByteString.IsAscii(value)) { p.Value = value; return; }
        p.Value = ByteString.TryToText(value)
            ?? throw new CommandException("failure", "Value is not valid UTF-8; this MySQL database stores UTF-8 text");
    }

    protected internal override string? ReadText(DbDataReader r, int ordinal) =>
        r.GetValue(ordinal) is byte[] bytes ? ByteString.FromBytes(bytes) : ByteString.FromText(r.GetString(ordinal));

    public override async ValueTask DisposeAsync()
    {
        await _pool.DisposeAsync().ConfigureAwait(false);
    }
}
