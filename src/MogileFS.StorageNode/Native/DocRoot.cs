using System.Runtime.InteropServices;

namespace MogileFS.StorageNode.Native;

/// <summary>
/// Every file access of the node goes through here, relative to an open descriptor of the
/// docroot. Paths are resolved with openat2(RESOLVE_BENEATH): a symlink or anything else
/// that would lead outside the docroot fails with EXDEV instead of being followed.
/// The one exception is the first level (the <c>devN</c> directories): operators sometimes
/// make those symlinks to the real disk, so a path that escapes only because its first
/// component is a symlink is retried beneath that (followed) first component.
/// Without openat2 (kernels before 5.6, seccomp) the path is opened normally and its
/// resolved location (/proc/self/fd) is checked against the docroot instead.
/// </summary>
internal sealed unsafe class DocRoot : IDisposable
{
    private int _fd;
    private readonly string _realPath;

    private readonly bool _noOpenat2;
    private static bool s_noResolveCached;

    public DocRoot(string path, bool useOpenat2 = true)
    {
        _noOpenat2 = !useOpenat2;
        Path = path;
        _realPath = System.IO.Path.GetFullPath(ResolveLinks(path));
        byte* p = stackalloc byte[Libc.Encoding.GetMaxByteCount(path.Length) + 1];
        int n = Libc.Encoding.GetBytes(path, new Span<byte>(p, Libc.Encoding.GetMaxByteCount(path.Length)));
        p[n] = 0;
        _fd = Libc.Open(p, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (_fd < 0)
        {
            int err = Libc.Errno;
            throw new IOException($"Docroot {path}: {Libc.StrError(err)}");
        }
    }

    public string Path { get; }

    public int Fd => _fd;

    private static string ResolveLinks(string path)
    {
        try
        {
            var di = new DirectoryInfo(path);
            var target = di.ResolveLinkTarget(true);
            return target?.FullName ?? di.FullName;
        }
        catch (IOException) { return path; }
    }

    /// <summary>Opens <paramref name="rel"/> (NUL-terminated, no leading slash, "." for the root)
    /// beneath the docroot. Returns the fd, or -errno.</summary>
    /// <remarks>With <paramref name="cachedOnly"/> the lookup must be served from the dentry
    /// cache (RESOLVE_CACHED): -EAGAIN means it would have had to read the disk.</remarks>
    public int Open(byte* rel, int relLen, int flags, int mode = 0, bool cachedOnly = false)
    {
        flags |= Libc.O_CLOEXEC;
        if (cachedOnly && (_noOpenat2 || s_noResolveCached)) return -Libc.EAGAIN;
        if (_noOpenat2) return OpenChecked(rel, flags, mode);
        ulong resolve = Libc.RESOLVE_BENEATH | Libc.RESOLVE_NO_MAGICLINKS | (cachedOnly ? Libc.RESOLVE_CACHED : 0);
        int fd = Libc.OpenAt2(_fd, rel, flags, mode, resolve);
        if (fd >= 0) return fd;
        if (fd == -2) return cachedOnly ? -Libc.EAGAIN : OpenChecked(rel, flags, mode);
        int err = Libc.Errno;
        if (cachedOnly && err == Libc.EINVAL)
        {
            s_noResolveCached = true; // kernel before 5.12
            return -Libc.EAGAIN;
        }
        if (cachedOnly && err == Libc.EAGAIN) return -Libc.EAGAIN;
        if (err != Libc.EXDEV) return -err;

        // Escape detected. Allow it only when the first component is a symlinked device
        // directory (devN -> /mnt/disk): resolve the rest beneath that directory.
        int slash = relLen;
        for (int i = 0; i < relLen; i++) if (rel[i] == (byte)'/') { slash = i; break; }
        if (!IsDeviceName(new ReadOnlySpan<byte>(rel, slash))) return -Libc.EXDEV;
        byte saved = rel[slash];
        rel[slash] = 0;
        int dev = Libc.OpenAt(_fd, rel, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        rel[slash] = saved;
        if (dev < 0) return -Libc.EXDEV;
        byte dot = (byte)'.';
        byte* rest = slash + 1 < relLen ? rel + slash + 1 : null;
        byte* here = stackalloc byte[2] { dot, 0 };
        fd = Libc.OpenAt2(dev, rest != null ? rest : here, flags, mode, Libc.RESOLVE_BENEATH | Libc.RESOLVE_NO_MAGICLINKS);
        err = fd < 0 ? Libc.Errno : 0;
        Libc.Close(dev);
        return fd >= 0 ? fd : -err;
    }

    private static bool IsDeviceName(ReadOnlySpan<byte> name)
    {
        if (name.Length < 4 || !name.StartsWith("dev"u8)) return false;
        foreach (byte b in name[3..]) if (b < '0' || b > '9') return false;
        return true;
    }

    /// <summary>Fallback without openat2: plain openat, then verify where it landed.</summary>
    private int OpenChecked(byte* rel, int flags, int mode)
    {
        int fd = Libc.OpenAt(_fd, rel, flags, mode);
        if (fd < 0) return -Libc.Errno;
        try
        {
            string target = File.ResolveLinkTarget($"/proc/self/fd/{fd}", false)?.FullName ?? "";
            if (target == _realPath || target.StartsWith(_realPath.EndsWith('/') ? _realPath : _realPath + "/", StringComparison.Ordinal))
                return fd;
            // Symlinked first-level device directories are allowed, as with openat2.
            string relStr = Marshal.PtrToStringUTF8((nint)rel) ?? "";
            int slash = relStr.IndexOf('/');
            if (slash < 0) slash = relStr.Length;
            if (IsDeviceName(System.Text.Encoding.UTF8.GetBytes(relStr[..slash])))
            {
                string dev = ResolveLinks(System.IO.Path.Combine(_realPath, relStr[..slash]));
                string devFull = System.IO.Path.GetFullPath(dev);
                if (target.StartsWith(devFull + "/", StringComparison.Ordinal) || target == devFull)
                    return fd;
            }
        }
        catch (IOException) { }
        Libc.Close(fd);
        return -Libc.EXDEV;
    }

    /// <summary>Stat of a path beneath the docroot (through an O_PATH open, so the same
    /// containment rules apply). Returns 0 or -errno.</summary>
    public int Stat(byte* rel, int relLen, out Libc.StatX st)
    {
        int fd = Open(rel, relLen, Libc.O_PATH);
        if (fd < 0) { st = default; return fd; }
        int r = Libc.FStat(fd, out st);
        int err = r < 0 ? Libc.Errno : 0;
        Libc.Close(fd);
        return r < 0 ? -err : 0;
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Libc.Close(fd);
    }
}
