using System.Data.Common;
using Microsoft.Data.Sqlite;
using MogileFS.Core.Protocol;

namespace MogileFS.Store;

/// <summary>
/// SQLite: WAL journal, synchronous=NORMAL, a pool of reader connections and ONE writer connection
/// (writes are serialised in-process, so SQLITE_BUSY only happens against other processes and is
/// retried). Text columns hold the raw bytes the client sent, like DBD::SQLite does for the Perl
/// tracker; byte strings that are not valid UTF-8 are bound as BLOB and turned into TEXT by the
/// <c>CAST(@p AS TEXT)</c> every statement wraps them in.
/// </summary>
public sealed class SqliteMetadataStore : MetadataStore
{
    private readonly string _connectionString;
    private readonly SessionPool _readers;
    private readonly SessionPool _writer;

    public SqliteMetadataStore(string path, StoreOptions? options = null) : base(options)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = false,
            Mode = SqliteOpenMode.ReadWrite, // the schema is created by mogdbsetup / SchemaInstaller, never implicitly
            DefaultTimeout = Math.Max(1, Options.SqliteBusyTimeoutMs / 1000),
        }.ToString();
        _readers = new SessionPool(Math.Max(1, Options.MaxConnections), ct => OpenSessionAsync(ct));
        _writer = new SessionPool(1, ct => OpenSessionAsync(ct));
    }

    public string Path { get; }

    public override DatabaseKind Kind => DatabaseKind.Sqlite;

    private async ValueTask<StoreSession> OpenSessionAsync(CancellationToken ct) =>
        new StoreSession(this, await OpenConnectionAsync(ct).ConfigureAwait(false));

    protected internal override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        try
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            using var cmd = c.CreateCommand();
            // Microsoft.Data.Sqlite itself retries SQLITE_BUSY until DefaultTimeout; keep SQLite's own wait short so the two do not add up.
            cmd.CommandText = $"PRAGMA busy_timeout={Math.Min(250, Options.SqliteBusyTimeoutMs)}; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return c;
        }
        catch
        {
            await c.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override ValueTask<StoreSession> RentAsync(bool write, CancellationToken ct) =>
        write ? _writer.RentAsync(ct) : _readers.RentAsync(ct);

    protected override void Return(StoreSession session, bool write, bool healthy) =>
        (write ? _writer : _readers).Return(session, healthy);

    public override bool IsDuplicateKey(Exception e)
    {
        if (e is not SqliteException se) return false;
        if (se.SqliteErrorCode == 19 && (se.SqliteExtendedErrorCode == 2067 || se.SqliteExtendedErrorCode == 1555)) return true;
        var m = se.Message;
        return m.Contains("is not unique", StringComparison.Ordinal) || m.Contains("are not unique", StringComparison.Ordinal)
            || m.Contains("must be unique", StringComparison.Ordinal) || m.Contains("UNIQUE constraint failed", StringComparison.Ordinal);
    }

    public override bool IsTransient(Exception e) => e is SqliteException { SqliteErrorCode: 5 or 6 };

    protected override bool IsConnectionError(Exception e) =>
        e is SqliteException { SqliteErrorCode: 10 or 11 or 14 or 26 } // IOERR, CORRUPT, CANTOPEN, NOTADB
        || e is InvalidOperationException;

    protected internal override string RewriteSql(string sql) =>
        sql.Replace("{NOW}", "CAST(strftime('%s','now') AS INTEGER)", StringComparison.Ordinal);

    protected internal override void BindText(DbParameter p, string? value)
    {
        if (value is null) { p.Value = DBNull.Value; return; }
        if (ByteString.IsAscii(value)) { p.Value = value; return; }
        var text = ByteString.TryToText(value);
        if (text != null) { p.Value = text; return; }
        p.DbType = System.Data.DbType.Binary;
        p.Value = ByteString.ToBytes(value);
    }

    protected internal override string? ReadText(DbDataReader r, int ordinal)
    {
        var s = r.GetString(ordinal);
        if (ByteString.IsAscii(s)) return s;
        // Non-ASCII: take the stored bytes, which need not be valid UTF-8.
        return ByteString.FromBytes(r.GetFieldValue<byte[]>(ordinal));
    }

    public override async ValueTask DisposeAsync()
    {
        await _readers.DisposeAsync().ConfigureAwait(false);
        await _writer.DisposeAsync().ConfigureAwait(false);
    }
}
