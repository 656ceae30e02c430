using MogileFS.Tracker.Runtime;

namespace MogileFS.Tracker.Tests.Core;

public sealed class JobInfoTests
{
    private static JobInfo Reaper(int desired) => new(JobCatalog.Get(JobKind.Reaper), desired);

    [Fact]
    public void A_single_worker_job_follows_want()
    {
        var job = Reaper(1);
        job.FollowDesiredWithOneWorker();
        Assert.Equal(1, job.Running);
        job.SetDesired(0);
        Assert.Equal(0, job.Running);
        Assert.True(job.EverRan);
        job.SetDesired(5);
        Assert.Equal(1, job.Running);
        job.SetWorkerCount(0);
    }

    [Fact]
    public async Task A_want_while_the_job_starts_following_is_never_lost()
    {
        // CI once saw "!want 0 reaper" arrive while the job host was starting the reaper: the job
        // showed one worker for good. Whatever the interleaving, the count ends at the last want.
        for (int round = 0; round < 40; round++)
        {
            var job = Reaper(1);
            using var go = new ManualResetEventSlim();
            var follow = Task.Run(() => { go.Wait(); job.FollowDesiredWithOneWorker(); });
            var want = Task.Run(() =>
            {
                go.Wait();
                for (int i = 0; i < 20; i++) job.SetDesired(i % 2);
                job.SetDesired(0);
            });
            go.Set();
            await Task.WhenAll(follow, want);
            Assert.Equal(0, job.Running);
        }
    }
}
