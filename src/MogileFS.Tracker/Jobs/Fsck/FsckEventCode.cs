namespace MogileFS.Tracker.Jobs.Fsck;

/// <summary>
/// Event codes written to <c>fsck_log.evcode</c> (jobs.md §9.4). Stored values: the spellings never
/// change (a test pins them); <c>fsck_sum_evcount_&lt;CODE&gt;</c> and <c>fsck_status num_&lt;CODE&gt;</c> use them too.
/// </summary>
public static class FsckEventCode
{
    /// <summary>The fid has no file_on rows at all.</summary>
    public const string NoPaths = "NOPA";
    /// <summary>The listed copies violate the class's replication policy (too few or too many).</summary>
    public const string PolicyViolation = "POVI";
    /// <summary>A listed copy is missing on its device (devid set).</summary>
    public const string FileMissing = "MISS";
    /// <summary>A listed copy has the wrong size (devid set).</summary>
    public const string BadLength = "BLEN";
    /// <summary>No good copy among the listed ones: exhaustive search of every device started.</summary>
    public const string StartSearch = "SRCH";
    /// <summary>The search found a good copy; its location was recorded.</summary>
    public const string FoundFid = "FOND";
    /// <summary>No good copy anywhere.</summary>
    public const string CantFix = "GONE";
    /// <summary>After the repair the policy is still unsatisfied: queued for replication.</summary>
    public const string ReReplicate = "REPL";
    /// <summary>file.devcount was wrong and has been corrected.</summary>
    public const string BadCount = "BCNT";
    /// <summary>Checksum mismatch that the stored row cannot resolve (ours: also per bad copy, with its devid).</summary>
    public const string BadChecksum = "BSUM";
    /// <summary>The class requires a checksum and none was stored: created from the agreeing copies.</summary>
    public const string NoChecksum = "NSUM";
    /// <summary>Copies disagree and there is no stored checksum to decide.</summary>
    public const string MultipleChecksums = "MSUM";
    /// <summary>The stored checksum uses another algorithm than the class now specifies.</summary>
    public const string BadAlgorithm = "BALG";

    public static readonly IReadOnlyList<string> All =
    [
        NoPaths, PolicyViolation, FileMissing, BadLength, StartSearch, FoundFid, CantFix, ReReplicate,
        BadCount, BadChecksum, NoChecksum, MultipleChecksums, BadAlgorithm,
    ];
}
