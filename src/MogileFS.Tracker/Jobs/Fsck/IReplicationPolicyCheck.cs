using MogileFS.Core.Model;
using MogileFS.Tracker.Metadata;

namespace MogileFS.Tracker.Jobs.Fsck;

/// <summary>
/// 2.73 <c>devids_meet_policy</c>: do these copies satisfy the class's replication policy exactly
/// ("all_good": not short of copies, not too many)? Every listed device counts, dead ones included
/// (jobs.md §15.4); devices unknown to the tracker are ignored. Implemented over the replication
/// policies of the replicate job.
/// </summary>
public interface IReplicationPolicyCheck
{
    /// <exception cref="NotSupportedException">the class's policy cannot be evaluated (e.g. Union).</exception>
    bool MeetsPolicy(MetadataSnapshot snapshot, ClassInfo cls, IReadOnlyList<int> devids);
}
