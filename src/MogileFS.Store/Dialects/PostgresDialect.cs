using System.Data.Common;

namespace MogileFS.Store.Dialects;

/// <summary>PostgreSQL's SQL: claims lock their rows FOR UPDATE SKIP LOCKED (several trackers write at
/// once), tempfile_fid_seq is the fid generator, named locks are session advisory locks.</summary>
internal sealed class PostgresDialect : SqlDialect
{
    public static readonly PostgresDialect Instance = new();

    public override string Now => "EXTRACT(epoch FROM NOW())::int4";

    public override string IdsFromJson(string param) => $"SELECT CAST(value AS BIGINT) AS id FROM json_array_elements_text(CAST({param} AS json))";

    /// <summary>LIKE is case-sensitive (in 2.73 too, whatever case_sensitive_list_keys says); the order and
    /// the comparison with <c>after</c> are bytewise (COLLATE "C").</summary>
    public override string ListKeysSql(bool caseSensitive) =>
        "SELECT dkey FROM file WHERE dmid = @d AND dkey LIKE CAST(@p AS TEXT) ESCAPE '\\' AND dkey COLLATE \"C\" > CAST(@a AS TEXT) COLLATE \"C\" ORDER BY dkey COLLATE \"C\" LIMIT @n";

    /// <summary>The same on a database whose default collation is C: no COLLATE clauses, so the
    /// (dmid, dkey) index serves the range and the order; <paramref name="bounded"/> adds the prefix's
    /// bounds <c>@lo</c> / <c>@hi</c>, so that the scan ends with the prefix's last key.</summary>
    public static string ListKeysSqlBytewiseDatabase(bool bounded) => bounded
        ? "SELECT dkey FROM file WHERE dmid = @d AND dkey LIKE CAST(@p AS TEXT) ESCAPE '\\' AND dkey > CAST(@a AS TEXT) AND dkey >= CAST(@lo AS TEXT) AND dkey < CAST(@hi AS TEXT) ORDER BY dkey LIMIT @n"
        : "SELECT dkey FROM file WHERE dmid = @d AND dkey LIKE CAST(@p AS TEXT) ESCAPE '\\' AND dkey > CAST(@a AS TEXT) ORDER BY dkey LIMIT @n";

    public override bool ExplicitFidNeedsGeneratorRaise => true;

    public override async ValueTask RaiseFidGeneratorAsync(StoreSession s, long atLeast, CancellationToken ct) =>
        await s.Sql("SELECT setval('tempfile_fid_seq', GREATEST(@m, (SELECT last_value FROM tempfile_fid_seq)), true)")
            .Int("@m", atLeast).ScalarInt64Async(ct).ConfigureAwait(false);

    protected override string ClaimLockClause => " FOR UPDATE SKIP LOCKED";

    /// <summary>A transaction-scoped advisory lock under the key of 2.73's mgfs:fscksum lock.</summary>
    public override async ValueTask<bool> SerializeFsckSummaryAsync(StoreSession s, CancellationToken ct)
    {
        await s.Sql("SELECT pg_advisory_xact_lock(534093149)").ScalarInt64Async(ct).ConfigureAwait(false);
        return true;
    }

    public override NamedLockBackend CreateLockBackend(MetadataStore store) => new AdvisoryLocks(store);

    /// <summary>
    /// Session advisory locks. Each lock is taken twice: under 2.73's key (hash of our host name, lockid),
    /// so 2.73 trackers on this host are excluded as before, and under the cluster-wide key (-1, lockid),
    /// so trackers on different hosts exclude each other too (2.73 quirk 15.12 fixed).
    /// </summary>
    private sealed class AdvisoryLocks : ConnectionLocks
    {
        private const int ClusterKey = -1;
        private readonly int _hostKey = MetadataStore.LockId(System.Net.Dns.GetHostName());

        public AdvisoryLocks(MetadataStore store) : base(store) { }

        protected override string ReleaseAllSql => "SELECT pg_advisory_unlock_all()";

        protected override async ValueTask<bool> TakeAsync(DbConnection c, MetadataStore.NamedLock h, CancellationToken ct)
        {
            if (await ScalarAsync(c, "SELECT pg_try_advisory_lock(@p0, @p1)", ct, ClusterKey, h.LockId).ConfigureAwait(false) is not true) return false;
            if (await ScalarAsync(c, "SELECT pg_try_advisory_lock(@p0, @p1)", ct, _hostKey, h.LockId).ConfigureAwait(false) is true) return true;
            await ScalarAsync(c, "SELECT pg_advisory_unlock(@p0, @p1)", ct, ClusterKey, h.LockId).ConfigureAwait(false);
            return false;
        }

        protected override async ValueTask GiveBackAsync(DbConnection c, MetadataStore.NamedLock h)
        {
            await ScalarAsync(c, "SELECT pg_advisory_unlock(@p0, @p1)", CancellationToken.None, _hostKey, h.LockId).ConfigureAwait(false);
            await ScalarAsync(c, "SELECT pg_advisory_unlock(@p0, @p1)", CancellationToken.None, ClusterKey, h.LockId).ConfigureAwait(false);
        }
    }
}
