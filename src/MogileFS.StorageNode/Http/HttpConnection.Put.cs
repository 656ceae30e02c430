using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using MogileFS.StorageNode.Native;

namespace MogileFS.StorageNode.Http;

// PUT (storage-node.md §3.3). Unlike 2.73, the body always goes to a file without a name
// (O_TMPFILE) in the target directory that is linked under the target's name only once the
// whole body arrived (and its Content-MD5 matched): an aborted or failed upload, or a crash,
// never leaves a partial file or a temp file behind, and an existing file stays intact until
// the new one is complete (a replacement is linked under a temp name and renamed over it).
// Creating the unnamed file does not lock the directory, so concurrent uploads into one
// directory wait for each other only for the link. Where the file system has no O_TMPFILE,
// the body goes to a named temp file (<name>.<pid>.<random>.tmp) that is renamed into place.
internal sealed partial class HttpConnection
{
    private const int BodyBufferSize = 256 * 1024;

    // Upload state (one upload at a time per connection).
    private int _putDirFd = -1, _putFd = -1;
    private readonly byte[] _tmpName = new byte[320];
    private int _nameOffset, _nameLength; // file name inside _path
    private bool _unnamed; // _putFd is an O_TMPFILE file (no temp name to remove)
    private IncrementalHash? _md5;
    private int _writeErrno;
    private long _received;

    private static readonly byte[] Continue100 = "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> HandlePutAsync()
    {
        bool chunked = _req.Chunked;
        long len = chunked ? 0 : _req.ContentLength;
        _lingerOnClose = true; // cleared below once the body has been consumed
        if (len < 0)
            return await SendSimpleAsync(400, $"Content-length of {len} is invalid.", keepAlive: false).ConfigureAwait(false);

        // Everything the handler needs from the head is copied out: chunked bodies reuse _buf.
        string? md5Header = _req.Md5Start >= 0 ? System.Text.Encoding.Latin1.GetString(_buf, _req.Md5Start, _req.Md5Length) : null;
        bool expect = _req.ExpectContinue;
        bool http11 = _req.VersionMinor >= 1;
        bool wantsKeepAlive = _req.WantsKeepAlive;

        if (OnEventLoop) await Task.Yield(); // file creation, writes and rename may wait for the disk
        var (code, message) = BeginPut(md5Header != null);
        if (code != 0)
        {
            bool consumed = !chunked && len == 0;
            _lingerOnClose = !consumed;
            return await SendSimpleAsync(code, message, keepAlive: consumed && wantsKeepAlive && !_svc.Stopping).ConfigureAwait(false);
        }

        bool committed = false;
        Volatile.Write(ref BodyStarted, Environment.TickCount64);
        try
        {
            if (chunked)
            {
                if (expect) await SendAsync(Continue100).ConfigureAwait(false);
                if (!await ReceiveChunkedBodyAsync().ConfigureAwait(false)) return false;
            }
            else
            {
                // Ours: answer Expect: 100-continue on HTTP/1.1 so curl-style clients do not stall
                // (2.73 ignored it for non-chunked uploads; nothing in MogileFS sends it).
                if (expect && http11 && len > _end - _start) await SendAsync(Continue100).ConfigureAwait(false);
                if (!await ReceiveBodyAsync(len).ConfigureAwait(false)) return false;
            }

            _lingerOnClose = _writeErrno != 0;
            // Every failure removes its temporary file before answering: a client (or a test) that
            // looks at the directory after the error sees nothing of the upload.
            if (_writeErrno != 0)
            {
                EndPut(committed: false);
                return await SendSimpleAsync(WriteErrorStatus(_writeErrno), WriteErrorMessage(_writeErrno), keepAlive: false).ConfigureAwait(false);
            }

            string? mismatch = null;
            if (md5Header != null)
            {
                string actual = Convert.ToBase64String(_md5!.GetHashAndReset()).TrimEnd('=');
                string expected = md5Header.TrimEnd('=', ' ', '\t', '\r', '\n');
                if (!string.Equals(actual, expected, StringComparison.Ordinal))
                    mismatch = $"Content-MD5 mismatch, expected: {expected} actual: {actual}";
            }
            bool keep = wantsKeepAlive && !_svc.Stopping;
            if (mismatch != null)
            {
                EndPut(committed: false);
                return await SendSimpleAsync(400, mismatch, keep).ConfigureAwait(false);
            }

            var (fcode, fmsg) = FinishPut();
            if (fcode != 0)
            {
                EndPut(committed: false);
                return await SendSimpleAsync(fcode, fmsg, keep).ConfigureAwait(false);
            }
            committed = true;
            return await SendPutOkAsync(md5Header != null, keep).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref BodyStarted, 0);
            EndPut(committed); // idempotent: a no-op when an error path already cleaned up
        }
    }

    private static readonly byte[][] PutOkResponses = BuildPutOk();

    private static byte[][] BuildPutOk()
    {
        var r = new byte[4][];
        for (int i = 0; i < 4; i++)
        {
            var b = new byte[512];
            var w = new ResponseWriter(b);
            w.Simple((i & 1) != 0 ? 201 : 200, default, keepAlive: (i & 2) != 0, withBody: true);
            r[i] = b.AsSpan(0, w.Position).ToArray();
        }
        return r;
    }

    private async ValueTask<bool> SendPutOkAsync(bool created, bool keep)
    {
        await SendAsync(PutOkResponses[(created ? 1 : 0) | (keep ? 2 : 0)]).ConfigureAwait(false);
        return keep;
    }

    private static int WriteErrorStatus(int errno) => errno is Libc.ENOSPC or Libc.EDQUOT ? 507 : errno == Libc.EFBIG ? 413 : 500;

    private static string WriteErrorMessage(int errno) =>
        errno is Libc.ENOSPC or Libc.EDQUOT ? "No space left on device" : "Error saving file";

    /// <summary>Validates the target, opens (creating as needed) its directory and creates the
    /// temporary file. Returns (0, "") or the error status and message.</summary>
    private unsafe (int, string) BeginPut(bool withMd5)
    {
        _writeErrno = 0;
        _received = 0;
        var target = Target;
        int components = UrlRules.ValidateWriteTarget(target);
        if (components == 0) return (400, "Invalid filename");
        // min_put_directory = 1 (2.73). Ours: applied to chunked uploads too.
        if (components < 2) return (400, "Does not meet minimum directory requirement");

        // _path = "dir/part\0name\0" (relative to the docroot)
        int lastSlash = target.LastIndexOf((byte)'/');
        int dirLen = lastSlash - 1;
        target[1..lastSlash].CopyTo(_path);
        _path[dirLen] = 0;
        _nameOffset = dirLen + 1;
        _nameLength = target.Length - lastSlash - 1;
        target[(lastSlash + 1)..].CopyTo(_path.AsSpan(_nameOffset));
        _path[_nameOffset + _nameLength] = 0;

        int dfd;
        fixed (byte* p = _path) dfd = _svc.Root.Open(p, dirLen, Libc.O_PATH | Libc.O_DIRECTORY);
        if (dfd < 0)
        {
            int err = -dfd;
            if (err is Libc.EXDEV or Libc.ELOOP)
            {
                Log.EscapeRefused(_svc.Logger, System.Text.Encoding.UTF8.GetString(target));
                return (403, "Forbidden");
            }
            if (err is not (Libc.ENOENT or Libc.ENOTDIR)) return (500, "Internal error");
            // The first component (/devN) must exist; deeper directories are created.
            int first = _path.AsSpan(0, dirLen).IndexOf((byte)'/');
            if (first < 0) first = dirLen;
            byte saved = _path[first];
            _path[first] = 0;
            int br;
            Libc.StatX st;
            fixed (byte* p = _path) br = _svc.Root.Stat(p, first, out st);
            _path[first] = saved;
            if (br < 0 || !st.IsDirectory) return (404, "Base directory does not exist");
            if (err == Libc.ENOTDIR) return (500, "Internal error");
            int mkErr = MakeDirectories(dirLen);
            if (mkErr is Libc.ENOSPC or Libc.EDQUOT) return (507, "No space left on device");
            if (mkErr != 0) return (500, "Unable to create directory");
            fixed (byte* p = _path) dfd = _svc.Root.Open(p, dirLen, Libc.O_PATH | Libc.O_DIRECTORY);
            if (dfd < 0) return (500, "Unable to create directory");
        }
        _putDirFd = dfd;

        _unnamed = TryOpenUnnamed(dfd);
        // <name>.<pid>.<random>.tmp, like 2.73's Content-MD5 temp files.
        for (int attempt = 0; !_unnamed; attempt++)
        {
            int tl = BuildTempName();
            if (tl < 0) { CloseDir(); return (500, "Internal error"); }
            int fd;
            fixed (byte* t = _tmpName) fd = Libc.OpenAt(dfd, t, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 0x1A4 /* 0644 */);
            if (fd >= 0) { _putFd = fd; break; }
            int err = Libc.Errno;
            if (err == Libc.EEXIST && attempt < 5) continue;
            CloseDir();
            if (err is Libc.ENOSPC or Libc.EDQUOT) return (507, "No space left on device");
            if (err == Libc.EISDIR) return (500, "Internal error");
            return (500, "Internal error");
        }
        if (withMd5) (_md5 ??= IncrementalHash.CreateHash(HashAlgorithmName.MD5)).GetHashAndReset();
        _withMd5 = withMd5;
        return (0, "");
    }

    private bool _withMd5;

    /// <summary>Opens an unnamed file in the target directory; false when the file system (or
    /// kernel) cannot, which switches this node to named temp files, or on any other error,
    /// which the named temp file then reports.</summary>
    private unsafe bool TryOpenUnnamed(int dfd)
    {
        if (_svc.NoTmpfile) return false;
        int fd;
        fixed (byte* dot = ".\0"u8) fd = Libc.OpenAt(dfd, dot, Libc.O_WRONLY | Libc.O_TMPFILE | Libc.O_CLOEXEC, 0x1A4 /* 0644 */);
        if (fd >= 0)
        {
            _putFd = fd;
            return true;
        }
        if (Libc.Errno is Libc.EOPNOTSUPP or Libc.EISDIR or Libc.EINVAL) _svc.NoTmpfile = true;
        return false;
    }

    /// <summary>Gives the unnamed upload its name: linked directly when the name is free, else
    /// linked under a temp name and renamed over the existing file. Leaves _putFd open.</summary>
    private unsafe int LinkUnnamed()
    {
        // linkat(fd, "", AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the /proc link works for anyone.
        Span<byte> src = stackalloc byte[32];
        "/proc/self/fd/"u8.CopyTo(src);
        System.Buffers.Text.Utf8Formatter.TryFormat(_putFd, src[14..], out int w);
        src[14 + w] = 0;
        int r;
        fixed (byte* sp = src)
        {
            fixed (byte* p = _path) r = Libc.LinkAt(Libc.AT_FDCWD, sp, _putDirFd, p + _nameOffset, Libc.AT_SYMLINK_FOLLOW);
            if (r == 0 || Libc.Errno != Libc.EEXIST) return r;
            for (int attempt = 0; ; attempt++)
            {
                if (BuildTempName() < 0) return -1;
                fixed (byte* t = _tmpName) r = Libc.LinkAt(Libc.AT_FDCWD, sp, _putDirFd, t, Libc.AT_SYMLINK_FOLLOW);
                if (r == 0) break;
                if (Libc.Errno != Libc.EEXIST || attempt >= 5) return r;
            }
        }
        _unnamed = false; // from here on there is a temp name, which EndPut removes unless committed
        fixed (byte* t = _tmpName)
        fixed (byte* p = _path)
            return Libc.RenameAt(_putDirFd, t, _putDirFd, p + _nameOffset);
    }

    private int BuildTempName()
    {
        var name = _path.AsSpan(_nameOffset, _nameLength);
        Span<byte> suffix = stackalloc byte[48];
        int sl = 0;
        suffix[sl++] = (byte)'.';
        System.Buffers.Text.Utf8Formatter.TryFormat(_svc.Pid, suffix[sl..], out int w); sl += w;
        suffix[sl++] = (byte)'.';
        System.Buffers.Text.Utf8Formatter.TryFormat((uint)Random.Shared.NextInt64(0, 4294967295L), suffix[sl..], out w); sl += w;
        ".tmp"u8.CopyTo(suffix[sl..]); sl += 4;
        if (name.Length + sl + 1 > _tmpName.Length) return -1;
        name.CopyTo(_tmpName);
        suffix[..sl].CopyTo(_tmpName.AsSpan(name.Length));
        _tmpName[name.Length + sl] = 0;
        return name.Length + sl;
    }

    /// <summary>mkdir -p of _path[0..dirLen) beneath the docroot (mode 0755 minus umask).
    /// Returns 0 or the errno that stopped it.</summary>
    private unsafe int MakeDirectories(int dirLen)
    {
        for (int i = 0; i <= dirLen; i++)
        {
            if (i != dirLen && _path[i] != '/') continue;
            byte saved = _path[i];
            _path[i] = 0;
            try
            {
                int fd;
                fixed (byte* p = _path) fd = _svc.Root.Open(p, i, Libc.O_PATH | Libc.O_DIRECTORY);
                if (fd >= 0) { Libc.Close(fd); continue; }
                if (-fd != Libc.ENOENT) return -fd;
                int parentEnd = _path.AsSpan(0, i).LastIndexOf((byte)'/');
                int parent;
                if (parentEnd < 0) parent = -1;
                else
                {
                    _path[parentEnd] = 0;
                    fixed (byte* p = _path) parent = _svc.Root.Open(p, parentEnd, Libc.O_PATH | Libc.O_DIRECTORY);
                    _path[parentEnd] = (byte)'/';
                    if (parent < 0) return -parent;
                }
                int r;
                fixed (byte* p = _path) r = Libc.MkdirAt(parent < 0 ? _svc.Root.Fd : parent, p + parentEnd + 1, 0x1ED /* 0755 */);
                int err = r < 0 ? Libc.Errno : 0;
                if (parent >= 0) Libc.Close(parent);
                if (r < 0 && err != Libc.EEXIST) return err;
            }
            finally
            {
                _path[i] = saved;
            }
        }
        return 0;
    }

    /// <summary>Appends body bytes to the temp file. After a write error the rest is dropped
    /// (the error is answered as soon as the caller sees <see cref="_writeErrno"/>).</summary>
    private unsafe void WriteBody(ReadOnlySpan<byte> data)
    {
        _received += data.Length;
        if (_writeErrno != 0) return;
        if (_withMd5) _md5!.AppendData(data);
        fixed (byte* b = data)
        {
            int off = 0;
            while (off < data.Length)
            {
                nint n = Libc.Write(_putFd, b + off, data.Length - off);
                if (n > 0) { off += (int)n; continue; }
                int err = n < 0 ? Libc.Errno : Libc.EIO;
                if (err == Libc.EINTR) continue;
                _writeErrno = err;
                return;
            }
        }
    }

    /// <summary>Receives exactly <paramref name="len"/> body bytes. False: the client went away
    /// (or a write failed and the error was answered): the connection must close.</summary>
    private async ValueTask<bool> ReceiveBodyAsync(long len)
    {
        long remaining = len;
        int avail = (int)Math.Min(_end - _start, remaining);
        if (avail > 0)
        {
            WriteBody(_buf.AsSpan(_start, avail));
            _start += avail;
            remaining -= avail;
        }
        if (remaining == 0) return true;
        if (_start == _end) _start = _end = 0;

        byte[] big = ArrayPool<byte>.Shared.Rent((int)Math.Min(remaining, BodyBufferSize));
        try
        {
            while (remaining > 0)
            {
                if (_writeErrno != 0) return true; // answer now, do not wait for the rest
                int want = (int)Math.Min(big.Length, remaining);
                int n = await _socket.ReceiveAsync(big.AsMemory(0, want), SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    Log.UploadAborted(_svc.Logger, PathForLog(), _received);
                    return false;
                }
                LastActivity = Environment.TickCount64;
                if (OnEventLoop) await Task.Yield();
                WriteBody(big.AsSpan(0, n));
                remaining -= n;
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(big);
        }
    }

    /// <summary>Chunked body (2.73 framing: HEX[;ext] CRLF data [CRLF] ... 0 CRLF [trailers] CRLF).</summary>
    private async ValueTask<bool> ReceiveChunkedBodyAsync()
    {
        while (true)
        {
            // size line (blank lines, i.e. the CRLF after a chunk, are skipped)
            int lineEnd;
            while (true)
            {
                while (_start < _end && (_buf[_start] == '\r' || _buf[_start] == '\n')) _start++;
                lineEnd = _buf.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                if (lineEnd >= 0) break;
                if (!await FillAsync().ConfigureAwait(false)) return false;
            }
            var line = _buf.AsSpan(_start, lineEnd);
            _start += lineEnd + 1;
            int semi = line.IndexOf((byte)';');
            if (semi >= 0) line = line[..semi];
            line = line.Trim(" \t\r"u8);
            if (line.IsEmpty || line.Length > 15 || !long.TryParse(line, System.Globalization.NumberStyles.AllowHexSpecifier, null, out long size) || size < 0)
            {
                await SendSimpleAsync(400, "Invalid chunk size", keepAlive: false).ConfigureAwait(false);
                return false;
            }
            if (size == 0)
            {
                // trailers up to the blank line
                while (true)
                {
                    int nl;
                    while ((nl = _buf.AsSpan(_start, _end - _start).IndexOf((byte)'\n')) < 0)
                        if (!await FillAsync().ConfigureAwait(false)) return false;
                    var t = _buf.AsSpan(_start, nl);
                    _start += nl + 1;
                    if (t.IsEmpty || (t.Length == 1 && t[0] == '\r')) return true;
                }
            }
            while (size > 0)
            {
                if (_start == _end && !await FillAsync().ConfigureAwait(false)) return false;
                if (OnEventLoop) await Task.Yield();
                int take = (int)Math.Min(size, _end - _start);
                WriteBody(_buf.AsSpan(_start, take));
                _start += take;
                size -= take;
            }
            if (_writeErrno != 0) return true;
        }
    }

    /// <summary>Receives more bytes into _buf (compacting first). False on EOF or an over-long line.</summary>
    private async ValueTask<bool> FillAsync()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end >= _buf.Length) return false;
        int n = await _socket.ReceiveAsync(_buf.AsMemory(_end), SocketFlags.None).ConfigureAwait(false);
        if (n == 0)
        {
            Log.UploadAborted(_svc.Logger, PathForLog(), _received);
            return false;
        }
        _end += n;
        LastActivity = Environment.TickCount64;
        return true;
    }

    /// <summary>Closes the temp file and renames it over the target.</summary>
    private unsafe (int, string) FinishPut()
    {
        if (_svc.Options.FsyncUploads && Fsync(_putFd) < 0)
            return (500, "Error saving file");
        if (_unnamed) return FinishUnnamed();
        int fd = _putFd;
        _putFd = -1;
        if (Libc.Close(fd) < 0)
        {
            int err = Libc.Errno;
            return (WriteErrorStatus(err), WriteErrorMessage(err));
        }
        int r;
        fixed (byte* t = _tmpName)
        fixed (byte* p = _path)
            r = Libc.RenameAt(_putDirFd, t, _putDirFd, p + _nameOffset);
        if (r < 0)
        {
            int err = Libc.Errno;
            // e.g. the target is a directory: 2.73 answered this (at open time) with 500 Internal error.
            Log.UploadFailed(_svc.Logger, PathForLog(), Libc.StrError(err));
            return (500, "Internal error");
        }
        return (0, "");
    }

    private unsafe (int, string) FinishUnnamed()
    {
        if (LinkUnnamed() < 0)
        {
            int err = Libc.Errno;
            // A file system that makes unnamed files but cannot link them (a security module, an
            // odd overlay): this upload fails, the following ones use named temp files.
            if (_unnamed && err is not (Libc.ENOENT or Libc.ENOSPC or Libc.EDQUOT or Libc.EEXIST)) _svc.NoTmpfile = true;
            Log.UploadFailed(_svc.Logger, PathForLog(), Libc.StrError(err));
            return (err is Libc.ENOSPC or Libc.EDQUOT ? 507 : 500, err is Libc.ENOSPC or Libc.EDQUOT ? "No space left on device" : "Internal error");
        }
        int fd = _putFd;
        _putFd = -1;
        if (Libc.Close(fd) < 0)
        {
            // The name is already there: take it away again rather than serve a file that may be short.
            int err = Libc.Errno;
            fixed (byte* p = _path) Libc.UnlinkAt(_putDirFd, p + _nameOffset, 0);
            return (WriteErrorStatus(err), WriteErrorMessage(err));
        }
        return (0, "");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    /// <summary>Releases the upload; unless committed, the temporary file is removed.</summary>
    private unsafe void EndPut(bool committed)
    {
        if (_putFd >= 0) { Libc.Close(_putFd); _putFd = -1; }
        if (!committed && !_unnamed && _putDirFd >= 0)
            fixed (byte* t = _tmpName) Libc.UnlinkAt(_putDirFd, t, 0);
        CloseDir();
    }

    private void CloseDir()
    {
        if (_putDirFd >= 0) { Libc.Close(_putDirFd); _putDirFd = -1; }
    }

    private string PathForLog()
    {
        int z = Array.IndexOf(_path, (byte)0);
        return "/" + System.Text.Encoding.UTF8.GetString(_path, 0, Math.Max(0, z)) + "/" +
               System.Text.Encoding.UTF8.GetString(_path, _nameOffset, _nameLength);
    }
}
