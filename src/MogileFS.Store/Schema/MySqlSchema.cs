using System.Data.Common;

namespace MogileFS.Store.Schema;

/// <summary>
/// Schema v17 on MySQL/MariaDB as MogileFS 2.73's <c>mogdbsetup --type=MySQL</c> leaves it: InnoDB
/// tables in the database's default character set, the canonical (MySQL) column types, indexes
/// named as MySQL names them for the original's DDL, no <c>lock</c> table (MySQL uses GET_LOCK).
/// The column order is the one the original's create-then-upgrade steps produce on a new database
/// (<c>class.hashtype</c> before <c>replpolicy</c>). <c>{FID}</c> is <c>BIGINT</c> unless an existing
/// <c>file.fid</c> is still INT (schema.md §2). Checked against the original's <c>SHOW CREATE TABLE</c>
/// output by MySqlSchemaTests.
/// </summary>
internal static class MySqlSchema
{
    public const string FidPlaceholder = "{FID}";

    public static readonly (string Table, string Create)[] Tables =
    [
        ("domain", """
            CREATE TABLE domain (
              dmid SMALLINT UNSIGNED NOT NULL PRIMARY KEY,
              namespace VARCHAR(255),
              UNIQUE (namespace)
            ) ENGINE=InnoDB
            """),
        ("class", """
            CREATE TABLE class (
              dmid SMALLINT UNSIGNED NOT NULL,
              classid TINYINT UNSIGNED NOT NULL,
              PRIMARY KEY (dmid, classid),
              classname VARCHAR(50),
              UNIQUE (dmid, classname),
              mindevcount TINYINT UNSIGNED NOT NULL,
              hashtype TINYINT UNSIGNED
            ) ENGINE=InnoDB
            """),
        ("file", """
            CREATE TABLE file (
              fid {FID} UNSIGNED NOT NULL,
              PRIMARY KEY (fid),
              dmid SMALLINT UNSIGNED NOT NULL,
              dkey VARCHAR(255),
              UNIQUE dkey (dmid, dkey),
              length BIGINT UNSIGNED,
              classid TINYINT UNSIGNED NOT NULL,
              devcount TINYINT UNSIGNED NOT NULL,
              INDEX devcount (dmid, classid, devcount)
            ) ENGINE=InnoDB
            """),
        ("tempfile", """
            CREATE TABLE tempfile (
              fid {FID} UNSIGNED NOT NULL AUTO_INCREMENT,
              PRIMARY KEY (fid),
              createtime INT UNSIGNED NOT NULL,
              classid TINYINT UNSIGNED NOT NULL,
              dmid SMALLINT UNSIGNED NOT NULL,
              dkey VARCHAR(255),
              devids VARCHAR(60)
            ) ENGINE=InnoDB
            """),
        ("file_to_delete", """
            CREATE TABLE file_to_delete (
              fid {FID} UNSIGNED NOT NULL,
              PRIMARY KEY (fid)
            ) ENGINE=InnoDB
            """),
        ("unreachable_fids", """
            CREATE TABLE unreachable_fids (
              fid {FID} UNSIGNED NOT NULL,
              lastupdate INT UNSIGNED NOT NULL,
              PRIMARY KEY (fid),
              INDEX (lastupdate)
            ) ENGINE=InnoDB
            """),
        ("file_on", """
            CREATE TABLE file_on (
              fid {FID} UNSIGNED NOT NULL,
              devid MEDIUMINT UNSIGNED NOT NULL,
              PRIMARY KEY (fid, devid),
              INDEX (devid)
            ) ENGINE=InnoDB
            """),
        ("file_on_corrupt", """
            CREATE TABLE file_on_corrupt (
              fid {FID} UNSIGNED NOT NULL,
              devid MEDIUMINT UNSIGNED NOT NULL,
              PRIMARY KEY (fid, devid)
            ) ENGINE=InnoDB
            """),
        ("host", """
            CREATE TABLE host (
              hostid MEDIUMINT UNSIGNED NOT NULL PRIMARY KEY,
              status ENUM('alive','dead','down','readonly'),
              http_port MEDIUMINT UNSIGNED DEFAULT 7500,
              http_get_port MEDIUMINT UNSIGNED,
              hostname VARCHAR(40),
              hostip VARCHAR(15),
              altip VARCHAR(15),
              altmask VARCHAR(18),
              UNIQUE (hostname),
              UNIQUE (hostip),
              UNIQUE (altip)
            ) ENGINE=InnoDB
            """),
        ("device", """
            CREATE TABLE device (
              devid MEDIUMINT UNSIGNED NOT NULL,
              hostid MEDIUMINT UNSIGNED NOT NULL,
              status ENUM('alive','dead','down','readonly','drain'),
              weight MEDIUMINT DEFAULT 100,
              mb_total INT UNSIGNED,
              mb_used INT UNSIGNED,
              mb_asof INT UNSIGNED,
              PRIMARY KEY (devid),
              INDEX (status)
            ) ENGINE=InnoDB
            """),
        ("server_settings", """
            CREATE TABLE server_settings (
              field VARCHAR(50) PRIMARY KEY,
              value TEXT
            ) ENGINE=InnoDB
            """),
        ("file_to_replicate", """
            CREATE TABLE file_to_replicate (
              fid {FID} UNSIGNED NOT NULL PRIMARY KEY,
              nexttry INT UNSIGNED NOT NULL,
              INDEX (nexttry),
              fromdevid INT UNSIGNED,
              failcount TINYINT UNSIGNED NOT NULL DEFAULT 0,
              flags SMALLINT UNSIGNED NOT NULL DEFAULT 0
            ) ENGINE=InnoDB
            """),
        ("file_to_delete_later", """
            CREATE TABLE file_to_delete_later (
              fid {FID} UNSIGNED NOT NULL PRIMARY KEY,
              delafter INT UNSIGNED NOT NULL,
              INDEX (delafter)
            ) ENGINE=InnoDB
            """),
        ("fsck_log", """
            CREATE TABLE fsck_log (
              logid INT UNSIGNED NOT NULL AUTO_INCREMENT,
              PRIMARY KEY (logid),
              utime INT UNSIGNED NOT NULL,
              fid {FID} UNSIGNED NULL,
              evcode CHAR(4),
              devid MEDIUMINT UNSIGNED,
              INDEX (utime)
            ) ENGINE=InnoDB
            """),
        ("file_to_queue", """
            CREATE TABLE file_to_queue (
              fid {FID} UNSIGNED NOT NULL,
              devid INT UNSIGNED,
              type TINYINT UNSIGNED NOT NULL,
              nexttry INT UNSIGNED NOT NULL,
              failcount TINYINT UNSIGNED NOT NULL DEFAULT 0,
              flags SMALLINT UNSIGNED NOT NULL DEFAULT 0,
              arg TEXT,
              PRIMARY KEY (fid, type),
              INDEX type_nexttry (type, nexttry)
            ) ENGINE=InnoDB
            """),
        ("file_to_delete2", """
            CREATE TABLE file_to_delete2 (
              fid {FID} UNSIGNED NOT NULL PRIMARY KEY,
              nexttry INT UNSIGNED NOT NULL,
              failcount TINYINT UNSIGNED NOT NULL DEFAULT 0,
              INDEX nexttry (nexttry)
            ) ENGINE=InnoDB
            """),
        ("checksum", """
            CREATE TABLE checksum (
              fid {FID} UNSIGNED NOT NULL PRIMARY KEY,
              hashtype TINYINT UNSIGNED NOT NULL,
              checksum VARBINARY(64) NOT NULL
            ) ENGINE=InnoDB
            """),
    ];
}

/// <summary>mogdbsetup's MySQL steps: InnoDB check, tables, the upgrade steps of 2.73's MySQL store in its order.</summary>
internal sealed class MySqlSchemaDialect : SchemaDialect
{
    private string? _fidType;

    public MySqlSchemaDialect(DbConnection connection, SchemaInstallOptions options) : base(connection, options) { }

    public override async Task CreateTablesAsync(CancellationToken ct)
    {
        await CheckInnoDbAsync(ct).ConfigureAwait(false);
        string fidType = await FidTypeAsync(ct).ConfigureAwait(false);
        foreach (var (table, create) in MySqlSchema.Tables)
        {
            string sql = create.Replace(MySqlSchema.FidPlaceholder, fidType, StringComparison.Ordinal);
            if (Environment.GetEnvironmentVariable("USE_UNSAFE_MYSQL") is { Length: > 0 } v && v != "0")
                sql = sql.Replace(" ENGINE=InnoDB", "", StringComparison.Ordinal);
            await CreateTableAsync(table, sql, [], ct).ConfigureAwait(false);
        }
    }

    // 2.73: unless USE_UNSAFE_MYSQL, InnoDB must be available (SHOW ENGINES: YES or DEFAULT).
    private async Task CheckInnoDbAsync(CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable("USE_UNSAFE_MYSQL") is { Length: > 0 } v && v != "0") return;
        object? support = await ScalarAsync("SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'InnoDB'", ct).ConfigureAwait(false);
        if (support is not string s || !(s.Equals("YES", StringComparison.OrdinalIgnoreCase) || s.Equals("DEFAULT", StringComparison.OrdinalIgnoreCase)))
            throw new SchemaInstallAbortedException(
                "InnoDB backend is unavailable for use, force creation of tables by setting USE_UNSAFE_MYSQL=1 in your environment and run this command again.");
    }

    // 2.73's MySQL upgrade steps, in its order (each only when its column test says so).
    public override async Task UpgradeAsync(CancellationToken ct)
    {
        if (await ColumnTypeAsync("host", "http_get_port", ct).ConfigureAwait(false) == null)
            await ExecAsync("ALTER TABLE host ADD COLUMN http_get_port MEDIUMINT UNSIGNED AFTER http_port", ct).ConfigureAwait(false);
        if (await ColumnTypeAsync("host", "altip", ct).ConfigureAwait(false) == null)
        {
            await ExecAsync("ALTER TABLE host ADD COLUMN altip VARCHAR(15) AFTER hostip", ct).ConfigureAwait(false);
            await ExecAsync("ALTER TABLE host ADD COLUMN altmask VARCHAR(18) AFTER altip", ct).ConfigureAwait(false);
            await ExecAsync("ALTER TABLE host ADD UNIQUE altip (altip)", ct).ConfigureAwait(false);
        }
        if (await ColumnTypeAsync("device", "mb_asof", ct).ConfigureAwait(false) == null)
            await ExecAsync("ALTER TABLE device ADD COLUMN mb_asof INT(10) UNSIGNED AFTER mb_used", ct).ConfigureAwait(false);
        if (await ColumnTypeAsync("device", "weight", ct).ConfigureAwait(false) == null)
            await ExecAsync("ALTER TABLE device ADD COLUMN weight MEDIUMINT DEFAULT 100 AFTER status", ct).ConfigureAwait(false);
        if (!(await ColumnTypeAsync("device", "status", ct).ConfigureAwait(false) ?? "").Contains("readonly", StringComparison.Ordinal))
            await ExecAsync("ALTER TABLE device MODIFY COLUMN status ENUM('alive', 'dead', 'down', 'readonly')", ct).ConfigureAwait(false);
        if (!(await ColumnTypeAsync("device", "status", ct).ConfigureAwait(false) ?? "").Contains("drain", StringComparison.Ordinal))
            await ExecAsync("ALTER TABLE device MODIFY COLUMN status ENUM('alive', 'dead', 'down', 'readonly', 'drain')", ct).ConfigureAwait(false);
        await AddColumnIfMissingAsync("class", "replpolicy", "VARCHAR(255)", ct).ConfigureAwait(false);
        if (!(await ColumnTypeAsync("server_settings", "value", ct).ConfigureAwait(false) ?? "").Contains("text", StringComparison.OrdinalIgnoreCase))
            await ExecAsync("ALTER TABLE server_settings MODIFY COLUMN value TEXT", ct).ConfigureAwait(false);
        await AddColumnIfMissingAsync("file_to_queue", "arg", "TEXT", ct).ConfigureAwait(false);
        foreach (var col in (string[])["mb_total", "mb_used"])
            if ((await ColumnTypeAsync("device", col, ct).ConfigureAwait(false) ?? "").Contains("mediumint", StringComparison.OrdinalIgnoreCase))
                await ExecAsync($"ALTER TABLE device MODIFY COLUMN {col} INT UNSIGNED", ct).ConfigureAwait(false);
        await AddColumnIfMissingAsync("class", "hashtype", "TINYINT UNSIGNED", ct).ConfigureAwait(false);
        if (!System.Text.RegularExpressions.Regex.IsMatch(await ColumnTypeAsync("host", "status", ct).ConfigureAwait(false) ?? "", @"\breadonly\b"))
            await ExecAsync("ALTER TABLE host MODIFY COLUMN status ENUM('alive', 'dead', 'down', 'readonly')", ct).ConfigureAwait(false);
    }

    public override Task WriteVersionAsync(int version, CancellationToken ct) =>
        ExecAsync("REPLACE INTO server_settings (field, value) VALUES ('schema_version', @v)", ct,
            ("@v", version.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    protected override async Task<bool> TableExistsAsync(string table, CancellationToken ct) =>
        Convert.ToInt64(await ScalarAsync("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @t",
            ct, ("@t", table)).ConfigureAwait(false) ?? 0L, System.Globalization.CultureInfo.InvariantCulture) > 0;

    /// <summary>The column's full type as DESCRIBE shows it (<c>enum('alive',...)</c>, <c>mediumint(8) unsigned</c>).</summary>
    protected override async Task<string?> ColumnTypeAsync(string table, string column, CancellationToken ct) =>
        await ScalarAsync("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @t AND COLUMN_NAME = @c",
            ct, ("@t", table), ("@c", column)).ConfigureAwait(false) as string;

    // schema.md §2: BIGINT fids unless an existing file.fid is INT (and MOG_FIDSIZE isn't "big").
    private async Task<string> FidTypeAsync(CancellationToken ct)
    {
        if (_fidType != null) return _fidType;
        if (Environment.GetEnvironmentVariable("MOG_FIDSIZE") == "big") return _fidType = "BIGINT";
        string? existing = await ColumnTypeAsync("file", "fid", ct).ConfigureAwait(false);
        return _fidType = existing != null && !existing.Contains("bigint", StringComparison.OrdinalIgnoreCase) ? "INT" : "BIGINT";
    }
}
