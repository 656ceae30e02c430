using System.Net;
using System.Text;
using MogileFS.StorageNode.Tests.Support;
using MogileFS.TestSupport;

namespace MogileFS.StorageNode.Tests;

/// <summary>POST &lt;path&gt;?join (ours): a file built from files of this node and of another node.</summary>
public sealed class JoinTests : IAsyncLifetime
{
    private Node _node = null!, _other = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _node = await Node.StartAsync();
        _other = await Node.StartAsync();
        _http = _node.Client();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _node.DisposeAsync();
        await _other.DisposeAsync();
    }

    private static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private Task<HttpResponseMessage> JoinAsync(string target, string body) =>
        _http.PostAsync(target + "?join", new StringContent(body, Encoding.ASCII, "text/plain"));

    private string[] Leftovers(string urlDir) =>
        Directory.Exists(_node.PathOf(urlDir)) ? Directory.GetFiles(_node.PathOf(urlDir)).Select(f => Path.GetFileName(f)).ToArray() : [];

    [Fact]
    public async Task Joins_local_and_remote_sources_in_order()
    {
        var a = Bytes(3 << 20, 1); // local, dev1
        var b = Bytes(1_000_001, 2); // local, another device of the same node
        var c = Bytes(2_500_000, 3); // on the other node
        _node.WriteFile("/dev1/0/000/000/0000000001.fid", a);
        _node.WriteFile("/dev2/0/000/000/0000000002.fid", b);
        _other.WriteFile("/dev1/0/000/000/0000000003.fid", c);
        long total = a.Length + b.Length + c.Length;
        var resp = await JoinAsync("/dev1/0/000/000/0000000010.fid",
            $"{total}\n{a.Length} /dev1/0/000/000/0000000001.fid\n{b.Length} /dev2/0/000/000/0000000002.fid\n" +
            $"{c.Length} http://{_other.Http}/dev1/0/000/000/0000000003.fid\n");
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        Assert.Equal("1", resp.Headers.GetValues("X-MogileFS-Join").Single());
        var joined = await File.ReadAllBytesAsync(_node.PathOf("/dev1/0/000/000/0000000010.fid"));
        Assert.Equal(a.Concat(b).Concat(c).ToArray(), joined);
        // the sources stay (the client deletes them), and no temp file is left
        Assert.Equal(["0000000001.fid", "0000000010.fid"], Leftovers("/dev1/0/000/000").Order().ToArray());
        // the connection stays usable
        Assert.Equal(a.Length, (await _http.GetByteArrayAsync("/dev1/0/000/000/0000000001.fid")).Length);
    }

    [Fact]
    public async Task Short_source_fails_and_leaves_nothing()
    {
        _node.WriteFile("/dev1/0/000/000/0000000001.fid", Bytes(1000, 1));
        _node.WriteFile("/dev1/0/000/000/0000000002.fid", Bytes(500, 2)); // listed as 1000
        var resp = await JoinAsync("/dev1/0/000/000/0000000010.fid",
            "2000\n1000 /dev1/0/000/000/0000000001.fid\n1000 /dev1/0/000/000/0000000002.fid\n");
        Assert.Equal(HttpStatusCode.Conflict, resp.StatusCode);
        Assert.Equal("1", resp.Headers.GetValues("X-MogileFS-Join").Single());
        Assert.Contains("0000000002.fid", await resp.Content.ReadAsStringAsync());
        Assert.Equal(["0000000001.fid", "0000000002.fid"], Leftovers("/dev1/0/000/000").Order().ToArray());
    }

    [Fact]
    public async Task Short_remote_source_fails_and_leaves_nothing()
    {
        _other.WriteFile("/dev1/0/000/000/0000000003.fid", Bytes(500, 3));
        var resp = await JoinAsync("/dev1/0/000/000/0000000010.fid", $"600\n600 http://{_other.Http}/dev1/0/000/000/0000000003.fid\n");
        Assert.Equal(HttpStatusCode.Conflict, resp.StatusCode);
        Assert.Empty(Leftovers("/dev1/0/000/000"));
    }

    [Fact]
    public async Task Missing_source_is_404_and_an_existing_target_stays_intact()
    {
        _node.WriteFile("/dev1/0/000/000/0000000010.fid", "old content");
        _node.WriteFile("/dev1/0/000/000/0000000001.fid", Bytes(1000, 1));
        var resp = await JoinAsync("/dev1/0/000/000/0000000010.fid",
            "2000\n1000 /dev1/0/000/000/0000000001.fid\n1000 /dev1/0/000/000/0000000099.fid\n");
        Assert.Equal(HttpStatusCode.NotFound, resp.StatusCode);
        Assert.Equal("old content", File.ReadAllText(_node.PathOf("/dev1/0/000/000/0000000010.fid")));
        Assert.Equal(["0000000001.fid", "0000000010.fid"], Leftovers("/dev1/0/000/000").Order().ToArray());

        var remote = await JoinAsync("/dev1/0/000/000/0000000011.fid", $"10\n10 http://{_other.Http}/dev1/0/000/000/0000000099.fid\n");
        Assert.Equal(HttpStatusCode.NotFound, remote.StatusCode);
        Assert.False(File.Exists(_node.PathOf("/dev1/0/000/000/0000000011.fid")));
    }

    [Fact]
    public async Task Sources_outside_the_docroot_are_refused()
    {
        using var outside = new TempDirectory("mogstored-outside-");
        File.WriteAllText(Path.Combine(outside.Path, "secret"), "secret");
        Directory.CreateDirectory(_node.PathOf("/dev1/t"));
        File.CreateSymbolicLink(_node.PathOf("/dev1/t/link.fid"), Path.Combine(outside.Path, "secret"));
        _node.WriteFile("/dev1/t/notes.txt", "secret");

        // Only MogileFS files (/devN/....fid) may be sources, on this node or another.
        foreach (var bad in new[] { "/dev1/../../etc/hostname", "/dev1/t/%2e%2e/x.fid", "dev1/t/x.fid", "/etc/passwd?x", "/dev1/t/a b.fid",
                     "/dev1/t/notes.txt", "/etc/x.fid", "/devx/t/x.fid", $"http://{_other.Http}/admin/secret", $"http://{_other.Http}/dev1/t/notes.txt" })
        {
            var r = await JoinAsync("/dev1/t/out", $"6\n6 {bad}\n");
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        }
        var link = await JoinAsync("/dev1/t/out", "6\n6 /dev1/t/link.fid\n");
        Assert.Equal(HttpStatusCode.Forbidden, link.StatusCode);
        var url = await JoinAsync("/dev1/t/out", $"6\n6 http://user@{_other.Http}/dev1/t/x.fid\n");
        Assert.Equal(HttpStatusCode.BadRequest, url.StatusCode);
        Assert.False(File.Exists(_node.PathOf("/dev1/t/out")));
    }

    [Fact]
    public async Task Lengths_that_do_not_add_up_or_a_bad_list_are_400()
    {
        _node.WriteFile("/dev1/0/000/000/0000000001.fid", Bytes(1000, 1));
        Assert.Equal(HttpStatusCode.BadRequest, (await JoinAsync("/dev1/0/000/000/0000000010.fid", "999\n1000 /dev1/0/000/000/0000000001.fid\n")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await JoinAsync("/dev1/0/000/000/0000000010.fid", "1000\n")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await JoinAsync("/dev1/0/000/000/0000000010.fid", "x\n1000 /dev1/0/000/000/0000000001.fid\n")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await JoinAsync("/dev1/0/000/000/0000000010.fid", "1000\n-5 /dev1/0/000/000/0000000001.fid\n")).StatusCode);
        Assert.False(File.Exists(_node.PathOf("/dev1/0/000/000/0000000010.fid")));
    }

    [Fact]
    public async Task A_node_with_join_off_answers_like_2_73()
    {
        await using var off = await Node.StartAsync(o => o.Join = false);
        off.WriteFile("/dev1/0/000/000/0000000001.fid", "abc");
        using var http = off.Client();
        var resp = await http.PostAsync("/dev1/0/000/000/0000000010.fid?join", new StringContent("3\n3 /dev1/0/000/000/0000000001.fid\n"));
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        Assert.False(resp.Headers.Contains("X-MogileFS-Join"));
        Assert.False(File.Exists(off.PathOf("/dev1/0/000/000/0000000010.fid")));
        // and a POST without ?join is still a plain 400 on a node with join on
        var plain = await _http.PostAsync("/dev1/0/000/000/0000000010.fid", new StringContent("3\n3 /dev1/0/000/000/0000000001.fid\n"));
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.False(plain.Headers.Contains("X-MogileFS-Join"));
    }

    [TmpfsFact]
    public async Task No_space_is_507_and_leaves_nothing()
    {
        using var dir = new TempDirectory("mogstored-joinfull-");
        string root = dir.CreateSubdirectory("docroot");
        string dev2 = dir.CreateSubdirectory("docroot", "dev2");
        Assert.True(Tmpfs.Mount(dev2, "size=1m", out string err), err);
        try
        {
            await using var node = await Node.StartAsync(docRoot: root);
            // the source is on another file system (dev1), so this also takes the copy-through-memory path
            node.WriteFile("/dev1/0/000/000/0000000001.fid", Bytes(2 << 20, 1));
            using var http = node.Client();
            var resp = await http.PostAsync("/dev2/0/000/000/0000000010.fid?join",
                new StringContent($"{2 << 20}\n{2 << 20} /dev1/0/000/000/0000000001.fid\n"));
            Assert.Equal(507, (int)resp.StatusCode);
            Assert.Contains("No space left on device", await resp.Content.ReadAsStringAsync());
            Assert.Empty(Directory.GetFiles(node.PathOf("/dev2/0/000/000")));

            // a join that fits works across the two file systems
            node.WriteFile("/dev1/0/000/000/0000000002.fid", Bytes(100_000, 2));
            var ok = await http.PostAsync("/dev2/0/000/000/0000000011.fid?join",
                new StringContent("100000\n100000 /dev1/0/000/000/0000000002.fid\n"));
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
            Assert.Equal(Bytes(100_000, 2), await File.ReadAllBytesAsync(node.PathOf("/dev2/0/000/000/0000000011.fid")));
        }
        finally
        {
            Tmpfs.Unmount(dev2);
        }
    }
}
