using System.Runtime.InteropServices;

namespace MogileFS.StorageNode.Native;

/// <summary>
/// The handful of Linux system calls the storage node uses directly. Going to libc
/// instead of FileStream keeps the hot paths at one syscall per step (no extra fstat,
/// flock or seek that FileStream does) and gives us openat2(RESOLVE_BENEATH), which is
/// what keeps every file access inside the docroot.
/// </summary>
internal static unsafe partial class Libc
{
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_NOCTTY = 0x100;
    public const int O_TRUNC = 0x200;
    public const int O_NONBLOCK = 0x800;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int O_CLOEXEC = 0x80000;
    public const int O_PATH = 0x200000;
    /// <summary>O_TMPFILE (x86-64 value, includes O_DIRECTORY): an unnamed file in a directory.</summary>
    public const int O_TMPFILE = 0x410000;

    public const int AT_FDCWD = -100;
    public const int AT_EMPTY_PATH = 0x1000;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_SYMLINK_FOLLOW = 0x400;

    public const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    public const ulong RESOLVE_BENEATH = 0x08;
    public const ulong RESOLVE_CACHED = 0x20;

    public const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11, EACCES = 13,
        EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, EFBIG = 27, ENOSPC = 28,
        EROFS = 30, ENAMETOOLONG = 36, ENOSYS = 38, ELOOP = 40, EDQUOT = 122, EOVERFLOW = 75;

    public const uint STATX_BASIC_STATS = 0x7ff;

    public const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000;

    [StructLayout(LayoutKind.Sequential)]
    public struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    /// <summary>struct statx (linux/stat.h): identical on every architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct StatX
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;

        public readonly bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;
        public readonly bool IsRegular => (Mode & S_IFMT) == S_IFREG;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, int dirfd, byte* path, OpenHow* how, nuint size);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    public static partial int OpenAt(int dirfd, byte* path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "pread64", SetLastError = true)]
    public static partial nint PRead(int fd, byte* buf, nint count, long offset);

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    public const int RWF_NOWAIT = 0x8;
    public const int EOPNOTSUPP = 95;

    [LibraryImport("libc", EntryPoint = "preadv2", SetLastError = true)]
    public static partial nint PReadV2(int fd, IoVec* iov, int iovcnt, long offset, int flags);

    /// <summary>pread that only takes what is already in the page cache (RWF_NOWAIT):
    /// returns the bytes read (possibly fewer than asked), or -1 when nothing could be
    /// read without waiting for the disk (or the file system does not support it).</summary>
    public static nint PReadCached(int fd, byte* buf, nint count, long offset)
    {
        IoVec v = new() { Base = buf, Length = (nuint)count };
        while (true)
        {
            nint n = PReadV2(fd, &v, 1, offset, RWF_NOWAIT);
            if (n < 0 && Errno == EINTR) continue;
            return n;
        }
    }

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "pwrite64", SetLastError = true)]
    public static partial nint PWrite(int fd, byte* buf, nint count, long offset);

    /// <summary>copy_file_range(2): copies between two files inside the kernel (no user-space buffer).</summary>
    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    public static partial nint CopyFileRange(int fdIn, long* offIn, int fdOut, long* offOut, nint len, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate64", SetLastError = true)]
    public static partial int FTruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    public static partial int StatXCall(int dirfd, byte* path, int flags, uint mask, StatX* buf);

    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true)]
    public static partial int RenameAt(int olddirfd, byte* oldpath, int newdirfd, byte* newpath);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true)]
    public static partial int LinkAt(int olddirfd, byte* oldpath, int newdirfd, byte* newpath, int flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    public static partial int UnlinkAt(int dirfd, byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    public static partial int MkdirAt(int dirfd, byte* path, int mode);

    [LibraryImport("libc", EntryPoint = "getpid")]
    public static partial int GetPid();

    [LibraryImport("libc", EntryPoint = "umask")]
    public static partial uint Umask(uint mask);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall4(long number, nint a1, nint a2, nint a3, nint a4);

    private static int s_cachestatState; // 0 unknown/works, -1 unavailable

    /// <summary>
    /// True when every page of [offset, offset+count) of the file is in the page cache
    /// (cachestat(2), Linux 6.5+), i.e. sending it will not wait for the disk. False when
    /// some page is missing or the kernel cannot tell.
    /// </summary>
    public static bool FullyCached(int fd, long offset, long count)
    {
        if (s_cachestatState < 0 || count <= 0) return count <= 0;
        long* range = stackalloc long[2] { offset, count };
        ulong* stat = stackalloc ulong[5];
        long r = syscall4(451, fd, (nint)range, (nint)stat, 0);
        if (r < 0)
        {
            if (Errno is ENOSYS or EPERM) s_cachestatState = -1;
            return false;
        }
        long page = Environment.SystemPageSize;
        long pages = (offset + count + page - 1) / page - offset / page;
        return (long)stat[0] >= pages;
    }

    private static int s_openat2State; // 0 unknown, 1 works, -1 unavailable

    /// <summary>openat2(2) with the given resolve flags; falls back (returns -2) when the
    /// kernel or a seccomp filter does not offer the call.</summary>
    public static int OpenAt2(int dirfd, byte* path, int flags, int mode, ulong resolve)
    {
        if (s_openat2State < 0) return -2;
        OpenHow how = new() { Flags = (ulong)(uint)flags, Mode = (ulong)mode, Resolve = resolve };
        long r = syscall(437, dirfd, path, &how, (nuint)sizeof(OpenHow));
        if (r < 0)
        {
            int err = Marshal.GetLastPInvokeError();
            if (err == ENOSYS || (err == EPERM && s_openat2State == 0))
            {
                s_openat2State = -1;
                return -2;
            }
            return -1;
        }
        s_openat2State = 1;
        return (int)r;
    }

    public static int Errno => Marshal.GetLastPInvokeError();

    public static string StrError(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    public static int FStat(int fd, out StatX st)
    {
        byte empty = 0;
        fixed (StatX* p = &st)
            return StatXCall(fd, &empty, AT_EMPTY_PATH, STATX_BASIC_STATS, p);
    }

    public static int Stat(string path, out StatX st)
    {
        Span<byte> buf = stackalloc byte[Encoding.GetMaxByteCount(path.Length) + 1];
        int n = Encoding.GetBytes(path, buf);
        buf[n] = 0;
        fixed (byte* p = buf)
        fixed (StatX* s = &st)
            return StatXCall(AT_FDCWD, p, 0, STATX_BASIC_STATS, s);
    }

    public static readonly System.Text.UTF8Encoding Encoding = new(false);
}
