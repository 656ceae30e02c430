using MogileFS.Core.Model;
using MogileFS.Tracker.Jobs.Fsck;
using MogileFS.Tracker.Jobs.Rebalance;
using MogileFS.Tracker.Jobs.Scrub;

namespace MogileFS.Fsck.Tests;

/// <summary>Pure parts: stored spellings, checksum resolution (jobs.md §11.4), state and limit parsing.</summary>
public sealed class EventCodeAndResolverTests
{
    [Fact]
    public void EventCodesKeepTheirStoredSpelling()
    {
        Assert.Equal(["NOPA", "POVI", "MISS", "BLEN", "SRCH", "FOND", "GONE", "REPL", "BCNT", "BSUM", "NSUM", "MSUM", "BALG"], FsckEventCode.All);
        Assert.All(FsckEventCode.All, c => Assert.Equal(4, c.Length)); // fsck_log.evcode is CHAR(4)
    }

    [Theory]
    [InlineData(null, "class")]
    [InlineData("off", "off")]
    [InlineData("MD5", "MD5")]
    [InlineData("SHA-1", "SHA-1")]
    [InlineData("md5", "class")]
    public void ChecksumModeParsesTheSetting(string? setting, string expected) =>
        Assert.Equal(expected, FsckChecksumMode.Parse(setting).ToString());

    private static readonly byte[] A = [1, 2, 3], B = [4, 5, 6];
    private static readonly FsckChecksumMode Md5Mode = FsckChecksumMode.Parse("MD5");

    [Fact]
    public void AllCopiesAgreeWithTheRow_NothingHappens()
    {
        var d = ChecksumResolver.Resolve([(1, A), (2, A)], (HashType.MD5, A), HashType.MD5, HashType.MD5, FsckChecksumMode.Class);
        Assert.Empty(d.Events);
        Assert.Empty(d.Remove);
        Assert.Null(d.CreateRow);
    }

    [Fact]
    public void AllCopiesAgreeButDifferFromTheRow_BSUM_or_BALG()
    {
        var bsum = ChecksumResolver.Resolve([(1, A), (2, A)], (HashType.MD5, B), HashType.MD5, HashType.MD5, FsckChecksumMode.Class);
        Assert.Equal([("BSUM", (int?)null)], bsum.Events);
        var balg = ChecksumResolver.Resolve([(1, A), (2, A)], (HashType.MD5, B), HashType.SHA1, HashType.SHA1, FsckChecksumMode.Class);
        Assert.Equal([("BALG", (int?)null)], balg.Events);
        Assert.Empty(balg.Remove);
    }

    [Fact]
    public void NoRowInAClassWithHashtype_NSUM_CreatesTheRow()
    {
        var d = ChecksumResolver.Resolve([(1, A), (2, A)], null, HashType.MD5, HashType.MD5, FsckChecksumMode.Class);
        Assert.Equal([("NSUM", (int?)null)], d.Events);
        Assert.Equal(HashType.MD5, d.CreateRow!.Value.Type);
        Assert.Equal(A, d.CreateRow!.Value.Digest);
        // class without hashtype: nothing to store
        Assert.Empty(ChecksumResolver.Resolve([(1, A)], null, HashType.MD5, HashType.None, Md5Mode).Events);
    }

    [Fact]
    public void OneCopyDisagreesWithTheRow_ItIsForgotten_FsckLogsNothingForIt_TheScrubberLogsItsDevice()
    {
        // fsck as 2.73 (t/50-checksum.t "fsck log has one row"): only the REPL that follows is logged
        var d = ChecksumResolver.Resolve([(1, A), (2, B), (3, A)], (HashType.MD5, A), HashType.MD5, HashType.MD5, FsckChecksumMode.Class);
        Assert.Equal([2], d.Remove);
        Assert.Empty(d.Events);
        var s = ChecksumResolver.Resolve([(1, A), (2, B), (3, A)], (HashType.MD5, A), HashType.MD5, HashType.MD5, FsckChecksumMode.Class, logEachBadCopy: true);
        Assert.Equal([2], s.Remove);
        Assert.Equal([("BSUM", (int?)2)], s.Events);
    }

    [Fact]
    public void CopiesDisagreeAndNoneMatchesTheRow_BSUM_OnlyWithHashtype()
    {
        var d = ChecksumResolver.Resolve([(1, A), (2, B)], (HashType.MD5, [9]), HashType.MD5, HashType.MD5, FsckChecksumMode.Class);
        Assert.Equal([("BSUM", (int?)null)], d.Events);
        Assert.Empty(d.Remove);
        Assert.Empty(ChecksumResolver.Resolve([(1, A), (2, B)], (HashType.MD5, [9]), HashType.MD5, HashType.None, Md5Mode).Events);
    }

    [Fact]
    public void CopiesDisagreeWithoutRow_MSUM_WhenTheModeIsSet_EvenOff()
    {
        Assert.Equal([("MSUM", (int?)null)], ChecksumResolver.Resolve([(1, A), (2, B)], null, HashType.MD5, HashType.None, Md5Mode).Events);
        // 2.73 observed: class MD5, row deleted, copies differ, fsck_checksum=off → MSUM
        Assert.Equal([("MSUM", (int?)null)], ChecksumResolver.Resolve([(1, A), (2, B)], null, HashType.MD5, HashType.MD5, FsckChecksumMode.Off).Events);
        // mode unset (class): BSUM for a class with hashtype
        Assert.Equal([("BSUM", (int?)null)], ChecksumResolver.Resolve([(1, A), (2, B)], null, HashType.MD5, HashType.MD5, FsckChecksumMode.Class).Events);
    }

    [Fact]
    public void RebalanceStateRoundTripsAndReads273Output()
    {
        var st = RebalanceState.Parse("time_stopped=0 time_started=1795317188 sdev_limit=0 bytes_queued=10 empty_runs=0 limit=0 fids_queued=2 source_devs=1,2 completed_devs=,3 sdev_lastfid=17 sdev_current=4");
        Assert.Equal([1, 2], st.SourceDevs);
        Assert.Equal([3], st.CompletedDevs);
        Assert.Equal(4, st.SdevCurrent);
        Assert.Equal(17, st.SdevLastFid);
        Assert.Equal(2, st.FidsQueued);
        Assert.Equal(1795317188, st.TimeStarted);
        var again = RebalanceState.Parse(st.ToString());
        Assert.Equal(st.ToString(), again.ToString());
        Assert.Contains("completed_devs=3 source_devs=1,2 sdev_current=4", st.ToString());
        // the initial state written by rebalance_start parses too
        var init = RebalanceState.Parse(MogileFS.Tracker.Policies.RebalancePolicy.InitialState([5, 6], 100));
        Assert.Equal([5, 6], init.SourceDevs);
        Assert.Empty(init.CompletedDevs);
    }

    [Theory]
    [InlineData("10", false, 10)]
    [InlineData("10", true, 10)]
    [InlineData("2k", true, 2048)]
    [InlineData("3M", true, 3L << 20)]
    [InlineData("1g", true, 1L << 30)]
    [InlineData("1t", true, 1L << 40)]
    [InlineData("5b", true, 5)]
    [InlineData("", true, 0)]
    [InlineData("junk", false, 0)]
    public void RebalanceLimitsParse(string value, bool size, long expected) => Assert.Equal(expected, RebalanceInjector.ParseLimit(value, size));

    [Theory]
    [InlineData("1000", 1000)]
    [InlineData("64k", 65536)]
    [InlineData("2M", 2L << 20)]
    [InlineData("0", 0)]
    [InlineData("fast", 0)]
    [InlineData(null, 0)]
    public void ScrubRateParses(string? value, long expected) => Assert.Equal(expected, Scrubber.ParseRate(value));
}
