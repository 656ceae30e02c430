using System.Data.Common;
using Microsoft.Data.Sqlite;
using SQLitePCL;
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
    private readonly string[] _files;
    private readonly Timer _guard;
    private volatile bool _shmFrozen;

    public SqliteMetadataStore(string path, StoreOptions? options = null) : base(options)
    {
        Path = path;
        _files = [path, path + "-wal", path + "-shm"];
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = false,
            Mode = SqliteOpenMode.ReadWrite, // the schema is created by mogdbsetup / SchemaInstaller, never implicitly
            DefaultTimeout = Math.Max(1, Options.SqliteBusyTimeoutMs / 1000),
        }.ToString();
        _readers = new SessionPool(Math.Max(1, Options.MaxConnections), ct => OpenSessionAsync(ct));
        _writer = new SessionPool(1, ct => OpenSessionAsync(ct));
        _guard = new Timer(static o => ((SqliteMetadataStore)o!).CheckShm(), this, ShmCheckPeriod, ShmCheckPeriod);
        // One writer connection: concurrent writes share a transaction and a commit (GroupCommit.cs).
        GroupCommit = new GroupCommit(this, static (s, sql) => Exec(((SqliteConnection)s.Connection).Handle!, sql));
    }

    // ---- unwritable database files (issue 17) ----------------------------------------------
    //
    // In WAL mode every connection maps the -shm file and writes into it (readers too, to mark what
    // they read). If that file becomes unwritable under us (chattr +i, a read-only remount), the
    // kernel answers the next store into a clean page of the mapping with SIGBUS, which kills the
    // process from inside SQLite. So: every write transaction first checks that the database, -wal
    // and -shm files are writable (one access(2) each) and fails cleanly if not; reads are refused
    // while a timer (every 10 ms) finds the -shm unwritable. Once writable again, the next request
    // works on the same connections. What is left is the time between the file changing and the
    // next check (up to 10 ms), and only a store into a page the kernel has just written back
    // faults in it; chattr(1) gives no inotify event, so polling is the only notice there is. The
    // check is one access(2) call: 100 a second cost ~0.01 % of a core.

    private static readonly TimeSpan ShmCheckPeriod = TimeSpan.FromMilliseconds(10);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "access", SetLastError = true)]
    private static extern int Access([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int mode);

    private const int W_OK = 2, ENOENT = 2;

    /// <summary>The file does not exist or this process may write it.</summary>
    private static bool Writable(string file)
    {
        if (Access(file, W_OK) == 0) return true;
        return System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == ENOENT;
    }

    private void CheckShm()
    {
        try { _shmFrozen = !Writable(_files[2]); }
        catch (Exception) { /* no libc: nothing to guard against */ }
    }

    private void EnsureFilesWritable()
    {
        foreach (var f in _files)
        {
            if (!Writable(f))
            {
                if (f == _files[2]) _shmFrozen = true;
                throw new StoreUnavailableException($"SQLite database file {f} is not writable");
            }
        }
        _shmFrozen = false;
    }

    public string Path { get; }

    /// <summary>Write transactions committed by group commit, and the write bodies they carried
    /// (a body that ran alone is in neither).</summary>
    public (long Commits, long Bodies) GroupCommitCounts => (GroupCommit!.Commits, GroupCommit.Bodies);

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

    protected override ValueTask<StoreSession> RentAsync(bool write, CancellationToken ct)
    {
        if (write) return _writer.RentAsync(ct);
        if (_shmFrozen) CheckShm();
        if (_shmFrozen) throw new StoreUnavailableException($"SQLite database file {_files[2]} is not writable");
        return _readers.RentAsync(ct);
    }

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

    // READONLY (8) belongs here: once SQLite found the database or its -wal/-shm not writable it
    // keeps the connection read-only for good (issue 17: writes failed until a restart although
    // the file was writable again), so only a new connection sees the file as it is now.
    protected override bool IsConnectionError(Exception e) =>
        e is SqliteException { SqliteErrorCode: 3 or 8 or 10 or 11 or 14 or 26 } // PERM, READONLY, IOERR, CORRUPT, CANTOPEN, NOTADB
        || e is InvalidOperationException;

    /// <summary>
    /// BEGIN IMMEDIATE issued directly, with SQLite's busy handler set to exactly the time the write
    /// has left: Microsoft.Data.Sqlite's own busy loop counts in whole seconds of its command timeout
    /// and would overrun the write bound by up to a second. Commands of the body run in this
    /// transaction without a transaction object (the driver does not know of it), which SQLite allows.
    /// </summary>
    protected internal override ValueTask BeginWriteAsync(StoreSession s, TimeSpan lockWait, CancellationToken ct)
    {
        EnsureFilesWritable();
        if (lockWait == Timeout.InfiniteTimeSpan) return s.BeginAsync(ct);
        var db = ((SqliteConnection)s.Connection).Handle!;
        raw.sqlite3_busy_timeout(db, (int)Math.Clamp(lockWait.TotalMilliseconds, 0, int.MaxValue));
        try
        {
            Exec(db, "BEGIN IMMEDIATE");
        }
        finally
        {
            raw.sqlite3_busy_timeout(db, Math.Min(250, Options.SqliteBusyTimeoutMs));
        }
        s.RawTransaction = true;
        return ValueTask.CompletedTask;
    }

    protected internal override ValueTask CommitWriteAsync(StoreSession s, CancellationToken ct)
    {
        if (!s.RawTransaction) return s.CommitAsync(ct);
        var db = ((SqliteConnection)s.Connection).Handle!;
        Exec(db, "COMMIT");
        s.RawTransaction = false;
        return ValueTask.CompletedTask;
    }

    protected internal override ValueTask<bool> RollbackWriteAsync(StoreSession s)
    {
        if (!s.RawTransaction) return s.TryRollbackAsync();
        s.RawTransaction = false;
        try
        {
            var db = ((SqliteConnection)s.Connection).Handle!;
            if (raw.sqlite3_get_autocommit(db) == 0) Exec(db, "ROLLBACK");
            return ValueTask.FromResult(s.IsHealthy() && raw.sqlite3_get_autocommit(db) != 0);
        }
        catch (Exception)
        {
            return ValueTask.FromResult(false);
        }
    }

    private static void Exec(sqlite3 db, string sql)
    {
        int rc = raw.sqlite3_exec(db, sql);
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, db);
    }

    // ---- list_keys without the driver's reader ---------------------------------------------
    //
    // list_keys reads up to 1,000 keys per call. Through Microsoft.Data.Sqlite each key costs a
    // reader call with SafeHandle reference counting per column, a string, an ASCII check (and for
    // non-ASCII keys a second read as bytes). Here the statement is prepared once per pooled reader
    // connection (SQLITE_PREPARE_PERSISTENT) and each row's bytes are copied straight into the
    // caller's KeyList. Same SQL and the same bound bytes as the generic path, so the same rows.

    public override ValueTask ListKeysAsync(int dmid, string likePattern, string after, int limit, bool caseSensitive, KeyList into, CancellationToken ct)
    {
        into.Clear();
        if (limit <= 0) return ValueTask.CompletedTask;
        return ReadAsync((dmid, likePattern, after, limit, caseSensitive, into), static (s, a, ct) =>
        {
            a.into.Clear(); // a retried attempt starts over
            var statements = s.Native as ListKeysStatements ?? (ListKeysStatements)(s.Native = new ListKeysStatements());
            var db = ((SqliteConnection)s.Connection).Handle!;
            var st = statements.Get(s, db, a.caseSensitive);
            var (_, pattern) = s.Dialect.ListKeysPattern(a.likePattern, a.caseSensitive);
            try
            {
                Check(raw.sqlite3_bind_int64(st.Stmt, st.Dmid, a.dmid), db);
                Check(raw.sqlite3_bind_int64(st.Stmt, st.Limit, a.limit), db);
                BindBytes(statements, st.Stmt, st.After, a.after, db);
                BindBytes(statements, st.Stmt, st.Pattern, pattern, db);
                int rc = UseNativeRows ? NativeRows.ReadFirstColumn(st.Stmt, a.into) : ReadFirstColumn(st.Stmt, a.into);
                if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, db);
            }
            finally
            {
                raw.sqlite3_reset(st.Stmt);
            }
            return ValueTask.FromResult(true);
        }, ct).AsValueTaskVoid();
    }

    /// <summary>Read rows with direct calls into e_sqlite3 (when it is there); tests switch it off to
    /// cover the SQLitePCLRaw loop.</summary>
    internal static bool UseNativeRows { get; set; } = NativeRows.Available;

    private static int ReadFirstColumn(sqlite3_stmt stmt, KeyList into)
    {
        int rc;
        while ((rc = raw.sqlite3_step(stmt)) == raw.SQLITE_ROW) into.Add(raw.sqlite3_column_blob(stmt, 0));
        return rc;
    }

    /// <summary>
    /// The row loop straight against the e_sqlite3 library SQLitePCLRaw loaded (same name, so the same
    /// file and the same loaded instance): one reference count on the statement handle per call instead
    /// of two per row, and no GC transition for the two column calls (short, non-blocking). Without
    /// that library (another SQLite provider) the SQLitePCLRaw loop above is used.
    /// </summary>
    private static class NativeRows
    {
        public static readonly bool Available = Probe();

        private static bool Probe()
        {
            try
            {
                return System.Runtime.InteropServices.NativeLibrary.TryLoad("e_sqlite3", typeof(NativeRows).Assembly, null, out var h)
                    && System.Runtime.InteropServices.NativeLibrary.TryGetExport(h, "sqlite3_column_blob", out _)
                    && raw.GetNativeLibraryName() == "e_sqlite3";
            }
            catch (Exception) { return false; }
        }

        [System.Runtime.InteropServices.DllImport("e_sqlite3", EntryPoint = "sqlite3_step")]
        private static extern int Step(IntPtr stmt);

        [System.Runtime.InteropServices.DllImport("e_sqlite3", EntryPoint = "sqlite3_column_blob"), System.Runtime.InteropServices.SuppressGCTransition]
        private static extern IntPtr ColumnBlob(IntPtr stmt, int column);

        [System.Runtime.InteropServices.DllImport("e_sqlite3", EntryPoint = "sqlite3_column_bytes"), System.Runtime.InteropServices.SuppressGCTransition]
        private static extern int ColumnBytes(IntPtr stmt, int column);

        public static int ReadFirstColumn(sqlite3_stmt stmt, KeyList into)
        {
            bool added = false;
            stmt.DangerousAddRef(ref added);
            try
            {
                IntPtr p = stmt.DangerousGetHandle();
                int rc;
                while ((rc = Step(p)) == raw.SQLITE_ROW)
                {
                    IntPtr blob = ColumnBlob(p, 0); // blob before bytes, as SQLite asks
                    into.Add(blob, ColumnBytes(p, 0));
                }
                return rc;
            }
            finally
            {
                if (added) stmt.DangerousRelease();
            }
        }
    }

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, db);
    }

    /// <summary>Binds a byte string's bytes as a BLOB (the statement CASTs it to TEXT, which keeps the
    /// bytes as they are, valid UTF-8 or not); an empty string as empty TEXT (an empty BLOB would be NULL).</summary>
    private static void BindBytes(ListKeysStatements cache, sqlite3_stmt stmt, int index, string value, sqlite3 db)
    {
        if (value.Length == 0) { Check(raw.sqlite3_bind_text(stmt, index, ""), db); return; }
        if (cache.Scratch.Length < value.Length) cache.Scratch = new byte[Math.Max(value.Length, cache.Scratch.Length * 2)];
        int n = ByteString.ToBytes(value, cache.Scratch);
        Check(raw.sqlite3_bind_blob(stmt, index, cache.Scratch.AsSpan(0, n)), db);
    }

    private sealed record ListKeysStatement(sqlite3_stmt Stmt, int Dmid, int After, int Limit, int Pattern);

    /// <summary>list_keys' two statements (case-insensitive and case-sensitive match) on one connection.</summary>
    private sealed class ListKeysStatements : IDisposable
    {
        private ListKeysStatement? _insensitive, _sensitive;
        public byte[] Scratch = new byte[256];

        public ListKeysStatement Get(StoreSession s, sqlite3 db, bool caseSensitive)
        {
            ref var slot = ref caseSensitive ? ref _sensitive : ref _insensitive;
            return slot ??= Prepare(s, db, caseSensitive);
        }

        private static ListKeysStatement Prepare(StoreSession s, sqlite3 db, bool caseSensitive)
        {
            var sql = s.Store.RewriteSql(s.Dialect.ListKeysSql(caseSensitive));
            Check(raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out var stmt), db);
            int Index(string name)
            {
                int i = raw.sqlite3_bind_parameter_index(stmt, name);
                if (i == 0) { stmt.Dispose(); throw new InvalidOperationException($"list_keys statement has no parameter {name}"); }
                return i;
            }
            var (pname, _) = s.Dialect.ListKeysPattern("", caseSensitive);
            return new ListKeysStatement(stmt, Index("@d"), Index("@a"), Index("@n"), Index(pname));
        }

        public void Dispose()
        {
            _insensitive?.Stmt.Dispose();
            _sensitive?.Stmt.Dispose();
            _insensitive = _sensitive = null;
        }
    }

    internal override Dialects.SqlDialect Dialect => Dialects.SqliteDialect.Instance;

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
        await GroupCommit!.StopAsync().ConfigureAwait(false);
        await _guard.DisposeAsync().ConfigureAwait(false);
        // Closing the last connection checkpoints through the -shm mapping: not while it is unwritable.
        CheckShm();
        if (_shmFrozen) return;
        await _readers.DisposeAsync().ConfigureAwait(false);
        await _writer.DisposeAsync().ConfigureAwait(false);
    }
}
