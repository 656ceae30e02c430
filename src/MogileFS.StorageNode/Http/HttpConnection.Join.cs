using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using MogileFS.StorageNode.Native;

namespace MogileFS.StorageNode.Http;

// Join (ours, not in 2.73; docs/storage-node.md "Join"): POST <target>?join with a body that lists
// source files builds <target> from them, in order:
//
//   <total length>\n
//   <length> /devN/.../NNN.fid\n                  a file of this node (same docroot)
//   <length> http://host:port/devN/.../NNN.fid\n  a file fetched from another node
//
// The new file is written like a PUT (an unnamed O_TMPFILE file, or a temp file, linked into place
// only when complete), so a failed or aborted join leaves nothing behind and an existing target stays
// intact. Local sources are copied with copy_file_range(2) (inside the kernel; pread/pwrite where the
// kernel cannot), confined to the docroot like every other path. Every source must have exactly its
// listed length and the lengths must add up to the total, or nothing is kept. Every answer carries
// "X-MogileFS-Join: 1", which is how a client tells this node from one without the request (2.73
// answers any POST with a plain 400).
internal sealed partial class HttpConnection
{
    private const int MaxJoinBody = 4 << 20;
    private const int MaxJoinSources = 10_000;
    private const long JoinChunk = 16L << 20;

    private static readonly HttpClient JoinHttp = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    private readonly record struct JoinSource(long Length, string Source, bool Remote);

    private sealed class JoinFailure(int status, string message) : Exception(message)
    {
        public int Status { get; } = status;
    }

    /// <summary>POST whose target ends in <c>?join</c>; the query is cut off the target for the handler.</summary>
    private bool IsJoinTarget()
    {
        var t = Target;
        if (!t.EndsWith("?join"u8)) return false;
        _req.TargetLength -= 5;
        return true;
    }

    private async ValueTask<bool> HandleJoinAsync()
    {
        bool wantsKeepAlive = _req.WantsKeepAlive;
        _lingerOnClose = true; // until the body has been read: an early answer drains it before closing
        if (_req.Chunked || !_req.HasContentLength || _req.ContentLength <= 0)
            return await SendJoinAsync(400, "join needs a body with a Content-Length", keepAlive: false).ConfigureAwait(false);
        if (_req.ContentLength > MaxJoinBody)
            return await SendJoinAsync(413, "join body too large", keepAlive: false).ConfigureAwait(false);

        // The body (the list) goes to an array of its own: _buf still holds the head (Target).
        int len = (int)_req.ContentLength;
        byte[] body = new byte[len];
        int have = Math.Min(len, _end - _start);
        _buf.AsSpan(_start, have).CopyTo(body);
        _start += have;
        if (_start == _end) _start = _end = 0;
        if (_req.ExpectContinue && have < len && _req.VersionMinor >= 1) await SendAsync(Continue100).ConfigureAwait(false);
        while (have < len)
        {
            int n = await _socket.ReceiveAsync(body.AsMemory(have), SocketFlags.None).ConfigureAwait(false);
            if (n == 0) return false;
            have += n;
            LastActivity = Environment.TickCount64;
        }
        _lingerOnClose = false;
        bool keep = wantsKeepAlive && !_svc.Stopping;

        if (!TryParseJoin(body, out long total, out var sources, out string? error))
            return await SendJoinAsync(400, error!, keep).ConfigureAwait(false);

        if (OnEventLoop) await Task.Yield(); // creating and filling the file waits for the disk
        var (code, message) = BeginPut(withMd5: false);
        if (code != 0) return await SendJoinAsync(code, message, keep).ConfigureAwait(false);
        bool committed = false;
        try
        {
            long offset = 0;
            foreach (var s in sources)
            {
                if (s.Remote) await FetchRemoteAsync(s, offset).ConfigureAwait(false);
                else CopyLocal(s, offset);
                offset += s.Length;
            }
            if (offset != total) throw new JoinFailure(400, "sources do not add up to the total length");
            var (fcode, fmsg) = FinishPut();
            if (fcode != 0) return await SendJoinAsync(fcode, fmsg, keep).ConfigureAwait(false);
            committed = true;
            return await SendJoinAsync(201, "", keep).ConfigureAwait(false);
        }
        catch (JoinFailure f)
        {
            Log.JoinFailed(_svc.Logger, PathForLog(), f.Message);
            EndPut(committed: false);
            if (Volatile.Read(ref _state) == StateClosed) return false;
            return await SendJoinAsync(f.Status, f.Message, keep).ConfigureAwait(false);
        }
        finally
        {
            EndPut(committed);
        }
    }

    private static bool TryParseJoin(byte[] body, out long total, out List<JoinSource> sources, out string? error)
    {
        sources = [];
        total = 0;
        error = null;
        string text;
        try { text = new UTF8Encoding(false, true).GetString(body); }
        catch (DecoderFallbackException) { error = "join body is not UTF-8"; return false; }
        var lines = text.Split('\n');
        int count = lines.Length;
        if (count > 0 && lines[^1].Length == 0) count--;
        if (count < 2) { error = "join body needs a total length and at least one source"; return false; }
        if (!long.TryParse(lines[0].TrimEnd('\r'), NumberStyles.None, CultureInfo.InvariantCulture, out total))
        {
            error = "first line of the join body must be the total length";
            return false;
        }
        if (count - 1 > MaxJoinSources) { error = $"at most {MaxJoinSources} sources"; return false; }
        long sum = 0;
        for (int i = 1; i < count; i++)
        {
            string line = lines[i].TrimEnd('\r');
            int sp = line.IndexOf(' ');
            if (sp <= 0 || !long.TryParse(line.AsSpan(0, sp), NumberStyles.None, CultureInfo.InvariantCulture, out long length))
            {
                error = $"line {i + 1}: expected '<length> <source>'";
                return false;
            }
            string src = line[(sp + 1)..];
            bool remote = src.StartsWith("http://", StringComparison.Ordinal);
            string path = src;
            if (remote)
            {
                int slash = src.IndexOf('/', 7);
                string authority = slash < 0 ? "" : src[7..slash];
                if (authority.Length == 0 || authority.Contains('@')) { error = $"line {i + 1}: bad source URL"; return false; }
                path = src[slash..];
            }
            // The same rule as a PUT's target: /-separated names of [A-Za-z0-9_.-], no "..", no query.
            // And only MogileFS files (/devN/....fid): a join never reads anything else, here or elsewhere.
            if (UrlRules.ValidateWriteTarget(Encoding.ASCII.GetBytes(path)) < 2 || path.Any(c => c > 127) || !IsFidPath(path))
            {
                error = $"line {i + 1}: invalid source path";
                return false;
            }
            sum += length;
            if (sum < 0) { error = "lengths overflow"; return false; }
            sources.Add(new JoinSource(length, src, remote));
        }
        if (sum != total) { error = $"the sources' lengths add up to {sum}, not {total}"; return false; }
        return true;
    }

    /// <summary>True for <c>/devN/…/name.fid</c>.</summary>
    private static bool IsFidPath(string path)
    {
        if (!path.StartsWith("/dev", StringComparison.Ordinal) || !path.EndsWith(".fid", StringComparison.Ordinal)) return false;
        int i = 4;
        while (i < path.Length && char.IsAsciiDigit(path[i])) i++;
        return i > 4 && i < path.Length && path[i] == '/';
    }

    /// <summary>Copies a file of this node into the new file at <paramref name="at"/>, inside the kernel.</summary>
    private unsafe void CopyLocal(JoinSource s, long at)
    {
        byte[] rel = Encoding.ASCII.GetBytes(s.Source[1..] + "\0");
        int fd;
        fixed (byte* p = rel) fd = _svc.Root.Open(p, rel.Length - 1, Libc.O_RDONLY);
        if (fd < 0)
        {
            int err = -fd;
            if (err is Libc.EXDEV or Libc.ELOOP)
            {
                Log.EscapeRefused(_svc.Logger, s.Source);
                throw new JoinFailure(403, $"source {s.Source}: outside the docroot");
            }
            if (err is Libc.ENOENT or Libc.ENOTDIR) throw new JoinFailure(404, $"source {s.Source}: not found");
            throw new JoinFailure(500, $"source {s.Source}: {Libc.StrError(err)}");
        }
        try
        {
            if (Libc.FStat(fd, out var st) < 0 || !st.IsRegular) throw new JoinFailure(404, $"source {s.Source}: not a file");
            if ((long)st.Size != s.Length) throw new JoinFailure(409, $"source {s.Source}: {st.Size} bytes, expected {s.Length}");
            long inOff = 0, outOff = at;
            bool kernel = !_svc.NoCopyFileRange;
            while (inOff < s.Length)
            {
                CheckJoinAlive();
                long want = Math.Min(JoinChunk, s.Length - inOff);
                nint n;
                if (kernel)
                {
                    n = Libc.CopyFileRange(fd, &inOff, _putFd, &outOff, (nint)want, 0);
                    if (n < 0)
                    {
                        int err = Libc.Errno;
                        if (err == Libc.EINTR) continue;
                        if (err is Libc.EXDEV or Libc.EINVAL or Libc.ENOSYS or Libc.EOPNOTSUPP or Libc.EPERM or Libc.EOVERFLOW)
                        {
                            // Devices on different file systems, or a kernel/file system without it: copy through memory.
                            if (err is Libc.ENOSYS or Libc.EOPNOTSUPP) _svc.NoCopyFileRange = true;
                            kernel = false;
                            continue;
                        }
                        throw WriteFailure(err);
                    }
                }
                else n = CopyThroughMemory(fd, inOff, outOff, want, out inOff, out outOff);
                if (n == 0) throw new JoinFailure(409, $"source {s.Source}: ended after {inOff} of {s.Length} bytes");
                LastActivity = Environment.TickCount64;
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private unsafe nint CopyThroughMemory(int fd, long inOff, long outOff, long want, out long newIn, out long newOut)
    {
        byte[] buf = ArrayPool<byte>.Shared.Rent((int)Math.Min(want, 1 << 20));
        try
        {
            fixed (byte* b = buf)
            {
                nint r;
                do r = Libc.PRead(fd, b, Math.Min(buf.Length, (nint)want), inOff); while (r < 0 && Libc.Errno == Libc.EINTR);
                if (r < 0) throw new JoinFailure(500, "reading a source failed: " + Libc.StrError(Libc.Errno));
                WriteAt(b, r, outOff);
                newIn = inOff + r;
                newOut = outOff + r;
                return r;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    private unsafe void WriteAt(byte* b, nint count, long at)
    {
        nint done = 0;
        while (done < count)
        {
            nint w = Libc.PWrite(_putFd, b + done, count - done, at + done);
            if (w > 0) { done += w; continue; }
            int err = w < 0 ? Libc.Errno : Libc.EIO;
            if (err == Libc.EINTR) continue;
            throw WriteFailure(err);
        }
    }

    private static JoinFailure WriteFailure(int errno) => new(WriteErrorStatus(errno), WriteErrorMessage(errno));

    /// <summary>Fetches a file of another node (a GET of exactly the listed length) into the new file.</summary>
    private async Task FetchRemoteAsync(JoinSource s, long at)
    {
        using var cts = new CancellationTokenSource();
        HttpResponseMessage response;
        try
        {
            cts.CancelAfter(_svc.Options.IdleTimeout);
            response = await JoinHttp.GetAsync(s.Source, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            throw new JoinFailure(502, $"source {s.Source}: {e.Message}");
        }
        using (response)
        {
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound) throw new JoinFailure(404, $"source {s.Source}: not found");
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
                throw new JoinFailure(502, $"source {s.Source}: {(int)response.StatusCode} {response.ReasonPhrase}");
            if (response.Content.Headers.ContentLength is { } cl && cl != s.Length)
                throw new JoinFailure(409, $"source {s.Source}: {cl} bytes, expected {s.Length}");
            byte[] buf = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
                long got = 0;
                while (true)
                {
                    CheckJoinAlive();
                    cts.CancelAfter(_svc.Options.IdleTimeout);
                    int n;
                    try { n = await stream.ReadAsync(buf, cts.Token).ConfigureAwait(false); }
                    catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
                    {
                        throw new JoinFailure(502, $"source {s.Source}: {e.Message}");
                    }
                    if (n == 0) break;
                    if (got + n > s.Length) throw new JoinFailure(409, $"source {s.Source}: longer than {s.Length} bytes");
                    unsafe
                    {
                        fixed (byte* b = buf) WriteAt(b, n, at + got);
                    }
                    got += n;
                    LastActivity = Environment.TickCount64;
                }
                if (got != s.Length) throw new JoinFailure(409, $"source {s.Source}: ended after {got} of {s.Length} bytes");
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buf);
            }
        }
    }

    /// <summary>Stops a join whose client went away, or that a stop or the sweeper aborted.</summary>
    private void CheckJoinAlive()
    {
        if (Volatile.Read(ref _state) == StateClosed) throw new JoinFailure(503, "aborted");
        try
        {
            if (_socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0) throw new JoinFailure(503, "the client went away");
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw new JoinFailure(503, "the client went away");
        }
    }

    private async ValueTask<bool> SendJoinAsync(int code, string message, bool keepAlive)
    {
        byte[] msg = Encoding.UTF8.GetBytes(message.Length > 0 ? message + "\n" : "");
        byte[] out_ = ArrayPool<byte>.Shared.Rent(ResponseWriter.SimpleOverhead + msg.Length);
        try
        {
            var w = new ResponseWriter(out_);
            w.StatusLine(code);
            w.Write("Content-Type: text/plain\r\nContent-Length: "u8);
            w.Write(msg.Length);
            w.Write("\r\nX-MogileFS-Join: 1\r\nServer: Perlbal\r\n"u8);
            w.ConnectionTail(keepAlive);
            w.Write(msg);
            await SendAsync(out_.AsMemory(0, w.Position)).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(out_);
        }
        return keepAlive;
    }
}
