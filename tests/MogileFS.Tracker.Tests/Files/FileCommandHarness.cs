using System.Net;
using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using MogileFS.Core.Model;
using MogileFS.Core.Protocol;
using MogileFS.Store;
using MogileFS.Store.Schema;
using MogileFS.Tracker.Commands;
using MogileFS.Tracker.Commands.Files;
using MogileFS.Tracker.Commands.Fsck;
using MogileFS.Tracker.Commands.Rebalance;
using MogileFS.Tracker.Configuration;
using MogileFS.Tracker.Metadata;
using MogileFS.Tracker.Runtime;
using MogileFS.Tracker.Storage;
using MogileFS.TestSupport;

namespace MogileFS.Tracker.Tests.Files;

/// <summary>
/// Runs the file/fsck/rebalance command handlers the way the tracker's dispatcher does (decode the
/// argument string, call the handler, turn a CommandException into ERR, reload metadata for
/// ChangesMetadata commands), against a real database and two fake storage nodes on 127.0.0.1 and
/// 127.0.0.2 that share one side-channel port (mogstored_stream_port is tracker-wide). The topology
/// is that of the transcripts: domain testdom (classes c1, one, md5 with MD5 hashtype), hosts h1/h2,
/// devices 1,2 on h1 and 3,4 on h2, all observed writeable.
/// </summary>
public sealed class FileCommandHarness : IAsyncDisposable
{
    private readonly CommandTable _table = new();
    private readonly CommandContext _ctx;
    private TempDirectory? _dir;

    public MetadataStore Store { get; }
    public TrackerRuntime Runtime { get; }
    public FakeStorageNode Node1 { get; }
    public FakeStorageNode Node2 { get; }
    public StorageNodeClient Client { get; }

    private FileCommandHarness(MetadataStore store, FakeStorageNode n1, FakeStorageNode n2, TrackerOptions opts)
    {
        Store = store;
        Node1 = n1;
        Node2 = n2;
        Client = new StorageNodeClient(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), n1.SidePort);
        Runtime = new TrackerRuntime(opts, store, NullLoggerFactory.Instance, Client);
        FileCommands.Register(_table);
        FsckCommands.Register(_table);
        RebalanceCommands.Register(_table);
        _table.Freeze();
        _ctx = (CommandContext)typeof(CommandContext).GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, new[] { typeof(TrackerRuntime) })!
            .Invoke(new object[] { Runtime });
        ClientIp = IPAddress.Loopback;
    }

    public IPAddress ClientIp
    {
        set => typeof(CommandContext).GetProperty(nameof(CommandContext.ClientIp))!.GetSetMethod(true)!.Invoke(_ctx, new object[] { value });
    }

    public static async Task<FileCommandHarness> SqliteAsync()
    {
        var dir = new TempDirectory();
        var dsn = "DBI:SQLite:dbname=" + Path.Combine(dir.Path, "mogilefs.sqlite");
        var h = await CreateAsync(dsn, null, null);
        h._dir = dir;
        return h;
    }

    public static async Task<FileCommandHarness> MySqlAsync()
    {
        var my = await MariaDbServer.GetSharedAsync();
        return await CreateAsync(await my.CreateDatabaseAsync(), MariaDbServer.User, MariaDbServer.Password);
    }

    public static async Task<FileCommandHarness> PostgresAsync()
    {
        var pg = await PostgresServer.GetSharedAsync();
        var db = await pg.CreateDatabaseAsync();
        return await CreateAsync(db, PostgresServer.User, PostgresServer.Password); // CreateDatabaseAsync returns the DBI DSN
    }

    private static async Task<FileCommandHarness> CreateAsync(string dsn, string? user, string? pass)
    {
        var parsed = DatabaseDsn.Parse(dsn);
        await SchemaInstaller.InstallAsync(parsed, user, pass);
        var store = MetadataStore.Open(parsed, user, pass);
        var n1 = new FakeStorageNode("127.0.0.1");
        var n2 = new FakeStorageNode("127.0.0.2", n1.SidePort);
        var h = new FileCommandHarness(store, n1, n2, new TrackerOptions { NodeTimeoutSeconds = 2 });
        await h.SetUpTopologyAsync();
        return h;
    }

    private async Task SetUpTopologyAsync()
    {
        var ct = CancellationToken.None;
        int dmid = await Store.CreateDomainAsync("testdom", ct);
        await Store.CreateClassAsync(dmid, "c1", 2, null, null, ct);
        await Store.CreateClassAsync(dmid, "one", 1, null, null, ct);
        await Store.CreateClassAsync(dmid, "md5", 1, null, HashType.MD5, ct);
        int h1 = await Store.CreateHostAsync("h1", "127.0.0.1", new HostUpdate(Status: "alive", Port: Node1.HttpPort.ToString()), ct);
        int h2 = await Store.CreateHostAsync("h2", "127.0.0.2", new HostUpdate(Status: "alive", Port: Node2.HttpPort.ToString()), ct);
        foreach (var (devid, host) in new[] { (1, h1), (2, h1), (3, h2), (4, h2) })
        {
            await Store.CreateDeviceAsync(devid, host, DeviceState.Alive, ct);
            await Store.UpdateDeviceUsageAsync(devid, 100000, 10000, ct);
            Runtime.Observations.Set(devid, new DeviceObservation(ObservedState.Writeable, null, null, DateTimeOffset.UtcNow));
        }
        Runtime.Observations.SetHostReachable(h1, true);
        Runtime.Observations.SetHostReachable(h2, true);
        await Runtime.Metadata.ReloadAsync(ct);
        foreach (var hook in _table.StartHooks) await hook(Runtime, ct);
        Runtime.Monitor.RoundCompleted();
    }

    public FakeStorageNode NodeFor(int devid) => devid <= 2 ? Node1 : Node2;

    /// <summary>Runs one request line ("cmd args") and returns the reply line without CRLF.</summary>
    public async Task<string> RunAsync(string line)
    {
        int sp = line.IndexOf(' ');
        string cmd = sp < 0 ? line : line[..sp];
        string args = sp < 0 ? "" : line[(sp + 1)..];
        Assert.True(_table.TryGet(cmd.ToLowerInvariant(), out var entry), "unknown command " + cmd);
        _ctx.Args.Load(ByteString.ToBytes(args));
        _ctx.Reply.Reset();
        try
        {
            await entry.Handler(_ctx);
            if ((entry.Flags & CommandFlags.ChangesMetadata) != 0) await Runtime.Metadata.ReloadAsync(CancellationToken.None);
        }
        catch (CommandException e)
        {
            _ctx.Reply.Error(e.Code, e.WireMessage);
        }
        var s = _ctx.Reply.ToWireString();
        return s.EndsWith("\r\n", StringComparison.Ordinal) ? s[..^2] : s;
    }

    /// <summary>Parses an OK reply into a dictionary (values eurl-decoded).</summary>
    public static Dictionary<string, string> Pairs(string reply)
    {
        Assert.StartsWith("OK ", reply);
        var a = RequestArgs.Parse(reply[3..]);
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < a.Count; i++) d[a[i].Name] = a[i].Value;
        return d;
    }

    public async Task ReloadAsync() => await Runtime.Metadata.ReloadAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Node1.DisposeAsync();
        await Node2.DisposeAsync();
        await Store.DisposeAsync();
        _dir?.Dispose();
    }
}
