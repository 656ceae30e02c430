using System.Runtime.InteropServices;

namespace MogileFS.Cli.mogilefsd;

/// <summary>The few POSIX calls the process host needs.</summary>
internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "getuid")]
    internal static partial uint GetUid();

    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    internal static partial int SetSid();

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    internal static partial int Dup2(int oldFd, int newFd);

    [LibraryImport("libc", EntryPoint = "close")]
    internal static partial int Close(int fd);

    internal const int O_RDWR = 2;

    /// <summary>True when the real user is root (2.73 checks the real uid, <c>$&lt;</c>).</summary>
    internal static bool RunningAsRoot => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? GetUid() == 0 : false;

    /// <summary>Points stdin, stdout and stderr at /dev/null.</summary>
    internal static void StdioToDevNull()
    {
        int fd = Open("/dev/null", O_RDWR);
        if (fd < 0) return;
        Dup2(fd, 0);
        Dup2(fd, 1);
        Dup2(fd, 2);
        if (fd > 2) Close(fd);
    }
}
