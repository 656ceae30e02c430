using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MogileFS.StorageNode.IoStat;
using MogileFS.StorageNode.Native;
using Microsoft.Extensions.Logging;

namespace MogileFS.StorageNode.SideChannel;

/// <summary>The management port (storage-node.md §5): a line protocol with no limits or
/// timeouts, used by trackers for <c>watch</c> and digests.</summary>
internal sealed class SideChannelServer
{
    private readonly ConcurrentDictionary<SideChannelConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<ulong, SemaphoreSlim> _fsckQueues = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private volatile bool _stopping;

    public SideChannelServer(StorageNodeOptions options, DocRoot root, ILogger logger, IoStatMonitor? ioStat,
        Func<SideChannelShutdown, Task> shutdown)
    {
        Options = options;
        Root = root;
        Logger = logger;
        IoStat = ioStat;
        Shutdown = shutdown;
        StartTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    public StorageNodeOptions Options { get; }
    public DocRoot Root { get; }
    public ILogger Logger { get; }
    public IoStatMonitor? IoStat { get; }
    public Func<SideChannelShutdown, Task> Shutdown { get; }
    public long StartTime { get; }
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Any, 0);

    /// <summary>One fsck digest at a time per file system (keyed by st_dev), across connections.</summary>
    public SemaphoreSlim FsckQueue(uint major, uint minor) =>
        _fsckQueues.GetOrAdd(((ulong)major << 32) | minor, static _ => new SemaphoreSlim(1, 1));

    public void Start(IPEndPoint endPoint)
    {
        var s = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(endPoint);
        s.Listen(1024);
        _listener = s;
        EndPoint = (IPEndPoint)s.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping)
        {
            Socket s;
            try
            {
                s = await _listener!.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stopping) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException)
            {
                await Task.Delay(10).ConfigureAwait(false);
                continue;
            }
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            s.NoDelay = true;
            var c = new SideChannelConnection(this, s);
            _connections[c] = 0;
            if (_stopping) c.Close();
            _ = RunAsync(c);
        }
    }

    private async Task RunAsync(SideChannelConnection c)
    {
        try { await c.RunAsync().ConfigureAwait(false); }
        finally { _connections.TryRemove(c, out _); }
    }

    /// <summary>Stops accepting (<paramref name="closeConnections"/>: and drops every connection).</summary>
    public async Task StopAsync(bool closeConnections)
    {
        _stopping = true;
        try { _listener?.Dispose(); } catch (Exception) { }
        if (_acceptLoop != null) await _acceptLoop.ConfigureAwait(false);
        if (closeConnections)
            foreach (var c in _connections.Keys) c.Close();
    }
}

/// <summary>What a side-channel <c>shutdown</c> asked for.</summary>
internal readonly record struct SideChannelShutdown(bool Graceful, TimeSpan? Timeout);
