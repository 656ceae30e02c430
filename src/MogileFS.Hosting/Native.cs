using System.Runtime.InteropServices;

namespace MogileFS.Hosting;

/// <summary>The few POSIX calls the process shell needs.</summary>
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

    [LibraryImport("libc", EntryPoint = "signal")]
    internal static partial nint Signal(int signum, nint handler);

    [LibraryImport("libc", EntryPoint = "execve", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Execve(string path, string?[] argv, string?[] envp);

    internal const int O_RDWR = 2;

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

/// <summary>Facts about this process that the executables check before starting.</summary>
public static class ProcessFacts
{
    /// <summary>True when the real user is root (2.73 checks the real uid, <c>$&lt;</c>).</summary>
    public static bool RunningAsRoot => (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && Native.GetUid() == 0;
}
