using System.Runtime.InteropServices;

namespace MogileFS.TestSupport;

/// <summary>Facts about the test process the fixtures need.</summary>
public static partial class Processes
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    /// <summary>True when running as root (CI does): mogilefsd then needs <c>user = root</c>.</summary>
    public static bool IsRoot => OperatingSystem.IsLinux() && GetEuid() == 0;

    /// <summary>The repository root (the directory holding MogileFS.slnx), found upward from the test binaries.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "MogileFS.slnx"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("MogileFS.slnx not found above " + AppContext.BaseDirectory);
        }
    }
}
