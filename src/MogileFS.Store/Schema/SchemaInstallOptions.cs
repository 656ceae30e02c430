namespace MogileFS.Store.Schema;

/// <summary>How <see cref="SchemaInstaller.InstallAsync"/> behaves; the defaults are mogdbsetup's
/// with <c>--yes</c>.</summary>
public sealed class SchemaInstallOptions
{
    /// <summary>Do not write <c>schema_version = 17</c> at the end (mogdbsetup <c>--noschemabump</c>).</summary>
    public bool NoSchemaBump { get; init; }

    /// <summary>Report every SQL statement through <see cref="Log"/> (mogdbsetup <c>--verbose</c>).</summary>
    public bool Verbose { get; init; }

    /// <summary>Receives status lines ("Running SQL: …" when <see cref="Verbose"/>, "Schema already up-to-date …").</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Asked before an existing database (version 1..16) is upgraded; returning false
    /// aborts with <see cref="SchemaInstallAbortedException"/>. Null = proceed (non-interactive).</summary>
    public Func<string, bool>? Confirm { get; init; }
}

/// <summary>What an install run did.</summary>
public sealed record SchemaInstallResult(int PreviousVersion, int Version, bool AlreadyUpToDate);

/// <summary>The user declined an upgrade, or the database is newer than we know.</summary>
public sealed class SchemaInstallAbortedException : Exception
{
    public SchemaInstallAbortedException(string message) : base(message) { }
}

/// <summary>The database's schema version is not the one this server speaks.</summary>
public sealed class SchemaVersionException : Exception
{
    public SchemaVersionException(int actual, int expected)
        : base($"Server's database schema version of {actual} doesn't match expected value of {expected}.  Halting.")
    {
        ActualVersion = actual;
        ExpectedVersion = expected;
    }

    public int ActualVersion { get; }
    public int ExpectedVersion { get; }
}
