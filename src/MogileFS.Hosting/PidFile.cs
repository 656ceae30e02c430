namespace MogileFS.Hosting;

/// <summary>The pid file could not be written.</summary>
public sealed class PidFileException(string path, string reason, string message, Exception inner) : IOException(message, inner)
{
    public string PathName { get; } = path;

    /// <summary>The cause as strerror(3) words it ("No such file or directory", "Permission denied").</summary>
    public string Reason { get; } = reason;
}

/// <summary>The pid file of mogilefsd and mogstored (<c>--pidfile</c>, <c>pidfile =</c>).</summary>
public static class PidFile
{
    /// <summary>Writes "&lt;pid&gt;\n" (as 2.73). The file is replaced atomically so a reader never
    /// sees it half-written.</summary>
    /// <exception cref="PidFileException">The file cannot be written; its message is .NET's, naming
    /// <paramref name="path"/>.</exception>
    public static void Write(string path)
    {
        string tmp = path + ".tmp" + Environment.ProcessId;
        try
        {
            File.WriteAllText(tmp, Environment.ProcessId + "\n");
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
            string reason = e switch
            {
                DirectoryNotFoundException or FileNotFoundException => "No such file or directory",
                UnauthorizedAccessException => "Permission denied",
                _ => e.Message,
            };
            // The message is what writing the file in place says (mogstored shows it).
            string message = Directory.Exists(path)
                ? $"Access to the path '{path}' is denied."
                : e.Message.Replace(tmp, path, StringComparison.Ordinal);
            throw new PidFileException(path, reason, message, e);
        }
    }

    /// <summary>The process id a pid file names, or null (no file, unreadable, not a number).</summary>
    public static int? Read(string path)
    {
        try
        {
            return File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out int pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Removes the pid file if it still names this process.</summary>
    public static void Remove(string path)
    {
        try
        {
            if (File.Exists(path) && File.ReadAllText(path).Trim() == Environment.ProcessId.ToString())
                File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
