using MogileFS.Core.Model;

namespace MogileFS.Tracker.Jobs.Fsck;

/// <summary>
/// The <c>fsck_checksum</c> server setting (jobs.md §11.3): absent (= <c>class</c>) verifies checksums of
/// classes with a hashtype only; <c>MD5</c>/<c>SHA-1</c> also compare the copies of every other file;
/// <c>off</c> never enters the repair path just to verify checksums.
/// </summary>
public readonly record struct FsckChecksumMode(FsckChecksumMode.Kind Mode, HashType Algorithm)
{
    public enum Kind { Class, Off, Algorithm }

    public static readonly FsckChecksumMode Class = new(Kind.Class, HashType.None);
    public static readonly FsckChecksumMode Off = new(Kind.Off, HashType.None);

    /// <summary>An algorithm mode (MD5 / SHA-1).</summary>
    public bool IsAlgorithm => Mode == Kind.Algorithm;

    /// <summary>The setting is present (an algorithm or <c>off</c>): rule 3 of §11.4 (MSUM) applies.</summary>
    public bool IsSet => Mode != Kind.Class;

    public static FsckChecksumMode Parse(string? setting) =>
        setting == "off" ? Off
        : HashTypes.TryParseName(setting, out var alg) ? new(Kind.Algorithm, alg)
        : Class;

    public override string ToString() => Mode switch { Kind.Off => "off", Kind.Algorithm => Algorithm.ToWire(), _ => "class" };
}
