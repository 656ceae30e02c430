using MogileFS.TestSupport;

namespace MogileFS.Hosting.Tests;

public sealed class PidFileTests : IDisposable
{
    private readonly TempDirectory _dir = new("hosting-pid-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Write_read_and_remove()
    {
        string path = _dir.Combine("x.pid");
        PidFile.Write(path);
        Assert.Equal($"{Environment.ProcessId}\n", File.ReadAllText(path));
        Assert.Equal(Environment.ProcessId, PidFile.Read(path));
        Assert.Single(Directory.GetFiles(_dir.Path)); // no temporary file left behind
        PidFile.Remove(path);
        Assert.False(File.Exists(path));
        Assert.Null(PidFile.Read(path));
    }

    [Fact]
    public void Remove_leaves_a_file_that_names_another_process()
    {
        string path = _dir.Combine("other.pid");
        File.WriteAllText(path, "1\n");
        PidFile.Remove(path);
        Assert.Equal(1, PidFile.Read(path));
    }

    [Fact]
    public void A_missing_directory_is_reported_with_the_path_and_strerror()
    {
        string path = _dir.Combine("no-such-dir", "x.pid");
        var e = Assert.Throws<PidFileException>(() => PidFile.Write(path));
        Assert.Equal("No such file or directory", e.Reason);
        Assert.Equal($"Could not find a part of the path '{path}'.", e.Message);
    }

    [Fact]
    public void A_directory_in_the_way_reads_like_writing_it_in_place()
    {
        string path = _dir.CreateSubdirectory("d");
        var e = Assert.Throws<PidFileException>(() => PidFile.Write(path));
        Assert.Equal($"Access to the path '{path}' is denied.", e.Message);
        Assert.Single(Directory.GetFileSystemEntries(_dir.Path));
    }
}
