using Xunit;

namespace MogileFS.TestSupport;

/// <summary>A test that needs the PostgreSQL fixture. It runs (and fails loudly when PostgreSQL
/// is missing) unless MOGILEFS_TEST_SKIP_PG=1, in which case xunit reports it as skipped.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresServer.SkipRequested) Skip = PostgresServer.SkipReason;
    }
}

/// <summary>The <see cref="PostgresFactAttribute"/> of theories.</summary>
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute()
    {
        if (PostgresServer.SkipRequested) Skip = PostgresServer.SkipReason;
    }
}
