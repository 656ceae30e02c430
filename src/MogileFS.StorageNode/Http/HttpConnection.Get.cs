using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using MogileFS.StorageNode.Native;

namespace MogileFS.StorageNode.Http;

// GET and HEAD (storage-node.md §3.2).
internal sealed partial class HttpConnection
{
    /// <summary>Bodies up to this size are read into the response buffer and sent with the
    /// headers in one write; larger ones go out with sendfile(2).</summary>
    internal const int InlineBodyMax = 64 * 1024;

    private const int HeaderRoom = 512;

    private readonly struct GetPlan
    {
        public readonly byte[]? Out;
        public readonly int OutLength;
        public readonly int FileFd;     // >= 0: send FileCount bytes from FileOffset after Out
        public readonly long FileOffset, FileCount;
        public readonly bool KeepAlive;
        public readonly bool ReadIntoOut; // FileCount bytes still to be read into Out after OutLength, then sent with it
        public bool RetryOffLoop => Out == null && FileFd == -1;

        public GetPlan(byte[]? o, int len, bool keep, int fd = -1, long off = 0, long count = 0, bool readIntoOut = false)
        {
            Out = o; OutLength = len; KeepAlive = keep; FileFd = fd; FileOffset = off; FileCount = count; ReadIntoOut = readIntoOut;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> HandleGetAsync()
    {
        var plan = PlanGet();
        if (plan.RetryOffLoop)
        {
            // The path lookup would read the disk: do the whole thing on the thread pool.
            await Task.Yield();
            plan = PlanGet();
        }
        if (plan.ReadIntoOut)
        {
            // Not (all) in the page cache: read it off the event loop.
            await Task.Yield();
            plan = FinishRead(plan);
        }
        bool viaSendfile = plan.FileFd >= 0 && plan.FileCount > 0;
        bool corked = plan.FileCount > 0 && SetCork(true);
        try
        {
            if (plan.Out != null) await SendAsync(plan.Out.AsMemory(0, plan.OutLength)).ConfigureAwait(false);
        }
        finally
        {
            if (plan.Out != null) ArrayPool<byte>.Shared.Return(plan.Out);
            if (plan.FileFd >= 0 && plan.FileCount == 0) Libc.Close(plan.FileFd);
        }
        if (plan.FileFd >= 0 && plan.FileCount > 0)
        {
            try
            {
                await SendFileAsync(plan.FileFd, plan.FileOffset, plan.FileCount).ConfigureAwait(false);
            }
            finally
            {
                Libc.Close(plan.FileFd);
                if (corked) SetCork(false);
            }
        }
        if (_req.Method == HttpMethod.Get && _status is 200 or 206) _viaSendfile = viaSendfile;
        return plan.KeepAlive;
    }

    private static unsafe GetPlan FinishRead(GetPlan p)
    {
        long got = ReadFully(p.FileFd, p.Out!, p.OutLength, p.FileOffset, p.FileCount);
        Libc.Close(p.FileFd);
        return new GetPlan(p.Out, p.OutLength + (int)got, p.KeepAlive && got == p.FileCount);
    }

    private static unsafe long ReadFully(int fd, byte[] dest, int at, long offset, long count)
    {
        long got = 0;
        fixed (byte* b = dest)
        {
            while (got < count)
            {
                nint n = Libc.PRead(fd, b + at + got, (nint)(count - got), offset + got);
                if (n > 0) { got += n; continue; }
                if (n < 0 && Libc.Errno == Libc.EINTR) continue;
                break;
            }
        }
        return got;
    }

    private GetPlan Simple(int code, ReadOnlySpan<byte> message, bool keep, bool head)
    {
        var o = ArrayPool<byte>.Shared.Rent(ResponseWriter.SimpleOverhead + message.Length);
        return new GetPlan(o, WriteSimple(o, code, message, keep, !head), keep);
    }

    /// <summary>Everything up to the bytes to send, synchronously: path checks, open, stat,
    /// conditional and range logic, headers (and small bodies) into a pooled buffer.</summary>
    private unsafe GetPlan PlanGet()
    {
        bool head = _req.Method == HttpMethod.Head;
        bool keep = KeepAliveFor(bodyConsumed: !HasUnreadBody);

        var verdict = UrlRules.DecodeGetTarget(Target, _path, out int relLen);
        switch (verdict)
        {
            case UrlRules.GetVerdict.Bogus:
                return Simple(403, "Bogus URL"u8, keep, head);
            case UrlRules.GetVerdict.MultipleFiles:
                return Simple(403, "Multiple file serving isn't enabled"u8, keep, head);
            case UrlRules.GetVerdict.MultipleFilesNoSlash:
                return Simple(500, "Base directory (before ??) must end in slash."u8, keep, head);
        }

        int fd;
        bool onLoop = OnEventLoop;
        fixed (byte* p = _path) fd = _svc.Root.Open(p, relLen, Libc.O_RDONLY | Libc.O_NONBLOCK, 0, cachedOnly: onLoop);
        if (fd == -Libc.EAGAIN && onLoop) return new GetPlan(null, 0, false); // RetryOffLoop
        if (fd < 0) return OpenFailure(-fd, keep, head);

        Libc.StatX st;
        if (Libc.FStat(fd, out st) < 0)
        {
            Libc.Close(fd);
            return Simple(500, default, keep, head);
        }
        bool isIndex = false;
        if (st.IsDirectory)
        {
            Libc.Close(fd);
            fd = OpenIndex(relLen, onLoop);
            if (fd == -Libc.EAGAIN && onLoop) return new GetPlan(null, 0, false); // RetryOffLoop
            if (fd < 0 || Libc.FStat(fd, out st) < 0 || !st.IsRegular)
            {
                if (fd >= 0) Libc.Close(fd);
                return Simple(200, "Directory listing disabled"u8, keep, head);
            }
            isIndex = true;
        }
        else if (!st.IsRegular)
        {
            // FIFOs, devices, sockets: never served (2.73 would try and hang or leak).
            Libc.Close(fd);
            return Simple(403, default, keep, head);
        }

        long size = (long)st.Size;
        Span<byte> lastMod = stackalloc byte[HttpDate.Length];
        HttpDate.Format(st.MtimeSec, lastMod);

        // Conditional GET: exact match of Last-Modified (optionally "; length=N" with N == size).
        if (_req.ImsStart >= 0 && ImsMatches(_buf.AsSpan(_req.ImsStart, _req.ImsLength), lastMod, size))
        {
            Libc.Close(fd);
            var o304 = ArrayPool<byte>.Shared.Rent(HeaderRoom);
            var w = new ResponseWriter(o304);
            w.StatusLine(304);
            w.Write("Date: "u8); w.Write(HttpDate.Now);
            w.Write("\r\nServer: Perlbal\r\nLast-Modified: "u8); w.Write(lastMod);
            w.Write("\r\nAccept-Ranges: bytes\r\n"u8);
            w.ConnectionTail(keep);
            return new GetPlan(o304, w.Position, keep);
        }

        long from = 0, to = size - 1;
        int status = 200;
        if (_req.RangeStart >= 0)
        {
            var r = ParseRange(_buf.AsSpan(_req.RangeStart, _req.RangeLength), size, out from, out to);
            if (r == 416)
            {
                Libc.Close(fd);
                var o416 = ArrayPool<byte>.Shared.Rent(HeaderRoom);
                var w = new ResponseWriter(o416);
                w.StatusLine(416);
                // Perlbal: "bytes */<size>", or a bare "*" for an empty file.
                if (size > 0) { w.Write("Content-Range: bytes */"u8); w.Write(size); }
                else w.Write("Content-Range: *"u8);
                w.Write("\r\nContent-Length: 0\r\nDate: "u8); w.Write(HttpDate.Now);
                w.Write("\r\nServer: Perlbal\r\nLast-Modified: "u8); w.Write(lastMod);
                w.Write("\r\nAccept-Ranges: bytes\r\n"u8);
                w.ConnectionTail(keep);
                return new GetPlan(o416, w.Position, keep);
            }
            if (r == 206) status = 206;
            else { from = 0; to = size - 1; }
        }
        long count = to - from + 1;

        bool inline = !head && count <= InlineBodyMax;
        var o = ArrayPool<byte>.Shared.Rent(HeaderRoom + (inline ? (int)count : 0));
        var hw = new ResponseWriter(o);
        hw.StatusLine(status);
        hw.Write("Date: "u8); hw.Write(HttpDate.Now);
        hw.Write("\r\nServer: Perlbal\r\nLast-Modified: "u8); hw.Write(lastMod);
        hw.Write("\r\nAccept-Ranges: bytes\r\nContent-Type: "u8);
        hw.Write(isIndex ? "text/html"u8 : MimeTypes.For(_path.AsSpan(0, relLen)));
        if (status == 206)
        {
            hw.Write("\r\nContent-Range: bytes "u8);
            hw.Write(from); hw.Write("-"u8); hw.Write(to); hw.Write("/"u8); hw.Write(size);
        }
        hw.Write("\r\nContent-Length: "u8);
        hw.Write(count);
        hw.Write("\r\n"u8);
        hw.ConnectionTail(keep);
        int len = hw.Position;

        if (head || count == 0)
        {
            Libc.Close(fd);
            return new GetPlan(o, len, keep);
        }
        if (inline)
        {
            if (OnEventLoop)
            {
                // Only what the page cache already holds; the rest is read on the thread pool.
                nint n;
                fixed (byte* b = o) n = Libc.PReadCached(fd, b + len, (nint)count, from);
                if (n == count)
                {
                    Libc.Close(fd);
                    return new GetPlan(o, len + (int)n, keep);
                }
                long done = n > 0 ? n : 0;
                return new GetPlan(o, len + (int)done, keep, fd, from + done, count - done, readIntoOut: true);
            }
            long got = ReadFully(fd, o, len, from, count);
            Libc.Close(fd);
            // The file shrank under us: the promised length cannot be met, so close after what we have.
            return new GetPlan(o, len + (int)got, keep && got == count);
        }
        return new GetPlan(o, len, keep, fd, from, count);
    }

    private GetPlan OpenFailure(int errno, bool keep, bool head)
    {
        switch (errno)
        {
            case Libc.ENOENT:
            case Libc.ENOTDIR:
            case Libc.ENAMETOOLONG:
                return Simple(404, default, keep, head);
            case Libc.EXDEV:
            case Libc.ELOOP:
                Log.EscapeRefused(_svc.Logger, System.Text.Encoding.UTF8.GetString(Target));
                return Simple(403, "Bogus URL"u8, keep, head);
            case Libc.EACCES:
            case Libc.EPERM:
                return Simple(403, default, keep, head);
            default:
                return Simple(500, default, keep, head);
        }
    }

    private unsafe int OpenIndex(int relLen, bool cachedOnly)
    {
        ReadOnlySpan<byte> suffix = "index.html"u8;
        int len;
        if (relLen == 1 && _path[0] == '.') len = 0;
        else
        {
            len = relLen;
            if (_path[len - 1] != '/') _path[len++] = (byte)'/';
        }
        if (len + suffix.Length + 1 > _path.Length) return -1;
        suffix.CopyTo(_path.AsSpan(len));
        len += suffix.Length;
        _path[len] = 0;
        fixed (byte* p = _path) return _svc.Root.Open(p, len, Libc.O_RDONLY | Libc.O_NONBLOCK, 0, cachedOnly);
    }

    internal static bool ImsMatches(ReadOnlySpan<byte> ims, ReadOnlySpan<byte> lastMod, long size)
    {
        int semi = ims.IndexOf((byte)';');
        if (semi >= 0)
        {
            var rest = ims[(semi + 1)..].Trim((byte)' ');
            if (!rest.StartsWith("length="u8)) return false;
            if (RequestHead.PerlNumber(rest[7..]) != size) return false;
            ims = ims[..semi].TrimEnd((byte)' ');
        }
        return ims.SequenceEqual(lastMod);
    }

    /// <summary>
    /// Single <c>bytes=S-E</c> ranges (storage-node.md §3.2.4). Returns 200 (ignore), 206 or 416.
    /// Differs from 2.73 on purpose: a suffix range <c>bytes=-N</c> means the last N bytes
    /// (RFC 9110), not the first N+1 (a Perlbal bug that would hand clients the wrong bytes).
    /// </summary>
    internal static int ParseRange(ReadOnlySpan<byte> v, long size, out long from, out long to)
    {
        from = 0; to = size - 1;
        if (!v.StartsWith("bytes="u8)) return 200;
        v = v[6..];
        int dash = v.IndexOf((byte)'-');
        if (dash < 0) return 200;
        var s = v[..dash];
        var e = v[(dash + 1)..];
        if (!AllDigits(s) || !AllDigits(e)) return 200;
        if (s.IsEmpty && e.IsEmpty) return 200;
        if (s.IsEmpty)
        {
            long n = ParseDigits(e);
            if (n == 0 || size == 0) return 416;
            from = n >= size ? 0 : size - n;
            to = size - 1;
            return 206;
        }
        long start = ParseDigits(s);
        long end = e.IsEmpty ? long.MaxValue : ParseDigits(e);
        if (start > end) return 416;
        if (start >= size) return 416;
        from = start;
        to = end >= size ? size - 1 : end;
        return 206;
    }

    private static bool AllDigits(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s) if (b < '0' || b > '9') return false;
        return true;
    }

    private static long ParseDigits(ReadOnlySpan<byte> s)
    {
        long n = 0;
        foreach (byte b in s)
        {
            if (n > (long.MaxValue - 9) / 10) return long.MaxValue;
            n = n * 10 + (b - '0');
        }
        return n;
    }

    private readonly byte[] _oneByte = new byte[1];

    /// <summary>
    /// TCP_CORK around a sendfile response (nginx's tcp_nopush): headers and file data leave in
    /// full-sized segments instead of a small packet at every sendfile boundary, which costs the
    /// receiver a wake-up and a read each. Uncorking flushes the tail.
    /// </summary>
    private bool SetCork(bool on)
    {
        try
        {
            Span<byte> v = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(v, on ? 1 : 0);
            _socket.SetRawSocketOption(6 /* IPPROTO_TCP */, 3 /* TCP_CORK */, v);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>
    /// sendfile(2) straight from the page cache, as plain non-blocking syscalls. When the socket
    /// buffer is full, the next single byte of the file goes out through the runtime's async
    /// send, which waits for writability on its epoll thread; then sendfile resumes. (That byte
    /// is appended to the queued data, so it does not make a tiny packet.)
    /// </summary>
    private async ValueTask SendFileAsync(int fd, long offset, long count)
    {
        _sent += count; // counted up front: a failure ends the connection anyway
        while (true)
        {
            if (OnEventLoop && !Libc.FullyCached(fd, offset, count)) await Task.Yield(); // cold pages would block the event loop
            (offset, count) = TrySendFileNow(fd, offset, count);
            if (count == 0) return;
            if (!ReadOneByte(fd, offset)) throw new IOException("file shrank while being sent");
            int n = await _socket.SendAsync(_oneByte, SocketFlags.None).ConfigureAwait(false);
            if (n != 1) throw new SocketException((int)SocketError.ConnectionReset);
            offset++;
            count--;
            LastActivity = Environment.TickCount64;
        }
    }

    private unsafe bool ReadOneByte(int fd, long offset)
    {
        fixed (byte* b = _oneByte)
        {
            while (true)
            {
                nint n = Libc.PRead(fd, b, 1, offset);
                if (n == 1) return true;
                if (n < 0 && Libc.Errno == Libc.EINTR) continue;
                return false;
            }
        }
    }

    private unsafe (long, long) TrySendFileNow(int fd, long offset, long count)
    {
        var h = _socket.SafeHandle;
        bool added = false;
        try
        {
            h.DangerousAddRef(ref added);
            int sock = (int)h.DangerousGetHandle();
            while (count > 0)
            {
                long off = offset;
                nint n = SendFile(sock, fd, &off, (nint)Math.Min(count, 1L << 30));
                if (n > 0)
                {
                    offset += n;
                    count -= n;
                    LastActivity = Environment.TickCount64;
                    continue;
                }
                if (n == 0) throw new IOException("file shrank while being sent");
                int err = Libc.Errno;
                if (err == Libc.EINTR) continue;
                if (err == Libc.EAGAIN) break;
                throw new SocketException(err);
            }
        }
        finally
        {
            if (added) h.DangerousRelease();
        }
        return (offset, count);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sendfile64", SetLastError = true)]
    private static extern unsafe nint SendFile(int outFd, int inFd, long* offset, nint count);
}
