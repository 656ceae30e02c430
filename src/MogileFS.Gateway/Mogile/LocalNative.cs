using System.Runtime.InteropServices;

namespace MogileFS.Gateway.Mogile;

/// <summary>
/// The few Linux calls behind local writes (<see cref="LocalUpload"/>): directory descriptors, openat2 with
/// RESOLVE_BENEATH (so a path never leaves the device directory), unnamed files (O_TMPFILE) and linking them
/// into place. Values are Linux x86-64/arm64 ones; every failure is reported as -errno or false, never thrown.
/// </summary>
internal static unsafe partial class LocalNative
{
    public const int O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000,
        O_CLOEXEC = 0x80000, O_PATH = 0x200000, O_TMPFILE = 0x410000;
    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_SYMLINK_FOLLOW = 0x400, AT_EMPTY_PATH = 0x1000;
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_BENEATH = 0x08;
    public const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21,
        EINVAL = 22, ENOSPC = 28, ENOSYS = 38, ELOOP = 40, EOPNOTSUPP = 95, EDQUOT = 122;
    public const int ModeFile = 0x1A4 /* 0644, minus umask, as mogstored */, ModeDirectory = 0x1ED /* 0755 */;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags, Mode, Resolve;
    }

    /// <summary>The start of struct statx (linux/stat.h; the kernel fills 256 bytes).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct StatX
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        public readonly bool IsDirectory => (Mode & 0xF000) == 0x4000;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int dirfd, byte* path, OpenHow* how, nuint size);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int OpenAtRaw(int dirfd, byte* path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseRaw(int fd);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteRaw(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    private static partial int MkdirAtRaw(int dirfd, byte* path, int mode);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true)]
    private static partial int LinkAtRaw(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);

    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true)]
    private static partial int RenameAtRaw(int olddirfd, byte* oldpath, int newdirfd, byte* newpath);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int UnlinkAtRaw(int dirfd, byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FChownRaw(int fd, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true)]
    private static partial int FChownAtRaw(int dirfd, byte* path, uint uid, uint gid, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int StatXRaw(int dirfd, byte* path, int flags, uint mask, StatX* buf);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    private static int Errno => Marshal.GetLastPInvokeError();

    public static string StrError(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="s"/> (paths here are short).</summary>
    private static byte[] Z(string s)
    {
        var b = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, b);
        return b;
    }

    /// <summary>openat(2); the fd or -errno.</summary>
    public static int OpenAt(int dirfd, string path, int flags, int mode = 0)
    {
        fixed (byte* p = Z(path))
        {
            int fd = OpenAtRaw(dirfd, p, flags | O_CLOEXEC, mode);
            return fd >= 0 ? fd : -Errno;
        }
    }

    private static int s_noOpenat2;

    /// <summary>openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: nothing (no "..", no symlink) may lead
    /// outside <paramref name="dirfd"/>. The fd or -errno (-ENOSYS when the kernel has no openat2).</summary>
    public static int OpenBeneath(int dirfd, string path, int flags)
    {
        if (Volatile.Read(ref s_noOpenat2) != 0) return -ENOSYS;
        OpenHow how = new() { Flags = (ulong)(uint)(flags | O_CLOEXEC), Resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
        fixed (byte* p = Z(path))
        {
            long r = Syscall(437, dirfd, p, &how, (nuint)sizeof(OpenHow));
            if (r >= 0) return (int)r;
            int err = Errno;
            if (err == ENOSYS) Volatile.Write(ref s_noOpenat2, 1);
            return -err;
        }
    }

    public static void Close(int fd)
    {
        if (fd >= 0) CloseRaw(fd);
    }

    /// <summary>close(2) that reports a failure (a write-back error on some file systems): 0 or -errno.</summary>
    public static int CloseChecked(int fd) => CloseRaw(fd) == 0 ? 0 : -Errno;

    /// <summary>Writes all of <paramref name="data"/>: 0 or the errno that stopped it.</summary>
    public static int WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* b = data)
        {
            int off = 0;
            while (off < data.Length)
            {
                nint n = WriteRaw(fd, b + off, data.Length - off);
                if (n > 0) { off += (int)n; continue; }
                int err = n < 0 ? Errno : EIO;
                if (err == EINTR) continue;
                return err;
            }
        }
        return 0;
    }

    /// <summary>mkdirat(2): 0 or -errno.</summary>
    public static int MkdirAt(int dirfd, string name, int mode)
    {
        fixed (byte* p = Z(name)) return MkdirAtRaw(dirfd, p, mode) == 0 ? 0 : -Errno;
    }

    /// <summary>Gives the unnamed file <paramref name="fd"/> the name <paramref name="name"/> in <paramref name="dirfd"/>
    /// (through /proc/self/fd, which needs no privilege, unlike AT_EMPTY_PATH): 0 or -errno.</summary>
    public static int LinkUnnamed(int fd, int dirfd, string name)
    {
        fixed (byte* src = Z("/proc/self/fd/" + fd.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        fixed (byte* dst = Z(name))
            return LinkAtRaw(AT_FDCWD, src, dirfd, dst, AT_SYMLINK_FOLLOW) == 0 ? 0 : -Errno;
    }

    /// <summary>renameat(2) inside one directory: 0 or -errno.</summary>
    public static int Rename(int dirfd, string from, string to)
    {
        fixed (byte* f = Z(from))
        fixed (byte* t = Z(to))
            return RenameAtRaw(dirfd, f, dirfd, t) == 0 ? 0 : -Errno;
    }

    public static void Unlink(int dirfd, string name)
    {
        fixed (byte* p = Z(name)) UnlinkAtRaw(dirfd, p, 0);
    }

    public static int FChown(int fd, uint uid, uint gid) => FChownRaw(fd, uid, gid) == 0 ? 0 : -Errno;

    public static int FChownAt(int dirfd, string name, uint uid, uint gid)
    {
        fixed (byte* p = Z(name)) return FChownAtRaw(dirfd, p, uid, gid, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -Errno;
    }

    /// <summary>statx(2) of an open descriptor (an O_PATH one is fine): 0 or -errno.</summary>
    public static int FStat(int fd, out StatX st)
    {
        StatX s = default;
        byte empty = 0;
        int r = StatXRaw(fd, &empty, AT_EMPTY_PATH, 0x7ff /* STATX_BASIC_STATS */, &s);
        st = s;
        return r == 0 ? 0 : -Errno;
    }
}
