using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MogileFS.Gateway.Mogile;

// Writes to nodes on this host. A PUT whose destination is on a local_storage node is written by the
// gateway straight into the node's docroot, as the node itself would write it: the target directory
// is opened beneath the device directory (openat2 RESOLVE_BENEATH: no "..", no symlink out of it;
// the device directory itself may be a symlink to a disk, as the node allows), missing directories
// are made (0755), the body goes to an unnamed O_TMPFILE file (a hidden temp name where the file
// system has none) with mode 0644, owned like the device directory, and it gets its name only once
// the whole body arrived with the right length. Whatever stops this before the first byte (a node
// that is not local, a missing device directory, no permission, another owner, no openat2) leaves
// the write to the node over HTTP, as without local_storage.
public sealed partial class LocalStorage
{
    private readonly ConcurrentDictionary<string, bool> _noTmpfile = new(StringComparer.Ordinal);
    private long _writes, _fallbacks, _started;
    private int _open;

    /// <summary>Whether PUTs to local nodes are written here (<c>local_storage_writes</c>); tests switch it.</summary>
    public bool Writes { get; set; }

    /// <summary>Where local writes report why they gave a write back to HTTP.</summary>
    public ILogger Log { get; set; } = NullLogger.Instance;

    /// <summary>Tests: use named temp files (as on file systems without O_TMPFILE).</summary>
    internal bool NamedTempFiles { get; set; }

    /// <summary>Files written into a local docroot and linked into place.</summary>
    public long LocalWrites => Interlocked.Read(ref _writes);

    /// <summary>Local destinations written over HTTP because the file could not be created here.</summary>
    public long LocalWriteFallbacks => Interlocked.Read(ref _fallbacks);

    /// <summary>Local files created (committed or not).</summary>
    public long LocalWritesStarted => Interlocked.Read(ref _started);

    /// <summary>Local files being written right now.</summary>
    public int LocalWritesOpen => Volatile.Read(ref _open);

    internal void Committed() => Interlocked.Increment(ref _writes);

    internal void Opened()
    {
        Interlocked.Increment(ref _started);
        Interlocked.Increment(ref _open);
    }

    internal void Closed() => Interlocked.Decrement(ref _open);

    internal void NoTmpfile(string root) => _noTmpfile[root] = true;

    /// <summary>
    /// Creates the file of storage URL <paramref name="url"/> in its node's docroot when the node is local and local
    /// writes are on. Null: write over HTTP (not local, or the file could not be created here; the reason is logged).
    /// </summary>
    public LocalUpload? TryCreate(string url)
    {
        if (!Writes || RootOf(url, out int slash) is not { } root) return null;
        var upload = Create(root, url[slash..], out string? why);
        if (upload is null)
        {
            Interlocked.Increment(ref _fallbacks);
            LocalWriteLog.WriteFallback(Log, url, why ?? "unknown error");
        }
        return upload;
    }

    private LocalUpload? Create(string root, string urlPath, out string? why)
    {
        if (Resolve(root, urlPath) is null)
        {
            why = "path leaves the docroot or is not a plain path";
            return null;
        }
        // /devN/<dirs>/<name>: at least one directory below the device, as the node requires.
        var parts = urlPath[1..].Split('/');
        if (parts.Length < 3 || parts.Any(p => p.Length == 0))
        {
            why = "not a path of the form /devN/<directories>/<file>";
            return null;
        }
        string device = parts[0], name = parts[^1];
        var dirs = parts[1..^1];

        int rootFd = -1, devFd = -1, dirFd = -1, fd = -1;
        string? tmpName = null;
        try
        {
            rootFd = LocalNative.OpenAt(LocalNative.AT_FDCWD, root, LocalNative.O_PATH | LocalNative.O_DIRECTORY);
            if (rootFd < 0) return Fail(out why, $"docroot {root}", -rootFd);
            // The device directory may be a symlink to the disk (the node follows it too); beneath it nothing may leave.
            devFd = LocalNative.OpenAt(rootFd, device, LocalNative.O_PATH | LocalNative.O_DIRECTORY);
            if (devFd < 0) return Fail(out why, $"device directory {root}/{device}", -devFd);
            int r = LocalNative.FStat(devFd, out var devStat);
            if (r < 0) return Fail(out why, $"device directory {root}/{device}", -r);
            // Files belong to whoever owns the device directory (the node's user): as root, hand them over;
            // as anyone else, only write where the files would be ours anyway.
            uint euid = LocalNative.GetEuid();
            bool chown = devStat.Uid != euid;
            if (chown && euid != 0)
            {
                why = $"device directory {root}/{device} belongs to uid {devStat.Uid}, the gateway runs as uid {euid}";
                return null;
            }

            dirFd = OpenDirectories(devFd, dirs, chown, devStat, out why);
            if (dirFd < 0) return null;

            bool unnamed = !NamedTempFiles && !_noTmpfile.ContainsKey(root);
            if (unnamed)
            {
                fd = LocalNative.OpenAt(dirFd, ".", LocalNative.O_WRONLY | LocalNative.O_TMPFILE, LocalNative.ModeFile);
                if (fd < 0)
                {
                    if (-fd is LocalNative.EOPNOTSUPP or LocalNative.EISDIR or LocalNative.EINVAL) NoTmpfile(root);
                    unnamed = false;
                }
            }
            if (!unnamed)
            {
                for (int attempt = 0; ; attempt++)
                {
                    tmpName = TempName(name);
                    fd = LocalNative.OpenAt(dirFd, tmpName, LocalNative.O_WRONLY | LocalNative.O_CREAT | LocalNative.O_EXCL | LocalNative.O_NOFOLLOW, LocalNative.ModeFile);
                    if (fd >= 0) break;
                    if (-fd == LocalNative.EEXIST && attempt < 5) continue;
                    int err = -fd;
                    tmpName = null;
                    return Fail(out why, $"creating a file in {urlPath}", err);
                }
            }
            if (chown && (r = LocalNative.FChown(fd, devStat.Uid, devStat.Gid)) < 0) return Fail(out why, "chown of the new file", -r);

            var upload = new LocalUpload(this, root, urlPath, dirFd, fd, name, tmpName);
            dirFd = fd = -1;
            tmpName = null;
            why = null;
            return upload;
        }
        finally
        {
            LocalNative.Close(fd);
            if (tmpName != null && dirFd >= 0) LocalNative.Unlink(dirFd, tmpName);
            LocalNative.Close(dirFd);
            LocalNative.Close(devFd);
            LocalNative.Close(rootFd);
        }
    }

    /// <summary>Opens <paramref name="dirs"/> beneath the device directory, making the missing ones (0755, like
    /// mogstored's mkdir -p). The directory's fd (O_PATH), or -1 with <paramref name="why"/>.</summary>
    private static int OpenDirectories(int devFd, string[] dirs, bool chown, LocalNative.StatX owner, out string? why)
    {
        why = null;
        string rel = string.Join('/', dirs);
        int fd = LocalNative.OpenBeneath(devFd, rel, LocalNative.O_PATH | LocalNative.O_DIRECTORY);
        if (fd >= 0) return fd;
        if (-fd != LocalNative.ENOENT) return FailDir(out why, rel, -fd);

        // One level at a time, each beneath the one before.
        int parent = -1;
        try
        {
            foreach (var d in dirs)
            {
                int at = parent < 0 ? devFd : parent;
                int child = LocalNative.OpenBeneath(at, d, LocalNative.O_PATH | LocalNative.O_DIRECTORY);
                if (child == -LocalNative.ENOENT)
                {
                    int m = LocalNative.MkdirAt(at, d, LocalNative.ModeDirectory);
                    if (m < 0 && -m != LocalNative.EEXIST) return FailDir(out why, rel, -m);
                    if (m == 0 && chown && (m = LocalNative.FChownAt(at, d, owner.Uid, owner.Gid)) < 0) return FailDir(out why, rel, -m);
                    child = LocalNative.OpenBeneath(at, d, LocalNative.O_PATH | LocalNative.O_DIRECTORY);
                }
                if (child < 0) return FailDir(out why, rel, -child);
                LocalNative.Close(parent);
                parent = child;
            }
            int result = parent;
            parent = -1;
            return result;
        }
        finally
        {
            LocalNative.Close(parent);
        }
    }

    private static int FailDir(out string? why, string rel, int errno)
    {
        why = errno switch
        {
            LocalNative.EXDEV or LocalNative.ELOOP => $"directory {rel} leads out of its device directory",
            LocalNative.ENOSYS => "the kernel has no openat2, which keeps local writes inside the docroot",
            _ => $"directory {rel}: {LocalNative.StrError(errno)}",
        };
        return -1;
    }

    private static LocalUpload? Fail(out string? why, string what, int errno)
    {
        why = $"{what}: {LocalNative.StrError(errno)}";
        return null;
    }

    /// <summary><c>.&lt;name&gt;.&lt;pid&gt;.&lt;random&gt;.tmp</c>: hidden, and never a <c>.fid</c> name.</summary>
    internal static string TempName(string name) =>
        $".{name}.{Environment.ProcessId}.{Random.Shared.NextInt64(0, 1L << 32)}.tmp";
}
