using System.Data.Common;
using MogileFS.Core.Protocol;
using Npgsql;

namespace MogileFS.Store;

/// <summary>
/// PostgreSQL: a bounded pool of open connections with per-connection prepared statements.
/// The database is UTF-8 (mogdbsetup creates it so): byte strings are bound as text decoded from
/// UTF-8; a value that is not valid UTF-8 cannot be stored (2.73 fails the same way) and answers
/// <c>ERR failure</c>.
/// </summary>
public sealed class PostgresMetadataStore : MetadataStore
{
    private readonly string _connectionString;
    private readonly SessionPool _pool;

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
        _pool = new SessionPool(Math.Max(1, Options.MaxConnections), async ct =>
            new StoreSession(this, await OpenConnectionAsync(ct).ConfigureAwait(false)));
    }

    public override DatabaseKind Kind => DatabaseKind.Postgres;

    protected internal override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var c = new NpgsqlConnection(_connectionString);
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

    internal override Dialects.SqlDialect Dialect => Dialects.PostgresDialect.Instance;

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
    }
}
