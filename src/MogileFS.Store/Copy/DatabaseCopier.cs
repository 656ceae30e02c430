using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MogileFS.Store.Schema;
using Microsoft.Data.Sqlite;

namespace MogileFS.Store.Copy;

public sealed class CopyOptions
{
    /// <summary>Rows per INSERT statement (and per target transaction).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Empty a target that already holds data instead of refusing it.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Progress lines (one per table).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>How many differing rows per table are described in the report.</summary>
    public int MaxDifferencesShown { get; init; } = 5;
}

/// <summary>The outcome of copying or comparing one table.</summary>
public sealed record TableComparison(string Table, long SourceRows, long TargetRows, string SourceHash, string TargetHash,
    long Differences, IReadOnlyList<string> Examples, long RowsCopied, TimeSpan CopyTime)
{
    public bool Equal => Differences == 0 && SourceRows == TargetRows && SourceHash == TargetHash;
}

/// <summary>An id generator (tempfile.fid, fsck_log.logid): the highest id used or handed out.</summary>
public sealed record GeneratorComparison(string Name, long Source, long Target)
{
    /// <summary>The target never hands out an id the source has used.</summary>
    public bool Ok => Target >= Source;
}

public sealed record CopyReport(IReadOnlyList<TableComparison> Tables, IReadOnlyList<GeneratorComparison> Generators, TimeSpan Elapsed)
{
    public bool Equal => Tables.All(t => t.Equal) && Generators.All(g => g.Ok);
    public long RowsCopied => Tables.Sum(t => t.RowsCopied);
    public long SourceRows => Tables.Sum(t => t.SourceRows);
}

/// <summary>A copy that cannot go on (non-empty target, wrong schema version, a value the target cannot hold).</summary>
public sealed class CopyException(string message) : Exception(message);

/// <summary>
/// Copies a MogileFS database (schema version 17) from one database to another of any kind (SQLite,
/// PostgreSQL, MySQL), and compares two databases row by row. Rows keep their ids (fids, dmids,
/// hostids, logids...), <c>server_settings</c> is copied as it is, and the target's id generators
/// (tempfile.fid, fsck_log.logid) are moved past every id the source used or handed out, so a new
/// upload never reuses the fid of a file deleted on the source. The source is read inside one
/// snapshot (repeatable-read transaction), so copy and comparison see the same rows even while
/// trackers keep writing; rows written after the snapshot are not copied.
/// </summary>
public static class DatabaseCopier
{
    /// <summary>Creates the target schema if needed, refuses a non-empty target (unless
    /// <see cref="CopyOptions.Overwrite"/>), copies every table in batches, sets the generators, then
    /// compares every row of source and target.</summary>
    public static async Task<CopyReport> CopyAsync(DbConnection source, DatabaseKind sourceKind, DbConnection target, DatabaseKind targetKind,
        CopyOptions? options = null, CancellationToken ct = default)
    {
        options ??= new CopyOptions();
        var log = options.Log ?? (_ => { });
        var total = Stopwatch.StartNew();
        await RequireVersion17Async(source, "source", ct).ConfigureAwait(false);

        var install = await SchemaInstaller.InstallAsync(target, new SchemaInstallOptions(), ct).ConfigureAwait(false);
        if (!install.AlreadyUpToDate) log($"target: created schema version {install.Version}");
        await RequireVersion17Async(target, "target", ct).ConfigureAwait(false);

        var occupied = await OccupiedTablesAsync(target, ct).ConfigureAwait(false);
        if (occupied.Count > 0)
        {
            if (!options.Overwrite)
                throw new CopyException("The target database is not empty (" + string.Join(", ", occupied) +
                                        "); refusing to copy over it. Use --overwrite to delete its rows first.");
            foreach (var t in SchemaTables.All)
                await ExecAsync(target, null, $"DELETE FROM {t.Name}", ct).ConfigureAwait(false);
            log("target: emptied (" + string.Join(", ", occupied) + ")");
        }

        await using var snapshot = await BeginSnapshotAsync(source, sourceKind, ct).ConfigureAwait(false);
        var copied = new Dictionary<string, (long Rows, TimeSpan Time)>();
        foreach (var table in SchemaTables.All)
        {
            var sw = Stopwatch.StartNew();
            long n = await CopyTableAsync(source, snapshot, table, target, targetKind, options.BatchSize, ct).ConfigureAwait(false);
            copied[table.Name] = (n, sw.Elapsed);
            log($"{table.Name}: {n} rows copied in {sw.Elapsed.TotalSeconds:0.000}s");
        }

        var generators = new List<GeneratorComparison>();
        foreach (var g in Generators)
        {
            long used = await HighWaterAsync(source, snapshot, sourceKind, g, ct).ConfigureAwait(false);
            await SetGeneratorAsync(target, targetKind, g, used, ct).ConfigureAwait(false);
        }

        var report = await CompareCoreAsync(source, snapshot, sourceKind, target, targetKind, options, copied, ct).ConfigureAwait(false);
        await snapshot.CommitAsync(ct).ConfigureAwait(false);
        return report with { Elapsed = total.Elapsed };
    }

    /// <summary>Compares every row of every table (and the id generators) of two databases.</summary>
    public static async Task<CopyReport> CompareAsync(DbConnection source, DatabaseKind sourceKind, DbConnection target, DatabaseKind targetKind,
        CopyOptions? options = null, CancellationToken ct = default)
    {
        options ??= new CopyOptions();
        var total = Stopwatch.StartNew();
        await RequireVersion17Async(source, "source", ct).ConfigureAwait(false);
        await RequireVersion17Async(target, "target", ct).ConfigureAwait(false);
        await using var snapshot = await BeginSnapshotAsync(source, sourceKind, ct).ConfigureAwait(false);
        var report = await CompareCoreAsync(source, snapshot, sourceKind, target, targetKind, options, null, ct).ConfigureAwait(false);
        await snapshot.CommitAsync(ct).ConfigureAwait(false);
        return report with { Elapsed = total.Elapsed };
    }

    // ---- comparison ---------------------------------------------------------------------------

    private static async Task<CopyReport> CompareCoreAsync(DbConnection source, DbTransaction snapshot, DatabaseKind sourceKind,
        DbConnection target, DatabaseKind targetKind, CopyOptions options, Dictionary<string, (long Rows, TimeSpan Time)>? copied, CancellationToken ct)
    {
        var log = options.Log ?? (_ => { });
        var tables = new List<TableComparison>();
        await using var targetSnapshot = await BeginSnapshotAsync(target, targetKind, ct).ConfigureAwait(false);
        foreach (var table in SchemaTables.All)
        {
            var c = await CompareTableAsync(source, snapshot, target, targetSnapshot, table, options.MaxDifferencesShown, ct).ConfigureAwait(false);
            if (copied != null && copied.TryGetValue(table.Name, out var cp)) c = c with { RowsCopied = cp.Rows, CopyTime = cp.Time };
            tables.Add(c);
            log(c.Equal
                ? $"{table.Name}: {c.SourceRows} rows equal (sha256 {c.SourceHash[..16]})"
                : $"{table.Name}: MISMATCH: source {c.SourceRows} rows (sha256 {c.SourceHash[..16]}), target {c.TargetRows} rows (sha256 {c.TargetHash[..16]}), {c.Differences} rows differ");
            foreach (var e in c.Examples) log("  " + e);
        }
        var generators = new List<GeneratorComparison>();
        foreach (var g in Generators)
        {
            long s = await HighWaterAsync(source, snapshot, sourceKind, g, ct).ConfigureAwait(false);
            long t = await HighWaterAsync(target, targetSnapshot, targetKind, g, ct).ConfigureAwait(false);
            var gc = new GeneratorComparison(g.Name, s, t);
            generators.Add(gc);
            log(gc.Ok ? $"{g.Name}: next id {t + 1} (source used up to {s})" : $"{g.Name}: MISMATCH: target would hand out {t + 1}, but the source used up to {s}");
        }
        await targetSnapshot.CommitAsync(ct).ConfigureAwait(false);
        return new CopyReport(tables, generators, TimeSpan.Zero);
    }

    private static async Task<TableComparison> CompareTableAsync(DbConnection source, DbTransaction sourceTx, DbConnection target, DbTransaction targetTx,
        SchemaTable table, int maxExamples, CancellationToken ct)
    {
        var keys = table.KeyOrdinals;
        using var sourceHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var targetHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long sourceRows = 0, targetRows = 0, differences = 0;
        var examples = new List<string>();
        void Note(string text)
        {
            differences++;
            if (examples.Count < maxExamples) examples.Add(text);
        }

        await using var s = ReadCanonical(source, sourceTx, table, ct).GetAsyncEnumerator(ct);
        await using var t = ReadCanonical(target, targetTx, table, ct).GetAsyncEnumerator(ct);
        bool hasS = await s.MoveNextAsync().ConfigureAwait(false), hasT = await t.MoveNextAsync().ConfigureAwait(false);
        while (hasS || hasT)
        {
            int order = !hasS ? 1 : !hasT ? -1 : CompareKeys(s.Current, t.Current, keys, table);
            if (order <= 0) { sourceRows++; AddRow(sourceHash, s.Current); }
            if (order >= 0) { targetRows++; AddRow(targetHash, t.Current); }
            if (order < 0) Note($"{table.Name} {Describe(table, s.Current, true)}: missing in the target");
            else if (order > 0) Note($"{table.Name} {Describe(table, t.Current, true)}: only in the target");
            else if (!s.Current.AsSpan().SequenceEqual(t.Current))
                Note($"{table.Name} {Describe(table, s.Current, true)}: source {Describe(table, s.Current, false)}, target {Describe(table, t.Current, false)}");
            if (order <= 0) hasS = await s.MoveNextAsync().ConfigureAwait(false);
            if (order >= 0) hasT = await t.MoveNextAsync().ConfigureAwait(false);
        }
        return new TableComparison(table.Name, sourceRows, targetRows, Convert.ToHexStringLower(sourceHash.GetHashAndReset()),
            Convert.ToHexStringLower(targetHash.GetHashAndReset()), differences, examples, 0, TimeSpan.Zero);
    }

    private static int CompareKeys(string[] a, string[] b, int[] keys, SchemaTable table)
    {
        foreach (int k in keys)
        {
            int c = table.Columns[k].Kind == ColumnKind.Integer
                ? CompareIntegers(a[k], b[k])
                : string.CompareOrdinal(a[k], b[k]);
            if (c != 0) return c;
        }
        return 0;
    }

    private static int CompareIntegers(string a, string b) =>
        decimal.Parse(a[1..], CultureInfo.InvariantCulture).CompareTo(decimal.Parse(b[1..], CultureInfo.InvariantCulture));

    private static void AddRow(IncrementalHash h, string[] row)
    {
        foreach (var v in row)
        {
            var bytes = Encoding.UTF8.GetBytes(v);
            h.AppendData(BitConverter.GetBytes(bytes.Length));
            h.AppendData(bytes);
        }
    }

    private static string Describe(SchemaTable table, string[] row, bool keyOnly)
    {
        var parts = new List<string>();
        for (int i = 0; i < row.Length; i++)
        {
            if (keyOnly != table.PrimaryKey.Contains(table.Columns[i].Name)) continue;
            string v = row[i];
            string shown = v[0] switch
            {
                'N' => "NULL",
                'i' => v[1..],
                's' => "'" + v[1..] + "'",
                _ => "0x" + v[1..],
            };
            parts.Add($"{table.Columns[i].Name}={shown}");
        }
        return string.Join(keyOnly ? "," : " ", parts);
    }

    /// <summary>Rows as canonical strings, ordered by primary key: "N" NULL, "i123" integer, "s..."
    /// text, "xABCD" bytes (binary columns, and text that is not valid UTF-8).</summary>
    private static async IAsyncEnumerable<string[]> ReadCanonical(DbConnection c, DbTransaction tx, SchemaTable table,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (!table.IntegerKey)
        {
            var rows = new List<string[]>();
            await foreach (var r in ReadRawAsync(c, tx, table, ordered: false, ct).ConfigureAwait(false)) rows.Add(Canonical(table, r));
            int[] keys = table.KeyOrdinals;
            rows.Sort((a, b) => CompareKeys(a, b, keys, table));
            foreach (var r in rows) yield return r;
            yield break;
        }
        await foreach (var r in ReadRawAsync(c, tx, table, ordered: true, ct).ConfigureAwait(false)) yield return Canonical(table, r);
    }

    private static string[] Canonical(SchemaTable table, object?[] raw)
    {
        var result = new string[raw.Length];
        for (int i = 0; i < raw.Length; i++) result[i] = Canonical(table.Columns[i].Kind, raw[i]);
        return result;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private static string Canonical(ColumnKind kind, object? v)
    {
        if (v is null or DBNull) return "N";
        switch (kind)
        {
            case ColumnKind.Integer:
                return "i" + ToInteger(v).ToString(CultureInfo.InvariantCulture);
            case ColumnKind.Text:
                if (v is byte[] b)
                {
                    try { return "s" + StrictUtf8.GetString(b); }
                    catch (DecoderFallbackException) { return "x" + Convert.ToHexString(b); }
                }
                return "s" + Convert.ToString(v, CultureInfo.InvariantCulture);
            default:
                return "x" + Convert.ToHexString(v is byte[] bytes ? bytes : Encoding.UTF8.GetBytes(Convert.ToString(v, CultureInfo.InvariantCulture)!));
        }
    }

    private static decimal ToInteger(object v) => v switch
    {
        string s => decimal.Parse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture),
        bool b => b ? 1 : 0,
        _ => Convert.ToDecimal(v, CultureInfo.InvariantCulture),
    };

    // ---- copying ------------------------------------------------------------------------------

    private static async IAsyncEnumerable<object?[]> ReadRawAsync(DbConnection c, DbTransaction? tx, SchemaTable table, bool ordered,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandTimeout = 0;
        cmd.CommandText = $"SELECT {string.Join(", ", table.Columns.Select(x => x.Name))} FROM {table.Name}" +
                          (ordered ? " ORDER BY " + string.Join(", ", table.PrimaryKey) : "");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var row = new object?[table.Columns.Count];
            for (int i = 0; i < row.Length; i++)
            {
                if (await r.IsDBNullAsync(i, ct).ConfigureAwait(false)) { row[i] = null; continue; }
                row[i] = table.Columns[i].Kind == ColumnKind.Text && r.GetFieldType(i) != typeof(byte[]) ? r.GetString(i) : r.GetValue(i);
            }
            yield return row;
        }
    }

    private static async Task<long> CopyTableAsync(DbConnection source, DbTransaction snapshot, SchemaTable table, DbConnection target,
        DatabaseKind targetKind, int batchSize, CancellationToken ct)
    {
        long n = 0;
        // The target's schema_version row is replaced by the source's in the same transaction as
        // the settings themselves (the source is at 17 as well), so the target never lacks it.
        if (table.Name == "server_settings") batchSize = int.MaxValue;
        var batch = new List<object?[]>(Math.Min(batchSize, 10000));
        await foreach (var row in ReadRawAsync(source, snapshot, table, ordered: table.IntegerKey, ct).ConfigureAwait(false))
        {
            batch.Add(row);
            if (batch.Count < batchSize) continue;
            n += await InsertBatchAsync(target, targetKind, table, batch, ct).ConfigureAwait(false);
            batch.Clear();
        }
        if (batch.Count > 0) n += await InsertBatchAsync(target, targetKind, table, batch, ct).ConfigureAwait(false);
        return n;
    }

    private static async Task<int> InsertBatchAsync(DbConnection target, DatabaseKind kind, SchemaTable table, List<object?[]> rows, CancellationToken ct)
    {
        await using var tx = await target.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (table.Name == "server_settings") await ExecAsync(target, tx, "DELETE FROM server_settings", ct).ConfigureAwait(false);
        await using var cmd = target.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandTimeout = 0;
        var sql = new StringBuilder($"INSERT INTO {table.Name} ({string.Join(", ", table.Columns.Select(x => x.Name))}) VALUES ");
        for (int r = 0; r < rows.Count; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (int i = 0; i < table.Columns.Count; i++)
            {
                string name = $"@p{r}_{i}";
                sql.Append(i == 0 ? name : ", " + name);
                var p = cmd.CreateParameter();
                p.ParameterName = name;
                var column = table.Columns[i];
                p.DbType = column.Kind switch
                {
                    ColumnKind.Integer => DbType.Int64,
                    ColumnKind.Text => DbType.String,
                    _ => DbType.Binary,
                };
                p.Value = ToTarget(kind, table, column, rows[r], rows[r][i]);
                if (p.Value is byte[] && column.Kind == ColumnKind.Text) p.DbType = DbType.Binary;
                cmd.Parameters.Add(p);
            }
            sql.Append(')');
        }
        cmd.CommandText = sql.ToString();
        int n = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return n;
    }

    private static object ToTarget(DatabaseKind kind, SchemaTable table, TableColumn column, object?[] row, object? v)
    {
        if (v is null or DBNull) return DBNull.Value;
        switch (column.Kind)
        {
            case ColumnKind.Integer:
                var d = ToInteger(v);
                return d <= long.MaxValue ? (long)d : throw new CopyException($"{table.Name}.{column.Name} = {d} does not fit a 64-bit integer");
            case ColumnKind.Text:
                if (v is not byte[] bytes) return Convert.ToString(v, CultureInfo.InvariantCulture)!;
                try { return StrictUtf8.GetString(bytes); }
                catch (DecoderFallbackException)
                {
                    // SQLite keeps such byte strings as BLOBs (as 2.73 did); the others store text only.
                    if (kind == DatabaseKind.Sqlite) return bytes;
                    var key = string.Join(",", table.PrimaryKey.Select(k => k + "=" + Convert.ToString(row[table.Columns.ToList().FindIndex(c => c.Name == k)], CultureInfo.InvariantCulture)));
                    throw new CopyException($"{table.Name} ({key}): {column.Name} is not valid UTF-8 (0x{Convert.ToHexString(bytes)}); a {kind} database cannot store it as text");
                }
            default:
                return v is byte[] b ? b : Encoding.UTF8.GetBytes(Convert.ToString(v, CultureInfo.InvariantCulture)!);
        }
    }

    // ---- id generators --------------------------------------------------------------------------

    private sealed record Generator(string Name, string Table, string Column, string PostgresSequence, IReadOnlyList<string> UsedIn);

    private static readonly Generator[] Generators =
    [
        new("fid generator (tempfile.fid)", "tempfile", "fid", "tempfile_fid_seq", SchemaTables.FidTables),
        new("fsck_log.logid", "fsck_log", "logid", "fsck_log_logid_seq", ["fsck_log"]),
    ];

    /// <summary>The highest id the generator handed out or any table uses.</summary>
    private static async Task<long> HighWaterAsync(DbConnection c, DbTransaction? tx, DatabaseKind kind, Generator g, CancellationToken ct)
    {
        long high = await GeneratorValueAsync(c, tx, kind, g, ct).ConfigureAwait(false);
        foreach (var t in g.UsedIn)
        {
            object? v = await ScalarAsync(c, tx, $"SELECT MAX({g.Column}) FROM {t}", ct).ConfigureAwait(false);
            if (v != null) high = Math.Max(high, (long)ToInteger(v));
        }
        return high;
    }

    /// <summary>The last id the generator handed out (0 when none).</summary>
    private static async Task<long> GeneratorValueAsync(DbConnection c, DbTransaction? tx, DatabaseKind kind, Generator g, CancellationToken ct)
    {
        switch (kind)
        {
            case DatabaseKind.Sqlite:
            {
                object? v = await ScalarAsync(c, tx, $"SELECT seq FROM sqlite_sequence WHERE name = '{g.Table}'", ct).ConfigureAwait(false);
                return v == null ? 0 : (long)ToInteger(v);
            }
            case DatabaseKind.Postgres:
            {
                await using var cmd = c.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = $"SELECT last_value, is_called FROM {g.PostgresSequence}";
                await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (!await r.ReadAsync(ct).ConfigureAwait(false)) return 0;
                long last = Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture);
                return r.GetBoolean(1) ? last : last - 1;
            }
            default:
            {
                // MySQL 8 caches information_schema statistics; MariaDB has no such variable.
                try { await ExecAsync(c, tx, "SET SESSION information_schema_stats_expiry = 0", ct).ConfigureAwait(false); }
                catch (DbException) { }
                object? v = await ScalarAsync(c, tx,
                    $"SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{g.Table}'", ct).ConfigureAwait(false);
                return v == null ? 0 : (long)ToInteger(v) - 1;
            }
        }
    }

    private static async Task SetGeneratorAsync(DbConnection c, DatabaseKind kind, Generator g, long used, CancellationToken ct)
    {
        if (used <= 0) return;
        string u = used.ToString(CultureInfo.InvariantCulture);
        switch (kind)
        {
            case DatabaseKind.Sqlite:
                if (await ExecAsync(c, null, $"UPDATE sqlite_sequence SET seq = {u} WHERE name = '{g.Table}'", ct).ConfigureAwait(false) == 0)
                    await ExecAsync(c, null, $"INSERT INTO sqlite_sequence (name, seq) VALUES ('{g.Table}', {u})", ct).ConfigureAwait(false);
                break;
            case DatabaseKind.Postgres:
                await ScalarAsync(c, null, $"SELECT setval('{g.PostgresSequence}', {u}, true)", ct).ConfigureAwait(false);
                break;
            default:
                await ExecAsync(c, null, $"ALTER TABLE {g.Table} AUTO_INCREMENT = {(used + 1).ToString(CultureInfo.InvariantCulture)}", ct).ConfigureAwait(false);
                break;
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static async Task RequireVersion17Async(DbConnection c, string which, CancellationToken ct)
    {
        int v = await SchemaInstaller.ReadVersionAsync(c, ct).ConfigureAwait(false);
        if (v != SchemaInstaller.CurrentVersion)
            throw new CopyException($"The {which} database is at schema version {v}, not {SchemaInstaller.CurrentVersion}; run mogdbsetup on it first.");
    }

    private static async Task<List<string>> OccupiedTablesAsync(DbConnection c, CancellationToken ct)
    {
        var list = new List<string>();
        foreach (var t in SchemaTables.All)
        {
            string where = t.Name == "server_settings" ? " WHERE field <> 'schema_version'" : "";
            long n = (long)ToInteger(await ScalarAsync(c, null, $"SELECT COUNT(*) FROM {t.Name}{where}", ct).ConfigureAwait(false) ?? 0L);
            if (n > 0) list.Add($"{t.Name}: {n} rows");
        }
        return list;
    }

    /// <summary>A read transaction that sees one snapshot (repeatable read; SQLite: a deferred
    /// transaction, which never blocks the trackers' writers).</summary>
    private static async Task<DbTransaction> BeginSnapshotAsync(DbConnection c, DatabaseKind kind, CancellationToken ct)
    {
        if (c is SqliteConnection sqlite) return sqlite.BeginTransaction(deferred: true);
        return await c.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
    }

    private static async Task<int> ExecAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandTimeout = 0;
        cmd.CommandText = sql;
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandTimeout = 0;
        cmd.CommandText = sql;
        object? v = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return v is DBNull ? null : v;
    }
}
