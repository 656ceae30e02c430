using System.Net;
using System.Security.Cryptography;
using System.Text;
using MogileFS.StorageNode.Tests.Support;

namespace MogileFS.StorageNode.Tests;

/// <summary>PUT byte for byte against 2.73 captures, plus the atomic-upload guarantees (uploads
/// as unnamed O_TMPFILE files linked into place).</summary>
public sealed class HttpPutTests : HttpPutTestsBase;

/// <summary>The same with named temp files renamed into place (file systems without O_TMPFILE).</summary>
public sealed class HttpPutNamedTempTests : HttpPutTestsBase
{
    protected override bool UseTmpfile => false;
}

public abstract class HttpPutTestsBase : IAsyncLifetime
{
    private Node _node = null!;

    protected virtual bool UseTmpfile => true;

    public async Task InitializeAsync()
    {
        _node = await Node.StartAsync(o => o.DisableTmpfile = !UseTmpfile);
        Directory.CreateDirectory(_node.PathOf("/dev1/t"));
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private Task<string> X(string request, int quietMs = 300) => Raw.ExchangeAsync(_node.Http, request, quietMs);

    private const string Ok200Close = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 18\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>200 - OK</h1>\n<<EOF>>";

    private string[] FilesIn(string urlDir) => Directory.GetFiles(_node.PathOf(urlDir)).Select(f => Path.GetFileName(f)).ToArray();

    [Fact]
    public async Task Put_without_md5_is_200()
    {
        Assert.Equal(Ok200Close, await X("PUT /dev1/t/a0 HTTP/1.0\r\nContent-Length: 5\r\n\r\nabcde"));
        Assert.Equal("abcde", File.ReadAllText(_node.PathOf("/dev1/t/a0")));
        Assert.Equal(["a0"], FilesIn("/dev1/t"));
    }

    [Fact]
    public async Task Put_perl_client_style_lowercase_length()
    {
        Assert.Equal(Ok200Close, await X("PUT /dev1/0/000/000/0000000003.fid HTTP/1.0\r\nContent-length: 14\r\n\r\ncontent of k3\n"));
        Assert.Equal("content of k3\n", File.ReadAllText(_node.PathOf("/dev1/0/000/000/0000000003.fid")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                File.GetUnixFileMode(_node.PathOf("/dev1/0/000/000/0000000003.fid")) & ~(UnixFileMode)Convert.ToInt32("022", 8) & (UnixFileMode)0x1FF);
        }
    }

    [Fact]
    public async Task Put_good_md5_is_201_with_empty_reason()
    {
        Assert.Equal("HTTP/1.0 201 \r\nContent-Type: text/html\r\nContent-Length: 13\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>201</h1>\n<<EOF>>",
            await X("PUT /dev1/t/a1 HTTP/1.0\r\nContent-Length: 5\r\nContent-MD5: q1a02StAcTrMWviZhdS3hg==\r\n\r\nabcde"));
        Assert.Equal("abcde", File.ReadAllText(_node.PathOf("/dev1/t/a1")));
        Assert.Equal(["a1"], FilesIn("/dev1/t"));
    }

    [Fact]
    public async Task Put_bad_md5_is_400_and_leaves_nothing()
    {
        Assert.Equal("HTTP/1.0 400 Bad request\r\nContent-Type: text/html\r\nContent-Length: 112\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>400 - Bad request</h1>\nContent-MD5 mismatch, expected: kDPg4wXyR8DDyA0MeEjIsw actual: UFjxr4OIYz9gnK23WnXcnQ<<EOF>>",
            await X("PUT /dev1/t/test-md5 HTTP/1.0\r\nContent-Length: 1\r\nContent-MD5: kDPg4wXyR8DDyA0MeEjIsw==\r\n\r\n."));
        Assert.Empty(FilesIn("/dev1/t"));
    }

    [Fact]
    public async Task Put_bad_md5_keeps_existing_file()
    {
        _node.WriteFile("/dev1/t/keep", "original");
        var r = await X("PUT /dev1/t/keep HTTP/1.0\r\nContent-Length: 3\r\nContent-MD5: 00000000000000000000000000000000\r\n\r\nnew");
        Assert.StartsWith("HTTP/1.0 400 Bad request", r);
        Assert.Contains("expected: 00000000000000000000000000000000 actual: ", r);
        Assert.Equal("original", File.ReadAllText(_node.PathOf("/dev1/t/keep")));
        Assert.Equal(["keep"], FilesIn("/dev1/t"));
    }

    [Fact]
    public async Task Monitor_md5_probe_over_keepalive_http11()
    {
        var r = await X("PUT /dev3/test-write/test-md5 HTTP/1.1\r\nKeep-Alive: 300\r\nConnection: Keep-Alive, keep-alive\r\nHost: 10.0.0.2:7500\r\nUser-Agent: MogileFS::Connection::HTTP/2.73\r\nContent-MD5: kDPg4wXyR8DDyA0MeEjIsw==\r\nContent-Type: application/octet-stream\r\nContent-Length: 1\r\n\r\n."
            .Replace("/dev3/", "/dev1/"));
        Assert.Equal("HTTP/1.0 400 Bad request\r\nContent-Type: text/html\r\nContent-Length: 112\r\nServer: Perlbal\r\nConnection: keep-alive\r\nKeep-Alive: timeout=30, max=100\r\n\r\n<h1>400 - Bad request</h1>\nContent-MD5 mismatch, expected: kDPg4wXyR8DDyA0MeEjIsw actual: UFjxr4OIYz9gnK23WnXcnQ<<TIMEOUT>>", r);
        Assert.False(File.Exists(_node.PathOf("/dev1/test-write/test-md5")));
    }

    [Fact]
    public async Task Put_zero_length_and_missing_length_create_empty_file()
    {
        Assert.Equal(Ok200Close, await X("PUT /dev1/t/z0 HTTP/1.0\r\nContent-Length: 0\r\n\r\n"));
        Assert.Equal(0, new FileInfo(_node.PathOf("/dev1/t/z0")).Length);
        _node.WriteFile("/dev1/t/z1", "old");
        Assert.Equal(Ok200Close, await X("PUT /dev1/t/z1 HTTP/1.0\r\nContent-Length: abc\r\n\r\n"));
        Assert.Equal(0, new FileInfo(_node.PathOf("/dev1/t/z1")).Length);
    }

    [Fact]
    public async Task Put_negative_length_is_400()
    {
        Assert.Equal("HTTP/1.0 400 Bad request\r\nContent-Type: text/html\r\nContent-Length: 59\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>400 - Bad request</h1>\nContent-length of -5 is invalid.<<EOF>>",
            await X("PUT /dev1/t/neg HTTP/1.0\r\nContent-Length: -5\r\n\r\nabc"));
    }

    [Fact]
    public async Task Put_missing_base_dir_is_404()
    {
        Assert.Equal("HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 54\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>404 - Not Found</h1>\nBase directory does not exist<<EOF>>",
            await X("PUT /dev9/t/x HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"));
        Assert.False(Directory.Exists(_node.PathOf("/dev9")));
    }

    [Fact]
    public async Task Put_without_directory_is_400()
    {
        Assert.Equal("HTTP/1.0 400 Bad request\r\nContent-Type: text/html\r\nContent-Length: 70\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>400 - Bad request</h1>\nDoes not meet minimum directory requirement<<EOF>>",
            await X("PUT /x HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"));
    }

    [Theory]
    [InlineData("/dev1/t/a%20b")]
    [InlineData("/dev1/t/a b")]
    [InlineData("/dev1/t/")]
    [InlineData("/dev1//t/x")]
    [InlineData("/dev1/t/x?y=1")]
    [InlineData("/dev1/t/file..x")]
    [InlineData("dev1/t/x")]
    public async Task Put_invalid_filename_is_400(string target)
    {
        var r = await X($"PUT {target} HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc");
        if (target.Contains(' '))
        {
            // a space splits the request line: not even a valid request
            Assert.StartsWith("HTTP/1.0 400 Bad request", r);
            return;
        }
        Assert.Equal("HTTP/1.0 400 Bad request\r\nContent-Type: text/html\r\nContent-Length: 43\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>400 - Bad request</h1>\nInvalid filename<<EOF>>", r);
    }

    [Fact]
    public async Task Put_onto_directory_is_500_internal_error()
    {
        var r = await X("PUT /dev1/t HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc");
        Assert.Equal("HTTP/1.0 500 Internal Server Error\r\nContent-Type: text/html\r\nContent-Length: 51\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>500 - Internal Server Error</h1>\nInternal error<<EOF>>", r);
        Assert.True(Directory.Exists(_node.PathOf("/dev1/t")));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_node.PathOf("/dev1")), e => e.EndsWith(".tmp"));
    }

    [Fact]
    public async Task Put_below_a_file_is_500()
    {
        _node.WriteFile("/dev1/afile", "x");
        Assert.StartsWith("HTTP/1.0 500 Internal Server Error", await X("PUT /dev1/afile/x HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"));
    }

    [Fact]
    public async Task Replicator_style_keepalive_put_with_body_in_second_packet()
    {
        using var s = await Raw.ConnectAsync(_node.Http);
        for (int i = 0; i < 3; i++)
        {
            await Raw.SendAsync(s, $"PUT /dev1/0/000/000/000000000{i}.fid HTTP/1.0\r\nConnection: keep-alive\r\nContent-length: 14\r\n\r\n");
            await Task.Delay(50);
            await Raw.SendAsync(s, "content of k" + i + "\n");
            var r = await Raw.ReadAllAsync(s, 300);
            Assert.Equal("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 18\r\nServer: Perlbal\r\nConnection: keep-alive\r\nKeep-Alive: timeout=30, max=100\r\n\r\n<h1>200 - OK</h1>\n<<TIMEOUT>>", r);
            Assert.Equal($"content of k{i}\n", File.ReadAllText(_node.PathOf($"/dev1/0/000/000/000000000{i}.fid")));
        }
        // With Content-MD5 (replicator when the fid has a checksum): 201, still keep-alive.
        string md5 = Convert.ToBase64String(MD5.HashData(Encoding.ASCII.GetBytes("content of k3\n")));
        Assert.Equal("9FbnGtkRG/7V94/1fVa3YQ==", md5);
        await Raw.SendAsync(s, $"PUT /dev1/0/000/000/0000000003.fid HTTP/1.0\r\nConnection: keep-alive\r\nContent-length: 14\r\nContent-MD5: {md5}\r\n\r\ncontent of k3\n");
        Assert.Equal("HTTP/1.0 201 \r\nContent-Type: text/html\r\nContent-Length: 13\r\nServer: Perlbal\r\nConnection: keep-alive\r\nKeep-Alive: timeout=30, max=100\r\n\r\n<h1>201</h1>\n<<TIMEOUT>>", await Raw.ReadAllAsync(s, 300));
    }

    [Fact]
    public async Task Chunked_put_with_expect_continue()
    {
        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 18\r\nServer: Perlbal\r\nConnection: keep-alive\r\nKeep-Alive: timeout=30, max=100\r\n\r\n<h1>200 - OK</h1>\n<<TIMEOUT>>",
            await X("PUT /dev1/t/ch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
        Assert.Equal("hello", File.ReadAllText(_node.PathOf("/dev1/t/ch")));
    }

    [Fact]
    public async Task Chunked_put_many_chunks_extensions_trailers_and_md5()
    {
        var sb = new StringBuilder();
        var expected = new StringBuilder();
        for (int i = 0; i < 200; i++)
        {
            string piece = new string((char)('a' + i % 26), i % 37 + 1);
            expected.Append(piece);
            sb.Append($"{piece.Length:x};ext=1\r\n{piece}\r\n");
        }
        sb.Append("0\r\nX-Trailer: y\r\n\r\n");
        string md5 = Convert.ToBase64String(MD5.HashData(Encoding.ASCII.GetBytes(expected.ToString())));
        var r = await X($"PUT /dev1/t/chm HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-MD5: {md5}\r\nConnection: close\r\n\r\n" + sb);
        Assert.StartsWith("HTTP/1.0 201 \r\n", r);
        Assert.Equal(expected.ToString(), File.ReadAllText(_node.PathOf("/dev1/t/chm")));
    }

    [Fact]
    public async Task Chunked_put_cut_off_leaves_nothing()
    {
        using (var s = await Raw.ConnectAsync(_node.Http))
        {
            await Raw.SendAsync(s, "PUT /dev1/t/chcut HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\nabc");
            await Task.Delay(100);
        }
        await WaitNoTempFilesAsync("/dev1/t");
        Assert.False(File.Exists(_node.PathOf("/dev1/t/chcut")));
    }

    [Fact]
    public async Task Put_creates_missing_directories()
    {
        Assert.Equal(Ok200Close, await X("PUT /dev2/5/204/870/52048709162819278.fid HTTP/1.0\r\nContent-Length: 2\r\n\r\nok"));
        Assert.Equal("ok", File.ReadAllText(_node.PathOf("/dev2/5/204/870/52048709162819278.fid")));
    }

    [Fact]
    public async Task Upload_cut_off_mid_body_leaves_no_file_and_keeps_the_old_one()
    {
        _node.WriteFile("/dev1/t/cut", "previous contents");
        using (var s = await Raw.ConnectAsync(_node.Http))
        {
            await Raw.SendAsync(s, "PUT /dev1/t/cut HTTP/1.0\r\nContent-Length: 100\r\n\r\n" + new string('x', 40));
            await Task.Delay(200);
            // the target is untouched while the upload is in progress
            Assert.Equal("previous contents", File.ReadAllText(_node.PathOf("/dev1/t/cut")));
        }
        using (var s = await Raw.ConnectAsync(_node.Http))
        {
            await Raw.SendAsync(s, "PUT /dev1/t/newcut HTTP/1.0\r\nContent-Length: 100000\r\n\r\n" + new string('y', 50000));
            await Task.Delay(200);
        }
        await WaitNoTempFilesAsync("/dev1/t");
        Assert.Equal("previous contents", File.ReadAllText(_node.PathOf("/dev1/t/cut")));
        Assert.False(File.Exists(_node.PathOf("/dev1/t/newcut")));
        Assert.Equal(["cut"], FilesIn("/dev1/t"));
    }

    private async Task WaitNoTempFilesAsync(string dir)
    {
        for (int i = 0; i < 100 && FilesIn(dir).Any(f => f.EndsWith(".tmp")); i++) await Task.Delay(50);
        Assert.DoesNotContain(FilesIn(dir), f => f.EndsWith(".tmp"));
    }

    [Fact]
    public async Task Expect_continue_on_http11_gets_100()
    {
        using var s = await Raw.ConnectAsync(_node.Http);
        await Raw.SendAsync(s, "PUT /dev1/t/exp HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
        Assert.Equal("HTTP/1.1 100 Continue\r\n", await Raw.ReadLineAsync(s));
        Assert.Equal("\r\n", await Raw.ReadLineAsync(s));
        await Raw.SendAsync(s, "abc");
        Assert.Equal("HTTP/1.0 200 OK\r\n", await Raw.ReadLineAsync(s));
        Assert.Equal("abc", File.ReadAllText(_node.PathOf("/dev1/t/exp")));
    }

    [Fact]
    public async Task Large_put_with_httpclient_and_md5()
    {
        var data = new byte[3 * 1024 * 1024 + 17];
        new Random(3).NextBytes(data);
        using var http = _node.Client();
        var content = new ByteArrayContent(data);
        content.Headers.ContentMD5 = MD5.HashData(data);
        var resp = await http.PutAsync("/dev2/0/000/000/0000000099.fid", content);
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        Assert.Equal(data, File.ReadAllBytes(_node.PathOf("/dev2/0/000/000/0000000099.fid")));
        Assert.Equal(data, await http.GetByteArrayAsync("/dev2/0/000/000/0000000099.fid"));
    }

    [Fact]
    public async Task Content_range_on_put_is_ignored()
    {
        var r = await X("PUT /dev1/t/cr HTTP/1.0\r\nContent-Length: 3\r\nContent-Range: bytes 10-12/13\r\n\r\nabc");
        Assert.Equal(Ok200Close, r);
        Assert.Equal("abc", File.ReadAllText(_node.PathOf("/dev1/t/cr")));
    }

    [Fact]
    public async Task Delete_semantics()
    {
        _node.WriteFile("/dev1/t/z0", "x");
        Assert.Equal("HTTP/1.0 204 No Content\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<<EOF>>", await X("DELETE /dev1/t/z0 HTTP/1.0\r\n\r\n"));
        Assert.False(File.Exists(_node.PathOf("/dev1/t/z0")));
        Assert.Equal("HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 25\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>404 - Not Found</h1>\n<<EOF>>", await X("DELETE /dev1/t/z0 HTTP/1.0\r\n\r\n"));
        Assert.StartsWith("HTTP/1.0 404", await X("DELETE /dev1/nodir/z0 HTTP/1.0\r\n\r\n"));
        Assert.Equal("HTTP/1.0 400 Bad request\r\nContent-Type: text/html\r\nContent-Length: 41\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>400 - Bad request</h1>\nIs a directory<<EOF>>", await X("DELETE /dev1/t HTTP/1.0\r\n\r\n"));
        Assert.True(Directory.Exists(_node.PathOf("/dev1/t")));
        foreach (var bad in new[] { "/", "/dev1/t/", "/dev1/t/a%20b", "/dev1/t/x?y", "/dev1/../dev2/x" })
            Assert.Contains("Invalid filename", await X($"DELETE {bad} HTTP/1.0\r\n\r\n"));
        // delete worker style: HTTP/1.1 keep-alive
        _node.WriteFile("/dev1/t/k", "x");
        Assert.Equal("HTTP/1.0 204 No Content\r\nServer: Perlbal\r\nConnection: keep-alive\r\nKeep-Alive: timeout=30, max=100\r\n\r\n<<TIMEOUT>>", await X("DELETE /dev1/t/k HTTP/1.1\r\nHost: x\r\n\r\n"));
        using var http = _node.Client();
        _node.WriteFile("/dev1/t/h", "x");
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("/dev1/t/h")).StatusCode);
    }

    [Fact]
    public async Task Concurrent_puts_to_the_same_path_leave_one_whole_file()
    {
        using var http = _node.Client();
        var bodies = Enumerable.Range(0, 16).Select(i => Encoding.ASCII.GetBytes(new string((char)('a' + i), 100_000 + i))).ToArray();
        await Task.WhenAll(bodies.Select(b => http.PutAsync("/dev1/t/same", new ByteArrayContent(b))));
        var final = File.ReadAllBytes(_node.PathOf("/dev1/t/same"));
        Assert.Contains(bodies, b => b.AsSpan().SequenceEqual(final));
        Assert.Equal(["same"], FilesIn("/dev1/t"));
    }

    [Fact]
    public async Task Replacing_a_file_keeps_a_name_for_readers_and_leaves_no_temp_file()
    {
        // The target exists, so the upload cannot be linked under its name: it gets a temp name
        // and is renamed over the old file (readers see the old or the new file, never none).
        using var http = _node.Client();
        _node.WriteFile("/dev1/t/r", "old");
        for (int i = 0; i < 20; i++)
        {
            var body = "new contents " + i;
            Assert.Equal(HttpStatusCode.OK, (await http.PutAsync("/dev1/t/r", new StringContent(body))).StatusCode);
            Assert.Equal(body, File.ReadAllText(_node.PathOf("/dev1/t/r")));
        }
        Assert.Equal(["r"], FilesIn("/dev1/t"));
    }

    [Fact]
    public async Task Put_into_a_directory_of_many_files_adds_exactly_one()
    {
        using var http = _node.Client();
        for (int i = 0; i < 50; i++)
            Assert.Equal(HttpStatusCode.OK, (await http.PutAsync($"/dev1/t/{i}.fid", new ByteArrayContent(new byte[i]))).StatusCode);
        Assert.Equal(50, FilesIn("/dev1/t").Length);
        Assert.All(Enumerable.Range(0, 50), i => Assert.Equal(i, new FileInfo(_node.PathOf($"/dev1/t/{i}.fid")).Length));
    }
}
