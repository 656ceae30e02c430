using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace MogileFS.Store.Schema;

/// <summary>
/// Creates or upgrades a MogileFS database to schema version 17 exactly as 2.73's mogdbsetup
/// does (schema.md §1.1): read the version, create every missing table with its indexes, run
/// the idempotent upgrade steps (each checks the catalog first), write <c>schema_version</c>.
/// Unlike the original the whole run is one transaction on both SQLite and PostgreSQL, so an
/// interrupted install leaves the database as it was instead of half-created.
/// </summary>
public static class SchemaInstaller
{
    public const int CurrentVersion = 17;

    public static async Task<SchemaInstallResult> InstallAsync(DatabaseDsn dsn, string? user, string? password,
        SchemaInstallOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(dsn);
        dsn.EnsureSupported();
        await using var connection = dsn.CreateConnection(user, password);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        return await InstallAsync(connection, options, ct).ConfigureAwait(false);
    }

    /// <summary>Installs into an already open SQLite or PostgreSQL connection.</summary>
    public static async Task<SchemaInstallResult> InstallAsync(DbConnection connection,
        SchemaInstallOptions? options = null, CancellationToken ct = default)
    {
        options ??= new SchemaInstallOptions();
        var dialect = SchemaDialect.For(connection, options);

        int current = await ReadVersionAsync(connection, ct).ConfigureAwait(false);
        if (current == CurrentVersion)
        {
            options.Log?.Invoke($"Schema already up-to-date at version {current}.");
            return new SchemaInstallResult(current, current, AlreadyUpToDate: true);
        }
        if (current > CurrentVersion)
            throw new SchemaInstallAbortedException(
                $"Your current schema version is {current}, but this version of mogdbsetup only knows up to {CurrentVersion}.  Aborting to be safe.");
        if (current != 0 && options.Confirm != null &&
            !options.Confirm($"Install/upgrade your schema from version {current} to version {CurrentVersion}?"))
            throw new SchemaInstallAbortedException("Stopping at user's request.");

        await using (var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false))
        {
            dialect.Transaction = tx;
            await dialect.CreateTablesAsync(ct).ConfigureAwait(false);
            await dialect.UpgradeAsync(ct).ConfigureAwait(false);
            if (!options.NoSchemaBump)
                await dialect.WriteVersionAsync(CurrentVersion, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        int now = options.NoSchemaBump ? current : CurrentVersion;
        return new SchemaInstallResult(current, now, AlreadyUpToDate: false);
    }

    /// <summary>The <c>schema_version</c> server setting, numified the Perl way; 0 when the
    /// row or the table is absent.</summary>
    public static async Task<int> ReadVersionAsync(DbConnection connection, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        bool exists = connection switch
        {
            SqliteConnection => await ScalarAsync(connection,
                "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='server_settings'", ct) is long n && n > 0,
            NpgsqlConnection => await ScalarAsync(connection,
                "SELECT to_regclass('server_settings') IS NOT NULL", ct) is true,
            MySqlConnector.MySqlConnection => Convert.ToInt64(await ScalarAsync(connection,
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'server_settings'", ct) ?? 0L,
                CultureInfo.InvariantCulture) > 0,
            _ => true,
        };
        if (!exists) return 0;
        object? value = await ScalarAsync(connection,
            "SELECT value FROM server_settings WHERE field='schema_version'", ct).ConfigureAwait(false);
        return PerlInt(value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture));
    }

    /// <summary>Throws <see cref="SchemaVersionException"/> (2.73's start-up message) unless the
    /// database is at version 17; <see cref="DatabaseNotSupportedException"/> for MySQL.</summary>
    public static async Task EnsureCompatibleAsync(DatabaseDsn dsn, string? user, string? password, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(dsn);
        dsn.EnsureSupported();
        // Opening a missing SQLite file would create an empty database; say what is wrong instead.
        if (dsn.Kind == DatabaseKind.Sqlite && dsn.Database is { } file && file != ":memory:" && !File.Exists(file))
            throw new DatabaseDsnException(
                $"SQLite database file {file} does not exist; create it with: mogdbsetup --type=SQLite --dbname={file}");
        await using var connection = dsn.CreateConnection(user, password);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        int version = await ReadVersionAsync(connection, ct).ConfigureAwait(false);
        if (version != CurrentVersion)
            throw new SchemaVersionException(version, CurrentVersion);
    }

    // Perl numification: leading blanks, optional sign, leading digits; anything else is 0.
    internal static int PerlInt(string? text)
    {
        if (string.IsNullOrEmpty(text)) return 0;
        var s = text.AsSpan().TrimStart();
        int i = 0;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) i++;
        int start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i == start) return 0;
        return long.TryParse(s[..i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
            ? (int)Math.Clamp(v, int.MinValue, int.MaxValue) : 0;
    }

    private static async Task<object?> ScalarAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        object? result = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return result is DBNull ? null : result;
    }
}
