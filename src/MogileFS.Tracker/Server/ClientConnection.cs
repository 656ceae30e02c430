using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using MogileFS.Core.Protocol;
using MogileFS.Tracker.Admin;
using MogileFS.Tracker.Commands;

namespace MogileFS.Tracker.Server;

/// <summary>
/// One client connection. The read loop parses every complete line already buffered, answers it
/// (queries one at a time, in order: pipelined requests are answered strictly in request order),
/// and flushes once per batch or before it has to wait. While a reply is outstanding nothing more is
/// read (back-pressure). Lines over <see cref="MaxLineBytes"/> are answered with an error and skipped;
/// the connection stays usable. <c>!watch</c> lines are queued by other threads and written by this
/// loop, which they wake with <see cref="PipeReader.CancelPendingRead"/>.
///
/// A connection never holds a query slot while it waits for its client: earlier replies are
/// flushed before it queues for a slot, and while a handler runs they are flushed beside it, the
/// slot being released when the handler ends, whatever the flush does. Replies are flushed as soon
/// as more than <see cref="TrackerServer.MaxReplyBytes"/> are waiting, so a client that sends but
/// never reads costs at most that much memory, and the slow-reader watchdog closes it.
/// </summary>
internal sealed class ClientConnection
{
    /// <summary>Longest accepted request line (2.73 has no limit; see docs/tracker.md).</summary>
    public const int MaxLineBytes = 1024 * 1024;

    private readonly TrackerServer _server;
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly CommandContext _ctx;
    private readonly ConcurrentQueue<string> _watchLines = new();
    private readonly CancellationToken _stopping;
    private readonly CancellationTokenSource _aborted = new();
    private byte[] _scratch = Array.Empty<byte>();
    private bool _discarding;
    private bool _closing;
    private long _flushStartedTicks;

    public ClientConnection(TrackerServer server, Socket socket, CancellationToken stopping)
    {
        _server = server;
        _socket = socket;
        _stopping = stopping;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096));
        _writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 4096));
        Remote = socket.RemoteEndPoint as IPEndPoint;
        var ip = Remote?.Address ?? IPAddress.Loopback;
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        ClientIp = ip;
        ClientIpText = ip.ToString();
        _ctx = new CommandContext(server.Runtime) { ClientIp = ip, Cancellation = stopping };
    }

    public IPEndPoint? Remote { get; }
    public IPAddress ClientIp { get; }
    public string ClientIpText { get; }

    /// <summary>Ticks (Environment.TickCount64) when the pending flush started, 0 when none: the slow-reader watchdog reads it.</summary>
    public long FlushStartedTicks => Volatile.Read(ref _flushStartedTicks);

    /// <summary>Closes the socket (watchdog, shutdown).</summary>
    public void Abort()
    {
        _closing = true;
        CancelWaits();
        try { _socket.Close(0); } catch { /* already closed */ }
    }

    /// <summary>Takes a query of this connection that waits for a slot out of the queue.</summary>
    private void CancelWaits()
    {
        try { _aborted.Cancel(); } catch (ObjectDisposedException) { } catch (AggregateException) { }
    }

    /// <summary>Called from any thread by the error stream.</summary>
    internal void EnqueueWatchLine(string text)
    {
        _watchLines.Enqueue(text);
        try { _reader.CancelPendingRead(); } catch { /* completed */ }
    }

    public async Task RunAsync()
    {
        string reason = "client closed";
        try
        {
            while (!_closing)
            {
                // No token: stopping aborts the socket, which ends the read (a token costs a registration per read).
                ReadResult r = await _reader.ReadAsync().ConfigureAwait(false);
                var buf = r.Buffer;
                WriteWatchLines();
                while (!_closing)
                {
                    if (_discarding)
                    {
                        var end = buf.PositionOf((byte)'\n');
                        if (end == null) { buf = buf.Slice(buf.End); break; }
                        buf = buf.Slice(buf.GetPosition(1, end.Value));
                        _discarding = false;
                    }
                    var lf = buf.PositionOf((byte)'\n');
                    if (lf == null)
                    {
                        if (buf.Length > MaxLineBytes)
                        {
                            ReplyBuilder.WriteError(_writer, "line_too_long", $"Request line longer than {MaxLineBytes} bytes", null);
                            _discarding = true;
                            buf = buf.Slice(buf.End);
                        }
                        break;
                    }
                    var lineSeq = buf.Slice(0, lf.Value);
                    buf = buf.Slice(buf.GetPosition(1, lf.Value));
                    if (lineSeq.Length > MaxLineBytes)
                    {
                        ReplyBuilder.WriteError(_writer, "line_too_long", $"Request line longer than {MaxLineBytes} bytes", null);
                        continue;
                    }
                    ReadOnlyMemory<byte> line = lineSeq.IsSingleSegment ? lineSeq.First : CopyToScratch(lineSeq);
                    if (line.Length > 0 && line.Span[^1] == (byte)'\r') line = line[..^1];
                    if (line.Length == 0) continue;
                    var pending = ProcessLineAsync(line);
                    if (pending.IsCompletedSuccessfully) pending.GetAwaiter().GetResult();
                    else await pending.ConfigureAwait(false);
                    WriteWatchLines();
                    // A client that pipelines without reading: stop here until it has read.
                    if (_writer.UnflushedBytes > _server.MaxReplyBytes) await FlushAsync().ConfigureAwait(false);
                }
                _reader.AdvanceTo(buf.Start, buf.End);
                await FlushAsync().ConfigureAwait(false);
                if (r.IsCompleted) break;
            }
            if (_closing) reason = "closed by server";
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            reason = "tracker stopping";
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            reason = e.Message;
        }
        catch (Exception e)
        {
            reason = "internal error: " + e.Message;
            Log.ClosingConnection(_server.Logger, Remote, reason);
        }
        finally
        {
            CancelWaits();
            _server.Runtime.Errors.Remove(this);
            try { await _reader.CompleteAsync().ConfigureAwait(false); } catch { /* closing */ }
            try { await _writer.CompleteAsync().ConfigureAwait(false); } catch { /* peer gone */ }
            try { _socket.Close(0); } catch { /* closing */ }
            Log.ConnectionEnded(_server.Logger, Remote, reason);
        }
    }

    private ReadOnlyMemory<byte> CopyToScratch(in ReadOnlySequence<byte> seq)
    {
        int len = (int)seq.Length;
        if (_scratch.Length < len) _scratch = new byte[Math.Max(len, 4096)];
        seq.CopyTo(_scratch);
        return _scratch.AsMemory(0, len);
    }

    private async ValueTask FlushAsync()
    {
        if (_writer.UnflushedBytes == 0) return;
        Volatile.Write(ref _flushStartedTicks, Environment.TickCount64);
        try
        {
            await _writer.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _flushStartedTicks, 0);
        }
    }

    private void WriteWatchLines()
    {
        while (_watchLines.TryDequeue(out var text))
        {
            var bytes = ByteString.FromText(text);
            var span = _writer.GetSpan(bytes.Length + 5);
            span[0] = (byte)':'; span[1] = (byte)':'; span[2] = (byte)' ';
            int n = ByteString.ToBytes(bytes, span[3..]);
            span[3 + n] = (byte)'\r'; span[4 + n] = (byte)'\n';
            _writer.Advance(n + 5);
        }
    }

    private ValueTask ProcessLineAsync(ReadOnlyMemory<byte> lineMem)
    {
        var line = lineMem.Span;
        if (RequestLine.TryParseAdmin(line, out var word, out var argText))
        {
            var outcome = AdminCommands.Execute(_server, this, ByteString.FromBytes(word), ByteString.FromBytes(argText), _writer);
            if (outcome == AdminOutcome.Shutdown)
            {
                _closing = true;
                _server.RequestShutdown();
            }
            return ValueTask.CompletedTask;
        }

        long received = Stopwatch.GetTimestamp();
        _server.CountQuery();
        if (!RequestLine.TryParseQuery(line, out var cmd, out var args))
        {
            // No command name at all: no callid either (10.Q5 not copied).
            ReplyBuilder.WriteError(_writer, "unknown_command", null, null);
            _server.Recent.Add(ClientIpText, line, Elapsed(received), 0);
            return ValueTask.CompletedTask;
        }

        _ctx.Args.Load(args);
        CommandEntry? entry = null;
        if (cmd.Length <= 64)
        {
            Span<char> name = stackalloc char[cmd.Length];
            RequestLine.ToLowerAscii(cmd, name);
            _server.Commands.TryGet(name, out entry!);
        }
        if (entry is null)
        {
            _server.Metrics.RecordRequest("unknown", "unknown_command", Stopwatch.GetTimestamp() - received);
            ReplyBuilder.WriteError(_writer, "unknown_command", null, _ctx.Args.Get("callid"));
            _server.Recent.Add(ClientIpText, line, Elapsed(received), 0);
            return ValueTask.CompletedTask;
        }

        if (_server.Scheduler.TryAcquire()) return RunAsync(entry, lineMem, received);
        return RunQueuedAsync(entry, lineMem, received);
    }

    /// <summary>No slot free: answer what is already answered, then queue. The flush comes first so
    /// that a client that does not read never holds a granted slot (issue 17); a waiter given up
    /// (connection closed, tracker stopping) is abandoned, which hands back a slot granted meanwhile.</summary>
    private async ValueTask RunQueuedAsync(CommandEntry entry, ReadOnlyMemory<byte> line, long received)
    {
        await FlushAsync().ConfigureAwait(false);
        var scheduler = _server.Scheduler;
        if (!scheduler.TryAcquire())
        {
            var waiter = scheduler.Enqueue(ClientIpText, line.Span, _aborted.Token);
            try
            {
                await waiter.Task.ConfigureAwait(false);
            }
            catch
            {
                scheduler.Abandon(waiter);
                throw;
            }
            scheduler.Claim(waiter);
        }
        await RunAsync(entry, line, received).ConfigureAwait(false);
    }

    /// <summary>Runs a query that holds a scheduler slot; releases it; writes the reply.</summary>
    private async ValueTask RunAsync(CommandEntry entry, ReadOnlyMemory<byte> line, long received)
    {
        long started = Stopwatch.GetTimestamp();
        var ctx = _ctx;
        ctx.Reply.Reset();
        ctx.Command = entry.Name;
        // Replies already written go out while the handler waits (a pipelined noop before a sleep
        // is answered at once). Handlers write into ctx.Reply only, so the flush may run beside them;
        // it is awaited after the slot is released, so a client that does not read keeps no slot.
        ValueTask flush = ValueTask.CompletedTask;
        try
        {
            var h = entry.Handler(ctx);
            if (!h.IsCompletedSuccessfully)
            {
                flush = FlushAsync();
                await h.ConfigureAwait(false);
            }
            else h.GetAwaiter().GetResult();
        }
        catch (CommandException ce)
        {
            ctx.Reply.Error(ce.Code, ce.WireMessage);
        }
        catch (Exception e) when (_server.Runtime.Store.IsDuplicateKey(e))
        {
            ctx.Reply.Error("dup");
        }
        catch (Exception e) when (_server.Runtime.Store.IsUnavailable(e))
        {
            // The database went away or is failing over (docs/ha-database.md): say so, the client may retry.
            ctx.Reply.Error("failure", "Database unavailable (connection lost or no primary); try again");
            _server.ReportCommandFailure(entry.Name, e);
        }
        catch (Exception e)
        {
            ctx.Reply.Error("failure");
            _server.ReportCommandFailure(entry.Name, e);
        }
        finally
        {
            _server.Scheduler.Release();
        }
        await flush.ConfigureAwait(false);

        if ((entry.Flags & CommandFlags.ChangesMetadata) != 0)
        {
            try
            {
                await ctx.Metadata.ReloadAsync(_stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.MetadataRefreshFailed(_server.Logger, e.Message, e);
            }
            if ((entry.Flags & CommandFlags.WaitsForMonitor) == CommandFlags.WaitsForMonitor && !ctx.Reply.IsError)
                await _server.Runtime.Monitor.RequestFreshRoundAsync(_stopping).ConfigureAwait(false);
        }

        ctx.Reply.WriteTo(_writer, ctx.Args.Get("callid"));
        long done = Stopwatch.GetTimestamp();
        _server.Metrics.RecordRequest(entry.Name, ctx.Reply.IsError ? ctx.Reply.ErrorCode : null, done - received);
        _server.Recent.Add(ClientIpText, line.Span, Stopwatch.GetElapsedTime(received, done).TotalSeconds,
            Stopwatch.GetElapsedTime(started, done).TotalSeconds);
    }

    private static double Elapsed(long since) => Stopwatch.GetElapsedTime(since).TotalSeconds;
}
