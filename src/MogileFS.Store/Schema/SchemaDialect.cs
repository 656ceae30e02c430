using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace MogileFS.Store.Schema;

/// <summary>The per-backend half of the installer: catalog look-ups, DDL and upgrade steps.</summary>
internal abstract class SchemaDialect
{
    protected SchemaDialect(DbConnection connection, SchemaInstallOptions options)
    {
        Connection = connection;
        Options = options;
    }

    protected DbConnection Connection { get; }
    protected SchemaInstallOptions Options { get; }
    public DbTransaction? Transaction { get; set; }

    public static SchemaDialect For(DbConnection connection, SchemaInstallOptions options) => connection switch
    {
        SqliteConnection => new SqliteDialect(connection, options),
        NpgsqlConnection => new PostgresDialect(connection, options),
        MySqlConnector.MySqlConnection => new MySqlSchemaDialect(connection, options),
        _ => throw new DatabaseNotSupportedException(
            $"Schema installation is supported on SQLite and PostgreSQL only, not {connection.GetType().Name}"),
    };

    public abstract Task CreateTablesAsync(CancellationToken ct);
    public abstract Task UpgradeAsync(CancellationToken ct);
    public abstract Task WriteVersionAsync(int version, CancellationToken ct);

    protected async Task CreateTableAsync(string table, string createSql, IEnumerable<string> indexes, CancellationToken ct)
    {
        if (await TableExistsAsync(table, ct).ConfigureAwait(false)) return;
        await ExecAsync(createSql, ct).ConfigureAwait(false);
        foreach (var index in indexes)
            await ExecAsync(index, ct).ConfigureAwait(false);
    }

    protected abstract Task<bool> TableExistsAsync(string table, CancellationToken ct);

    /// <summary>The declared type of a column, or null when the column does not exist.</summary>
    protected abstract Task<string?> ColumnTypeAsync(string table, string column, CancellationToken ct);

    protected async Task<int> ExecAsync(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        if (Options.Verbose) Options.Log?.Invoke($"Running SQL: {sql};");
        await using var cmd = Command(sql, parameters);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    protected async Task<object?> ScalarAsync(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(sql, parameters);
        object? result = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return result is DBNull ? null : result;
    }

    protected DbCommand Command(string sql, (string Name, object? Value)[] parameters)
    {
        var cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = Transaction;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    protected async Task AddColumnIfMissingAsync(string table, string column, string definition, CancellationToken ct)
    {
        if (await ColumnTypeAsync(table, column, ct).ConfigureAwait(false) == null)
            await ExecAsync($"ALTER TABLE {table} ADD COLUMN {column} {definition}", ct).ConfigureAwait(false);
    }

    protected async Task WriteSettingAsync(string field, string value, CancellationToken ct)
    {
        int updated = await ExecAsync("UPDATE server_settings SET value = @v WHERE field = @f", ct,
            ("@v", value), ("@f", field)).ConfigureAwait(false);
        if (updated == 0)
            await ExecAsync("INSERT INTO server_settings (field, value) VALUES (@f, @v)", ct,
                ("@f", field), ("@v", value)).ConfigureAwait(false);
    }
}

internal sealed class SqliteDialect : SchemaDialect
{
    public SqliteDialect(DbConnection connection, SchemaInstallOptions options) : base(connection, options) { }

    // 2.73 creates `lock` before anything else on SQLite; our table list starts with it.
    public override async Task CreateTablesAsync(CancellationToken ct)
    {
        foreach (var (table, create, indexes) in SqliteSchema.Tables)
            await CreateTableAsync(table, create, indexes, ct).ConfigureAwait(false);
    }

    // On SQLite only the replpolicy and hashtype steps change anything (ENUMs are TEXT, the
    // other columns have been in the SQLite definitions since SQLite support was added).
    public override async Task UpgradeAsync(CancellationToken ct)
    {
        await AddColumnIfMissingAsync("class", "replpolicy", "VARCHAR(255)", ct).ConfigureAwait(false);
        await AddColumnIfMissingAsync("class", "hashtype", "TINYINT UNSIGNED", ct).ConfigureAwait(false);
    }

    public override Task WriteVersionAsync(int version, CancellationToken ct) =>
        ExecAsync("REPLACE INTO server_settings (field, value) VALUES ('schema_version', @v)", ct,
            ("@v", version.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    protected override async Task<bool> TableExistsAsync(string table, CancellationToken ct) =>
        await ScalarAsync("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name=@t", ct, ("@t", table))
            .ConfigureAwait(false) is long n && n > 0;

    protected override async Task<string?> ColumnTypeAsync(string table, string column, CancellationToken ct)
    {
        await using var cmd = Command("SELECT type FROM pragma_table_info(@t) WHERE name=@c", [("@t", table), ("@c", column)]);
        object? result = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return result is null or DBNull ? null : (string)result;
    }
}

internal sealed class PostgresDialect : SchemaDialect
{
    private string? _fidType;

    public PostgresDialect(DbConnection connection, SchemaInstallOptions options) : base(connection, options) { }

    public override async Task CreateTablesAsync(CancellationToken ct)
    {
        string fidType = await FidTypeAsync(ct).ConfigureAwait(false);
        foreach (var (table, create, indexes) in PostgresSchema.Tables)
            await CreateTableAsync(table, create.Replace(PostgresSchema.FidPlaceholder, fidType), indexes, ct)
                .ConfigureAwait(false);
    }

    // 2.73's steps, in its order. Where the original's statement is not valid PostgreSQL
    // (MySQL's MODIFY COLUMN, ADD UNIQUE name (col)) we do what it meant.
    public override async Task UpgradeAsync(CancellationToken ct)
    {
        if (await ColumnTypeAsync("host", "http_get_port", ct).ConfigureAwait(false) == null)
            await ExecAsync("ALTER TABLE host ADD COLUMN http_get_port INT CHECK (http_get_port >= 0)", ct).ConfigureAwait(false);
        if (await ColumnTypeAsync("host", "altip", ct).ConfigureAwait(false) == null)
        {
            await ExecAsync("ALTER TABLE host ADD COLUMN altip VARCHAR(15)", ct).ConfigureAwait(false);
            await ExecAsync("ALTER TABLE host ADD COLUMN altmask VARCHAR(18)", ct).ConfigureAwait(false);
            await ExecAsync("ALTER TABLE host ADD CONSTRAINT host_altip_key UNIQUE (altip)", ct).ConfigureAwait(false);
        }
        if (await ColumnTypeAsync("device", "mb_asof", ct).ConfigureAwait(false) == null)
            await ExecAsync("ALTER TABLE device ADD COLUMN mb_asof INT CHECK (mb_asof >= 0)", ct).ConfigureAwait(false);
        await AddColumnIfMissingAsync("device", "weight", "INT DEFAULT 100", ct).ConfigureAwait(false);
        // readonly (v?) and drain (v9) for device.status: one replacement check with all states.
        var (deviceCheckName, deviceCheck) = await StatusCheckAsync("device", ct).ConfigureAwait(false);
        if (deviceCheck == null || !deviceCheck.Contains("readonly") || !deviceCheck.Contains("drain"))
        {
            if (deviceCheckName != null)
                await ExecAsync($"ALTER TABLE device DROP CONSTRAINT \"{deviceCheckName}\"", ct).ConfigureAwait(false);
            await ExecAsync("ALTER TABLE device ADD CONSTRAINT device_status_check CHECK (status IN ('alive','dead','down','readonly','drain'))", ct).ConfigureAwait(false);
        }
        await AddColumnIfMissingAsync("class", "replpolicy", "VARCHAR(255)", ct).ConfigureAwait(false);
        if (await ColumnTypeAsync("server_settings", "value", ct).ConfigureAwait(false) is { } valueType && valueType != "text")
            await ExecAsync("ALTER TABLE server_settings ALTER COLUMN value TYPE TEXT", ct).ConfigureAwait(false);
        await AddColumnIfMissingAsync("file_to_queue", "arg", "TEXT", ct).ConfigureAwait(false);
        // mb_total/mb_used were never MEDIUMINT on Postgres: nothing to do (as 2.73).
        await AddColumnIfMissingAsync("class", "hashtype", "SMALLINT", ct).ConfigureAwait(false);
        var (hostCheckName, hostCheck) = await StatusCheckAsync("host", ct).ConfigureAwait(false);
        if (hostCheck == null || !System.Text.RegularExpressions.Regex.IsMatch(hostCheck, @"\breadonly\b"))
        {
            if (hostCheckName != null)
                await ExecAsync($"ALTER TABLE host DROP CONSTRAINT \"{hostCheckName}\"", ct).ConfigureAwait(false);
            await ExecAsync("ALTER TABLE host ADD CONSTRAINT status CHECK (status IN ('alive','dead','down','readonly'))", ct).ConfigureAwait(false);
        }
    }

    public override Task WriteVersionAsync(int version, CancellationToken ct) =>
        WriteSettingAsync("schema_version", version.ToString(System.Globalization.CultureInfo.InvariantCulture), ct);

    protected override async Task<bool> TableExistsAsync(string table, CancellationToken ct) =>
        await ScalarAsync("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = @t",
            ct, ("@t", table)).ConfigureAwait(false) is long n && n > 0;

    protected override async Task<string?> ColumnTypeAsync(string table, string column, CancellationToken ct) =>
        await ScalarAsync("SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @t AND column_name = @c",
            ct, ("@t", table), ("@c", column)).ConfigureAwait(false) as string;

    // The CHECK constraint on <table>.status: its name and definition.
    private async Task<(string? Name, string? Definition)> StatusCheckAsync(string table, CancellationToken ct)
    {
        await using var cmd = Command("""
            SELECT c.conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
            WHERE c.conrelid = to_regclass(@t) AND c.contype = 'c' AND a.attname = 'status'
            ORDER BY c.conname
            LIMIT 1
            """, [("@t", table)]);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false)) return (null, null);
        return (reader.GetString(0), reader.GetString(1));
    }

    // schema.md §2: BIGINT fids unless an existing file.fid is int4 (and MOG_FIDSIZE isn't "big").
    private async Task<string> FidTypeAsync(CancellationToken ct)
    {
        if (_fidType != null) return _fidType;
        if (Environment.GetEnvironmentVariable("MOG_FIDSIZE") == "big") return _fidType = "BIGINT";
        string? existing = await ColumnTypeAsync("file", "fid", ct).ConfigureAwait(false);
        return _fidType = existing != null && existing.Contains("int", StringComparison.OrdinalIgnoreCase)
            && !existing.Contains("bigint", StringComparison.OrdinalIgnoreCase) ? "INT" : "BIGINT";
    }
}
