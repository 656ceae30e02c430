using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;

namespace MogileFS.StorageNode.SideChannel;

/// <summary>
/// One side-channel client. Lines are read with a PipeReader; each complete line is run
/// through <see cref="SideChannelCommands"/> in order, one at a time (so a digest holds the
/// connection like it did in 2.73). Replies are written under a lock because the
/// <c>watch</c> stream is pushed from the iostat timer.
/// </summary>
internal sealed class SideChannelConnection
{
    private readonly Socket _socket;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _pendingWatchWrite;

    public SideChannelConnection(SideChannelServer server, Socket socket)
    {
        Server = server;
        _socket = socket;
    }

    public SideChannelServer Server { get; }

    public System.Net.EndPoint? Remote
    {
        get { try { return _socket.RemoteEndPoint; } catch (Exception) { return null; } }
    }

    /// <summary>Set by <c>watch</c>: no further commands are read from this connection.</summary>
    public bool Watching { get; set; }

    public async Task RunAsync()
    {
        var reader = PipeReader.Create(new NetworkStream(_socket, ownsSocket: false), new StreamPipeReaderOptions(bufferSize: 4096));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                // Commands stat and read files: keep them off the socket threads (inline completions).
                if (!Thread.CurrentThread.IsThreadPoolThread) await Task.Yield();
                var buffer = result.Buffer;
                if (!Watching)
                {
                    // Every complete line already received is answered, even after a 'watch' among them.
                    while (TryReadLine(ref buffer, out string? line))
                        await SideChannelCommands.ExecuteAsync(this, line!).ConfigureAwait(false);
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
                else
                {
                    reader.AdvanceTo(buffer.End); // subscribers are not read any more; discard
                }
                if (result.IsCompleted) break;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            Log.SideChannelError(Server.Logger, Remote, ex);
        }
        finally
        {
            Server.IoStat?.Unsubscribe(this);
            await reader.CompleteAsync().ConfigureAwait(false);
            Close();
        }
    }

    /// <summary>A line ends at the first LF; one CR before it is removed. Bytes are kept
    /// one-to-one in the string (Latin-1) so paths round-trip exactly.</summary>
    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out string? line)
    {
        var pos = buffer.PositionOf((byte)'\n');
        if (pos == null)
        {
            line = null;
            return false;
        }
        var slice = buffer.Slice(0, pos.Value);
        line = Encoding.Latin1.GetString(slice);
        if (line.EndsWith('\r')) line = line[..^1];
        buffer = buffer.Slice(buffer.GetPosition(1, pos.Value));
        return true;
    }

    public async ValueTask WriteAsync(string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Pushes one iostat report; skipped while the previous one is still unsent
    /// (slow readers lose reports, as in 2.73).</summary>
    public void PushWatchReport(byte[] report)
    {
        if (Interlocked.CompareExchange(ref _pendingWatchWrite, 1, 0) != 0) return;
        _ = PushAsync(report);
    }

    private async Task PushAsync(byte[] report)
    {
        try
        {
            await _writeLock.WaitAsync().ConfigureAwait(false);
            try { await _socket.SendAsync(report, SocketFlags.None).ConfigureAwait(false); }
            finally { _writeLock.Release(); }
        }
        catch (Exception)
        {
            Close();
        }
        finally
        {
            Volatile.Write(ref _pendingWatchWrite, 0);
        }
    }

    public void Close()
    {
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception) { }
        try { _socket.Dispose(); } catch (Exception) { }
    }
}
