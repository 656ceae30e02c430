using System.Data.Common;
using MogileFS.Store.Schema;

namespace MogileFS.Store.Tests;

/// <summary>SQLite group commit (src/MogileFS.Store/GroupCommit.cs): bodies queued while the writer is
/// busy share one transaction; a body's own error fails only its caller.</summary>
public sealed class GroupCommitTests : IAsyncLifetime
{
    private readonly SchemaTestUtil.TempDir _dir = new();
    private SqliteMetadataStore _store = null!;

    public async Task InitializeAsync()
    {
        string file = _dir.File("db.sqlite");
        await SchemaInstaller.InstallAsync(DatabaseDsn.Parse("DBI:SQLite:" + file), null, null);
        _store = new SqliteMetadataStore(file);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    private ValueTask<bool> InsertSettingAsync(string field) =>
        _store.WriteAsync(field, static async (s, f, ct) =>
        {
            await s.Sql("INSERT INTO server_settings (field, value) VALUES (@f, 'v')").Text("@f", f).ExecuteAsync(ct);
            return true;
        }, default);

    private async Task<long> CountAsync(string like) =>
        await _store.ReadAsync(like, static async (s, l, ct) =>
            await s.Sql("SELECT COUNT(*) FROM server_settings WHERE field LIKE @l").Text("@l", l).ScalarInt64Async(ct) ?? 0, default);

    /// <summary>Holds the writer with one body until <paramref name="gate"/> opens, so what is queued meanwhile
    /// forms one batch. Returns once that body runs (the writer has taken it from the queue, alone): on a loaded
    /// machine a fixed delay was not always enough, and the held body then joined the batch.</summary>
    private async Task<Task> HoldWriterAsync(TaskCompletionSource gate)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = _store.WriteAsync((gate, entered), static async (s, g, ct) =>
        {
            g.entered.TrySetResult();
            await g.gate.Task;
            await s.Sql("INSERT INTO server_settings (field, value) VALUES ('held', 'v')").ExecuteAsync(ct);
            return true;
        }, default).AsTask();
        await Task.WhenAny(entered.Task, held);
        Assert.True(entered.Task.IsCompleted, "the held body never ran");
        return held;
    }

    [Fact]
    public async Task Writes_queued_behind_a_busy_writer_share_one_commit()
    {
        var gate = new TaskCompletionSource();
        var held = await HoldWriterAsync(gate);
        var writes = Enumerable.Range(0, 50).Select(i => InsertSettingAsync("gc_" + i).AsTask()).ToArray();
        await Task.Delay(100);
        var before = _store.GroupCommitCounts;
        gate.SetResult();
        await held;
        await Task.WhenAll(writes);

        Assert.Equal(50, await CountAsync("gc_%"));
        var after = _store.GroupCommitCounts;
        Assert.Equal(50, after.Bodies - before.Bodies);
        Assert.Equal(1, after.Commits - before.Commits);
    }

    [Fact]
    public async Task A_failing_body_fails_alone_and_the_rest_of_its_batch_commits()
    {
        Assert.True(await InsertSettingAsync("taken"));
        var gate = new TaskCompletionSource();
        var held = await HoldWriterAsync(gate);
        var first = Enumerable.Range(0, 10).Select(i => InsertSettingAsync("ok_a" + i).AsTask()).ToArray();
        var duplicate = InsertSettingAsync("taken").AsTask();
        var ownError = _store.WriteAsync(0, FailsAfterAnInsert, default).AsTask();
        var second = Enumerable.Range(0, 10).Select(i => InsertSettingAsync("ok_b" + i).AsTask()).ToArray();
        await Task.Delay(100);
        gate.SetResult();
        await held;

        await Task.WhenAll(first.Concat(second));
        var dup = await Assert.ThrowsAnyAsync<DbException>(() => duplicate);
        Assert.True(_store.IsDuplicateKey(dup));
        await Assert.ThrowsAsync<InvalidDataException>(() => ownError);
        Assert.Equal(20, await CountAsync("ok_%"));
        Assert.Equal(0, await CountAsync("undone"));
        Assert.Equal(1, await CountAsync("taken"));
    }

    private static async ValueTask<bool> FailsAfterAnInsert(StoreSession s, int _, CancellationToken ct)
    {
        await s.Sql("INSERT INTO server_settings (field, value) VALUES ('undone', 'v')").ExecuteAsync(ct);
        throw new InvalidDataException("the body's own error");
    }

    [Fact]
    public async Task Many_concurrent_writers_all_commit()
    {
        var writes = Enumerable.Range(0, 500).Select(i => Task.Run(() => InsertSettingAsync("many_" + i).AsTask())).ToArray();
        await Task.WhenAll(writes);
        Assert.Equal(500, await CountAsync("many_%"));
    }
}
