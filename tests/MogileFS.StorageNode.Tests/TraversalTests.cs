using System.Net;
using MogileFS.StorageNode.Tests.Support;

namespace MogileFS.StorageNode.Tests;

/// <summary>No request, however encoded, reads, writes or deletes anything outside the docroot.</summary>
public sealed class TraversalTests : TraversalTestsBase
{
}

/// <summary>The same, on the fallback used where openat2(2) is unavailable (old kernels, seccomp).</summary>
public sealed class TraversalWithoutOpenat2Tests : TraversalTestsBase
{
    protected override bool UseOpenat2 => false;
}

public abstract class TraversalTestsBase : IAsyncLifetime
{
    protected virtual bool UseOpenat2 => true;

    private Node _node = null!;
    private string _outside = null!;
    private const string Secret = "TOP-SECRET-CONTENT";

    public async Task InitializeAsync()
    {
        _node = await Node.StartAsync(o => o.DisableOpenat2 = !UseOpenat2);
        _outside = Path.GetDirectoryName(_node.DocRoot)!;
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), Secret);
        Directory.CreateDirectory(Path.Combine(_outside, "outdir"));
        File.WriteAllText(Path.Combine(_outside, "outdir", "secret.txt"), Secret);
        File.CreateSymbolicLink(_node.PathOf("/dev1/link-out"), Path.Combine(_outside, "secret.txt"));
        File.CreateSymbolicLink(_node.PathOf("/dev1/link-rel"), "../../secret.txt");
        Directory.CreateSymbolicLink(_node.PathOf("/dev1/linkdir-out"), Path.Combine(_outside, "outdir"));
        Directory.CreateSymbolicLink(_node.PathOf("/dev1/linkdir-up"), "../..");
        // allowed: links that stay inside the docroot
        _node.WriteFile("/dev2/inside.txt", "inside");
        File.CreateSymbolicLink(_node.PathOf("/dev1/link-in"), "../dev2/inside.txt");
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    public static TheoryData<string> GetTargets => new()
    {
        "/../secret.txt",
        "/dev1/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/dev1/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/dev1/..%2f..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/dev1/..\\..\\secret.txt",
        "/dev1/..%5c..%5csecret.txt",
        "/dev1/.%2e/.%2e/secret.txt",
        "/./../secret.txt",
        "/..",
        "/dev1/..",
        "/dev1/../..?x=1",
        "/dev1/%00/../secret.txt",
        "/dev1/x%00/../../secret.txt",
        "..%2fsecret.txt",
        "secret.txt",
        "http://localhost/../secret.txt",
        "//..//secret.txt",
        "/%2f%2e%2e%2fsecret.txt",
        "/dev1/link-out",
        "/dev1/link-rel",
        "/dev1/linkdir-out/secret.txt",
        "/dev1/linkdir-up/secret.txt",
        "/dev1/%252e%252e/%252e%252e/secret.txt",
        "/dev1/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt",
        "/dev1/..;/..;/secret.txt",
    };

    [Theory]
    [MemberData(nameof(GetTargets))]
    public async Task Get_never_escapes(string target)
    {
        foreach (var method in new[] { "GET", "HEAD" })
        {
            var r = await Raw.ExchangeAsync(_node.Http, $"{method} {target} HTTP/1.0\r\n\r\n");
            Assert.DoesNotContain(Secret, r);
            Assert.Matches(@"^HTTP/1\.0 (400|403|404) ", r);
        }
    }

    [Fact]
    public async Task Absolute_looking_paths_stay_in_docroot()
    {
        // "//etc/passwd" is docroot/etc/passwd, which does not exist
        Assert.StartsWith("HTTP/1.0 404", await Raw.ExchangeAsync(_node.Http, "GET //etc/passwd HTTP/1.0\r\n\r\n"));
        Assert.StartsWith("HTTP/1.0 404", await Raw.ExchangeAsync(_node.Http, "GET /%2fetc/passwd HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Links_inside_the_docroot_work()
    {
        Assert.EndsWith("\r\n\r\ninside<<EOF>>", await Raw.ExchangeAsync(_node.Http, "GET /dev1/link-in HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Symlinked_device_directory_is_allowed()
    {
        string disk = Path.Combine(_outside, "disk3");
        Directory.CreateDirectory(disk);
        Directory.CreateSymbolicLink(_node.PathOf("/dev3"), disk);
        var put = await Raw.ExchangeAsync(_node.Http, "PUT /dev3/0/000/000/0000000001.fid HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
        Assert.StartsWith("HTTP/1.0 200 OK", put);
        Assert.Equal("hi", File.ReadAllText(Path.Combine(disk, "0/000/000/0000000001.fid")));
        Assert.EndsWith("\r\n\r\nhi<<EOF>>", await Raw.ExchangeAsync(_node.Http, "GET /dev3/0/000/000/0000000001.fid HTTP/1.0\r\n\r\n"));
        // ...but a link inside that device may not leave it
        File.CreateSymbolicLink(Path.Combine(disk, "esc"), Path.Combine(_outside, "secret.txt"));
        Assert.DoesNotContain(Secret, await Raw.ExchangeAsync(_node.Http, "GET /dev3/esc HTTP/1.0\r\n\r\n"));
    }

    public static TheoryData<string> WriteTargets => new()
    {
        "/dev1/../x",
        "/dev1/%2e%2e/x",
        "/dev1/..%2fx",
        "/dev1/linkdir-out/new.txt",
        "/dev1/linkdir-up/new.txt",
        "/dev1/linkdir-out/secret.txt",
        "/dev1/..\\x",
        "//x/y",
        "/dev1/x%00y",
    };

    [Theory]
    [MemberData(nameof(WriteTargets))]
    public async Task Put_and_delete_never_escape(string target)
    {
        var before = Snapshot();
        var put = await Raw.ExchangeAsync(_node.Http, $"PUT {target} HTTP/1.0\r\nContent-Length: 4\r\n\r\nEVIL");
        Assert.Matches(@"^HTTP/1\.0 (400|403|404|500) ", put);
        var del = await Raw.ExchangeAsync(_node.Http, $"DELETE {target} HTTP/1.0\r\n\r\n");
        Assert.Matches(@"^HTTP/1\.0 (400|403|404) ", del);
        Assert.Equal(before, Snapshot());
        Assert.Equal(Secret, File.ReadAllText(Path.Combine(_outside, "outdir", "secret.txt")));
    }

    [Fact]
    public async Task Put_through_symlink_file_replaces_the_link_not_the_target()
    {
        // Renaming over a symlink replaces the link itself: the outside file is untouched.
        var put = await Raw.ExchangeAsync(_node.Http, "PUT /dev1/link-out HTTP/1.0\r\nContent-Length: 4\r\n\r\nEVIL");
        Assert.Equal(Secret, File.ReadAllText(Path.Combine(_outside, "secret.txt")));
        Assert.StartsWith("HTTP/1.0 200", put);
    }

    private string Snapshot() => string.Join("\n", Directory.EnumerateFileSystemEntries(_outside, "*", new EnumerationOptions { RecurseSubdirectories = false })
        .Concat(Directory.EnumerateFileSystemEntries(Path.Combine(_outside, "outdir")))
        .Where(p => !p.StartsWith(_node.DocRoot, StringComparison.Ordinal))
        .Select(p => p + ":" + (File.Exists(p) ? new FileInfo(p).Length : -1))
        .Order(StringComparer.Ordinal));

    [Fact]
    public async Task Side_channel_never_escapes()
    {
        using var s = await Raw.ConnectAsync(_node.Mgmt);
        foreach (var uri in new[] { "/dev1/link-out", "/dev1/linkdir-out/secret.txt", "secret.txt", "/dev1/linkdir-up/secret.txt" })
        {
            await Raw.SendAsync(s, $"size {uri}\r\n");
            Assert.Equal($"{uri} -1\r\n", await Raw.ReadLineAsync(s));
            await Raw.SendAsync(s, $"MD5 {uri}\r\n");
            Assert.Equal($"{uri} MD5=-1\r\n", await Raw.ReadLineAsync(s));
        }
        await Raw.SendAsync(s, "size /dev1/../secret.txt\r\n");
        Assert.Equal("ERROR: uri invalid (contains ..)\r\n", await Raw.ReadLineAsync(s));
        await Raw.SendAsync(s, "SHA-1 /../secret.txt fsck\r\n");
        Assert.Equal("ERROR: uri invalid (contains ..)\r\n", await Raw.ReadLineAsync(s));
    }
}
