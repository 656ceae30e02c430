using MogileFS.Core.Protocol;
using MogileFS.Store.Schema;

namespace MogileFS.Store.Tests;

/// <summary>
/// list_keys on SQLite reads its rows with SQLitePCLRaw into a <see cref="KeyList"/> (the tracker's
/// path) instead of through Microsoft.Data.Sqlite into strings. Both must return the same keys, byte
/// for byte, for every kind of key and argument.
/// </summary>
public sealed class SqliteListKeysTests : IAsyncLifetime
{
    private readonly SchemaTestUtil.TempDir _dir = new();
    private SqliteMetadataStore _store = null!;

    // Byte strings (one char per byte): invalid UTF-8, UTF-8, a NUL, LIKE wildcards, upper case, the prefix itself.
    private static readonly string[] Keys =
    [
        "a/", "a/1", "a/2", "a/10", "a/%x", "a/_y", "a/\\z", "A/upper", "a/\u00ff\u00fe", "a/\u00c3\u00a9t\u00c3\u00a9",
        "a/nul\0byte", "a/with space", "b/1", "ab", "a/[x]*?",
    ];

    public async Task InitializeAsync()
    {
        string file = _dir.File("db.sqlite");
        await SchemaInstaller.InstallAsync(DatabaseDsn.Parse("DBI:SQLite:" + file), null, null);
        _store = new SqliteMetadataStore(file);
        await _store.WriteAsync(0, static async (s, _, ct) =>
        {
            long fid = 1;
            foreach (var k in Keys)
            {
                await s.Sql("INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (@f, 1, CAST(@k AS TEXT), 1, 0, 1)")
                    .Int("@f", fid++).Text("@k", k).ExecuteAsync(ct);
            }
            // The same keys in another domain must never show up.
            await s.Sql("INSERT INTO file (fid, dmid, dkey, length, classid, devcount) VALUES (@f, 2, 'a/other', 1, 0, 1)").Int("@f", fid).ExecuteAsync(ct);
            return true;
        }, default);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    private static string[] Strings(KeyList keys) => Enumerable.Range(0, keys.Count).Select(i => ByteString.FromBytes(keys[i])).ToArray();

    public static TheoryData<string, string, int, bool> Cases() => new()
    {
        { "a/%", "", 1000, false },
        { "a/%", "", 1000, true },
        { "a/%", "a/10", 3, false },
        { "a/%", "a/2", 100, true },
        { "%", "", 1000, false },
        { "a/\\%%", "", 1000, false },   // prefix "a/%": the % is literal
        { "a/\\_%", "", 1000, true },    // prefix "a/_"
        { "a/_%", "", 1000, false },     // '_' unescaped matches any one character
        { "a/\u00ff%", "", 1000, false }, // a prefix that is not UTF-8
        { "a/\u00c3\u00a9%", "", 1000, true },
        { "a/nul\0%", "", 1000, false },
        { "a/[x]%", "", 1000, true },    // GLOB's special characters are literal
        { "zzz%", "", 1000, false },     // nothing
        { "a/%", "\u00ff", 1000, false }, // after the last key
        { "a/%", "", 0, false },
        { "a/%", "", 1, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Raw_reader_returns_what_the_driver_returns(string like, string after, int limit, bool caseSensitive)
    {
        var expected = await _store.ListKeysAsync(1, like, after, limit, caseSensitive, default);
        var keys = new KeyList();
        keys.Add("left over from an earlier call");
        await _store.ListKeysAsync(1, like, after, limit, caseSensitive, keys, default);
        Assert.Equal(expected, Strings(keys));

        // The SQLitePCLRaw row loop (used where the e_sqlite3 library is not the one loaded).
        bool native = SqliteMetadataStore.UseNativeRows;
        try
        {
            SqliteMetadataStore.UseNativeRows = false;
            await _store.ListKeysAsync(1, like, after, limit, caseSensitive, keys, default);
            Assert.Equal(expected, Strings(keys));
        }
        finally
        {
            SqliteMetadataStore.UseNativeRows = native;
        }
    }

    [Fact]
    public void The_direct_row_loop_is_in_use_here() => Assert.True(SqliteMetadataStore.UseNativeRows);

    [Fact]
    public async Task Keys_come_back_byte_for_byte_in_bytewise_order()
    {
        var keys = new KeyList();
        await _store.ListKeysAsync(1, "a/%", "", 1000, caseSensitive: true, keys, default);
        var want = Keys.Where(k => k.StartsWith("a/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(want, Strings(keys));
        Assert.Contains("a/\u00ff\u00fe", Strings(keys));
        Assert.Contains("a/nul\0byte", Strings(keys));

        // Case-insensitive (SQLite's LIKE, as 2.73 on SQLite): "A/upper" too, on the same pooled connection.
        await _store.ListKeysAsync(1, "a/%", "", 1000, caseSensitive: false, keys, default);
        Assert.Contains("A/upper", Strings(keys));
        Assert.Equal(want.Length + 1, keys.Count);
    }

    [Fact]
    public async Task Paging_with_after_and_limit_walks_every_key_once()
    {
        var keys = new KeyList();
        var seen = new List<string>();
        string after = "";
        for (int page = 0; page < 20; page++)
        {
            await _store.ListKeysAsync(1, "a/%", after, 4, caseSensitive: true, keys, default);
            if (keys.Count == 0) break;
            Assert.True(keys.Count <= 4);
            seen.AddRange(Strings(keys));
            after = seen[^1];
        }
        Assert.Equal(Keys.Where(k => k.StartsWith("a/", StringComparison.Ordinal)).Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task Many_concurrent_calls_on_the_reader_pool_agree()
    {
        var expected = await _store.ListKeysAsync(1, "a/%", "", 1000, false, default);
        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
        {
            var keys = new KeyList();
            for (int j = 0; j < 20; j++) await _store.ListKeysAsync(1, "a/%", "", 1000, j % 2 == 0, keys, default);
            await _store.ListKeysAsync(1, "a/%", "", 1000, false, keys, default);
            return Strings(keys);
        })));
        Assert.All(results, r => Assert.Equal(expected, r));
    }
}
