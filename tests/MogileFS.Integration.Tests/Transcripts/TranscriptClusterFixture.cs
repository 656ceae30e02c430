using MogileFS.Integration.Tests.Cluster;
using MogileFS.Store;
using MogileFS.TestSupport.Transcripts;

namespace MogileFS.Integration.Tests.Transcripts;

/// <summary>
/// One fresh cluster per database kind on which the transcripts are replayed in plan order.
/// A replay request first replays, once, every earlier runnable file that has not run yet, so a
/// single file can be run on its own (its state is built by its predecessors) and the order xunit
/// picks does not matter.
/// </summary>
public abstract class TranscriptClusterFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<int, ReplayResult> _results = new();

    protected abstract DatabaseKind Kind { get; }

    /// <summary>Expected replies that differ on this database (see ReplayOptions.ExpectedOverrides).</summary>
    protected virtual IReadOnlyDictionary<(string File, int Line), string>? ExpectedOverrides => null;

    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // With MOGILEFS_TEST_SKIP_PG=1 the PostgreSQL theories are skipped; do not start anything.
        if (Kind == DatabaseKind.Postgres && MogileFS.TestSupport.PostgresServer.SkipRequested) return;
        if (Kind == DatabaseKind.MySql && MogileFS.TestSupport.MariaDbServer.SkipReason != null) return;
        Cluster = await TestCluster.StartAsync(new ClusterOptions { Database = Kind }).ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (Cluster != null) await Cluster.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Replays the plan entry (file, mode), after any earlier entries still to run.</summary>
    public async Task<(ReplayResult Result, IReadOnlyList<ReplayResult> Earlier)> ReplayAsync(string file, string mode, Action<string>? log)
    {
        int target = TranscriptPlan.IndexOf(file, mode);
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            var earlier = new List<ReplayResult>();
            for (int i = 0; i < target; i++)
            {
                var entry = TranscriptPlan.Entries[i];
                if (entry.Skip != null) continue;
                if (!_results.TryGetValue(i, out var r))
                {
                    r = await RunAsync(entry.File, entry.Mode, null).ConfigureAwait(false);
                    _results[i] = r;
                }
                earlier.Add(r);
            }
            if (!_results.TryGetValue(target, out var result))
            {
                result = await RunAsync(file, mode, log).ConfigureAwait(false);
                _results[target] = result;
            }
            return (result, earlier);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<ReplayResult> RunAsync(string file, string mode, Action<string>? log)
    {
        var transcript = TranscriptParser.ParseFile(Path.Combine(TranscriptPlan.Directory, file));
        var replayer = new TranscriptReplayer(new ClusterReplayEnvironment(Cluster), new ReplayOptions
        {
            StopAtFirstWait = mode == ReplayMode.UntilWait,
            ExpectedOverrides = ExpectedOverrides,
            Log = log,
        });
        ReplayResult result;
        try
        {
            result = await replayer.ReplayAsync(transcript).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            result = new ReplayResult(file) { Aborted = true };
            result.Notes.Add("replay failed: " + e.Message);
        }
        if (mode == ReplayMode.UntilWait) await CleanUpAfterPartialAsync(file, result).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// A partial replay leaves state the rest of the file would have cleared with the help of a job.
    /// File 21 stops with fsck "running" (fsck_host set); the capture's file ends with fsck stopped,
    /// which fsck_stop restores. File 22 stops after rebalance_stop, waiting for the job master to
    /// clear rebal_host; nothing later depends on that.
    /// </summary>
    private async Task CleanUpAfterPartialAsync(string file, ReplayResult result)
    {
        if (file != "21-fsck.txt") return;
        try
        {
            string reply = await Cluster.QueryAsync("fsck_stop").ConfigureAwait(false);
            result.Notes.Add("after the partial replay: fsck_stop -> " + reply);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            result.Notes.Add("after the partial replay: fsck_stop failed: " + e.Message);
        }
    }
}

public sealed class SqliteTranscriptFixture : TranscriptClusterFixture
{
    protected override DatabaseKind Kind => DatabaseKind.Sqlite;
}

public sealed class PostgresTranscriptFixture : TranscriptClusterFixture
{
    protected override DatabaseKind Kind => DatabaseKind.Postgres;

    /// <summary>
    /// The answers 2.73 gives on PostgreSQL where they differ from the SQLite capture.
    /// <list type="bullet">
    /// <item>list_keys prefix matching is case-sensitive on PostgreSQL, in 2.73 as here (file 12 says
    /// "Case sensitivity depends on the database"); the capture ran on SQLite, which matches
    /// case-insensitively unless case_sensitive_list_keys=1.</item>
    /// <item>File 23: 2.73's PostgreSQL schema keeps <c>tempfile.fid</c> a 32-bit <c>serial</c>
    /// (schema.md §2, the QUIRK under "fid BIGINT on new installs"), so <c>create_open ... fid=4000000000</c>
    /// fails the insert and answers <c>ERR db Database+error</c> there, and the fid counter does not
    /// move: the next automatic fid follows the highest one allocated before (1025, file 22), i.e.
    /// 1026 in directory 0/000/001 (devid and path are masked as in the capture).</item>
    /// </list>
    /// </summary>
    protected override IReadOnlyDictionary<(string File, int Line), string> ExpectedOverrides { get; } =
        new Dictionary<(string File, int Line), string>
        {
            [("12-list-keys.txt", 13)] = "OK key_1=list/a&key_2=list/b&key_3=list/c&key_count=3&next_after=list/c\\r\\n",
            [("12-list-keys.txt", 20)] = "OK key_1=LIST/upper&key_count=1&next_after=LIST/upper\\r\\n",
            [("12-list-keys.txt", 23)] = "OK key_1=list/a&key_2=list/b&key_count=2&next_after=list/b\\r\\n",
            [("12-list-keys.txt", 41)] = "OK key_1=list/a&key_2=list/b&key_3=list/c&key_count=3&next_after=list/c\\r\\n",
            [("18-server-settings.txt", 105)] = "OK key_1=LIST/upper&key_count=1&next_after=LIST/upper\\r\\n",
            [("23-large-fid-and-utf8-keys.txt", 7)] = "ERR db Database+error\\r\\n",
            [("23-large-fid-and-utf8-keys.txt", 10)] = "OK fid=1026&path=http://127.0.2.1:27500/dev2/0/000/001/0000001026.fid&devid=2\\r\\n",
        };
}

public sealed class MySqlTranscriptFixture : TranscriptClusterFixture
{
    protected override DatabaseKind Kind => DatabaseKind.MySql;

    /// <summary>
    /// The answers 2.73 gives on MySQL where they differ from the SQLite capture: list_keys matches
    /// case-insensitively there too (unless case_sensitive_list_keys, then LIKE BINARY), but the keys
    /// and the <c>after</c> comparison follow the column's collation (latin1_swedish_ci on a database
    /// created with the server defaults), so <c>LIST/upper</c> sorts between <c>list/c</c> and
    /// <c>list_x</c> instead of first, which moves it in every listing and paging step of file 12 and
    /// in the case-insensitive listing of file 18.
    /// </summary>
    protected override IReadOnlyDictionary<(string File, int Line), string>? ExpectedOverrides { get; } =
        new Dictionary<(string File, int Line), string>
        {
            [("12-list-keys.txt", 11)] = "OK key_count=15&key_1=broken&key_2=empty&key_3=file1&key_4=list/a&key_5=list/b&key_6=list/c&key_7=LIST/upper&key_8=list_x&key_9=nginx/put&key_10=other/1&key_11=over&key_12=single&key_13=sp+ace/%C3%A9&key_14=sum1&key_15=sum2&next_after=sum2\\r\\n",
            [("12-list-keys.txt", 13)] = "OK key_count=4&key_1=list/a&key_2=list/b&key_3=list/c&key_4=LIST/upper&next_after=list/c\\r\\n",
            [("12-list-keys.txt", 20)] = "OK key_count=4&key_1=list/a&key_2=list/b&key_3=list/c&key_4=LIST/upper&next_after=list/c\\r\\n",
            [("12-list-keys.txt", 23)] = "OK key_count=2&key_1=list/a&key_2=list/b&next_after=list/b\\r\\n",
            [("12-list-keys.txt", 25)] = "OK key_count=2&key_1=list/c&key_2=LIST/upper&next_after=list/c\\r\\n",
            [("12-list-keys.txt", 27)] = "OK key_count=1&key_1=LIST/upper&next_after=LIST/upper\\r\\n",
            [("12-list-keys.txt", 41)] = "OK key_count=4&key_1=list/a&key_2=list/b&key_3=list/c&key_4=LIST/upper&next_after=list/c\\r\\n",
            [("18-server-settings.txt", 105)] = "OK key_count=4&key_1=list/a&key_2=list/b&key_3=list/c&key_4=LIST/upper&next_after=list/c\\r\\n",
        };
}
