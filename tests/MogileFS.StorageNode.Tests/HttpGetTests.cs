using System.Net;
using MogileFS.StorageNode.Tests.Support;

namespace MogileFS.StorageNode.Tests;

/// <summary>GET/HEAD byte for byte against the exchanges captured from 2.73
/// (storage-transcripts/mogstored-2.73-probes.txt), dates normalised.</summary>
public sealed class HttpGetTests : IAsyncLifetime
{
    private Node _node = null!;
    private const string Fid = "/dev1/0/000/000/0000000123.fid";

    public async Task InitializeAsync()
    {
        _node = await Node.StartAsync();
        _node.WriteFile(Fid, "hello world");
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private async Task<string> X(string request) => Raw.NormalizeDates(await Raw.ExchangeAsync(_node.Http, request));

    private const string FileHead = "Date: <date>\r\nServer: Perlbal\r\nLast-Modified: <date>\r\nAccept-Ranges: bytes\r\nContent-Type: text/plain\r\n";

    [Fact]
    public async Task Get_http10_closes()
    {
        Assert.Equal("HTTP/1.0 200 OK\r\n" + FileHead + "Content-Length: 11\r\nConnection: close\r\n\r\nhello world<<EOF>>",
            await X($"GET {Fid} HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Get_http11_keeps_alive()
    {
        Assert.Equal("HTTP/1.0 200 OK\r\n" + FileHead + "Content-Length: 11\r\nConnection: keep-alive\r\nKeep-Alive: timeout=30, max=100\r\n\r\nhello world<<TIMEOUT>>",
            await X($"GET {Fid} HTTP/1.1\r\nHost: x\r\n\r\n"));
    }

    [Fact]
    public async Task Get_http10_with_tracker_keepalive_headers()
    {
        var r = await X($"GET {Fid} HTTP/1.0\r\nKeep-Alive: 300\r\nConnection: Keep-Alive, keep-alive\r\nHost: 10.0.0.2:7500\r\nUser-Agent: MogileFS::Connection::HTTP/2.73\r\n\r\n");
        Assert.EndsWith("Connection: keep-alive\r\nKeep-Alive: timeout=30, max=100\r\n\r\nhello world<<TIMEOUT>>", r);
    }

    [Fact]
    public async Task Get_http11_connection_close()
    {
        var r = await X($"GET {Fid} HTTP/1.1\r\nConnection: close\r\n\r\n");
        Assert.EndsWith("Connection: close\r\n\r\nhello world<<EOF>>", r);
    }

    [Fact]
    public async Task Head_has_length_no_body()
    {
        Assert.Equal("HTTP/1.0 200 OK\r\n" + FileHead + "Content-Length: 11\r\nConnection: close\r\n\r\n<<EOF>>",
            await X($"HEAD {Fid} HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Missing_is_404_and_head_keeps_length()
    {
        Assert.Equal("HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 25\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>404 - Not Found</h1>\n<<EOF>>",
            await X("GET /dev1/nothere HTTP/1.0\r\n\r\n"));
        Assert.Equal("HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 25\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<<EOF>>",
            await X("HEAD /dev1/nothere HTTP/1.0\r\n\r\n"));
        // the tracker's HEAD (HTTP/1.1, keep-alive) of a missing fid
        Assert.Equal("HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 25\r\nServer: Perlbal\r\nConnection: keep-alive\r\nKeep-Alive: timeout=30, max=100\r\n\r\n<<TIMEOUT>>",
            await X("HEAD /dev3/0/000/000/0000000002.fid HTTP/1.1\r\nKeep-Alive: 300\r\nConnection: Keep-Alive, keep-alive\r\nHost: x\r\n\r\n"));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/dev1/")]
    [InlineData("/dev1")]
    public async Task Directory_listing_disabled_is_200(string path)
    {
        Assert.Equal("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 44\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>200 - OK</h1>\nDirectory listing disabled<<EOF>>",
            await X($"GET {path} HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Directory_with_index_html_serves_it()
    {
        _node.WriteFile("/dev2/site/index.html", "<p>hi</p>");
        var r = await X("GET /dev2/site/ HTTP/1.0\r\n\r\n");
        Assert.Contains("Content-Type: text/html\r\nContent-Length: 9\r\n", r);
        Assert.EndsWith("<p>hi</p><<EOF>>", r);
    }

    [Fact]
    public async Task Dotdot_is_403_bogus_url()
    {
        Assert.Equal("HTTP/1.0 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: 34\r\nServer: Perlbal\r\nConnection: close\r\n\r\n<h1>403 - Forbidden</h1>\nBogus URL<<EOF>>",
            await X("GET /dev1/../dev1/usage HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Query_string_is_dropped_and_double_question_is_refused()
    {
        Assert.EndsWith("hello world<<EOF>>", await X($"GET {Fid}?x=1 HTTP/1.0\r\n\r\n"));
        Assert.Contains("403 Forbidden", await X("GET /dev1/??a,b HTTP/1.0\r\n\r\n"));
        Assert.Contains("Multiple file serving isn't enabled", await X("GET /dev1/??a,b HTTP/1.0\r\n\r\n"));
        Assert.Contains("500 Internal Server Error", await X("GET /dev1??a,b HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Percent_encoded_path_is_decoded()
    {
        _node.WriteFile("/dev1/with space.txt", "sp");
        var r = await X("GET /dev1/with%20space.txt HTTP/1.0\r\n\r\n");
        Assert.Contains("Content-Type: text/plain\r\nContent-Length: 2\r\n", r);
        Assert.EndsWith("sp<<EOF>>", r);
    }

    [Theory]
    [InlineData("bytes=0-4", "206 Partial Content", "bytes 0-4/11", "hello")]
    [InlineData("bytes=6-", "206 Partial Content", "bytes 6-10/11", "world")]
    [InlineData("bytes=3-100", "206 Partial Content", "bytes 3-10/11", "lo world")]
    [InlineData("bytes=10-10", "206 Partial Content", "bytes 10-10/11", "d")]
    // Ours (documented): a suffix range is the last N bytes (2.73 sent the first N+1).
    [InlineData("bytes=-5", "206 Partial Content", "bytes 6-10/11", "world")]
    [InlineData("bytes=-50", "206 Partial Content", "bytes 0-10/11", "hello world")]
    public async Task Ranges(string range, string status, string contentRange, string body)
    {
        var r = await X($"GET {Fid} HTTP/1.0\r\nRange: {range}\r\n\r\n");
        Assert.Equal($"HTTP/1.0 {status}\r\n" + FileHead + $"Content-Range: {contentRange}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}<<EOF>>", r);
    }

    [Theory]
    [InlineData("bytes=11-")]
    [InlineData("bytes=5-2")]
    [InlineData("bytes=-0")]
    public async Task Unsatisfiable_ranges_are_416(string range)
    {
        Assert.Equal("HTTP/1.0 416 Request range not satisfiable\r\nContent-Range: bytes */11\r\nContent-Length: 0\r\nDate: <date>\r\nServer: Perlbal\r\nLast-Modified: <date>\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n<<EOF>>",
            await X($"GET {Fid} HTTP/1.0\r\nRange: {range}\r\n\r\n"));
    }

    [Fact]
    public async Task A_range_of_an_empty_file_is_416_with_a_bare_star()
    {
        // Perlbal (2.73's mogstored): "Content-Range: *" when the file is empty, "bytes */N" otherwise.
        _node.WriteFile("/dev1/empty.fid", "");
        Assert.Equal("HTTP/1.0 416 Request range not satisfiable\r\nContent-Range: *\r\nContent-Length: 0\r\nDate: <date>\r\nServer: Perlbal\r\nLast-Modified: <date>\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n<<EOF>>",
            await X("GET /dev1/empty.fid HTTP/1.0\r\nRange: bytes=0-0\r\n\r\n"));
    }

    [Theory]
    [InlineData("bytes=0-0,2-3")]
    [InlineData("bytes= 0-4")]
    [InlineData("items=0-4")]
    [InlineData("bytes=-")]
    public async Task Other_ranges_are_ignored(string range)
    {
        Assert.Equal("HTTP/1.0 200 OK\r\n" + FileHead + "Content-Length: 11\r\nConnection: close\r\n\r\nhello world<<EOF>>",
            await X($"GET {Fid} HTTP/1.0\r\nRange: {range}\r\n\r\n"));
    }

    [Fact]
    public async Task Head_with_range_has_206_headers()
    {
        var r = await X($"HEAD {Fid} HTTP/1.0\r\nRange: bytes=0-4\r\n\r\n");
        Assert.StartsWith("HTTP/1.0 206 Partial Content\r\n", r);
        Assert.EndsWith("Content-Range: bytes 0-4/11\r\nContent-Length: 5\r\nConnection: close\r\n\r\n<<EOF>>", r);
    }

    [Fact]
    public async Task If_modified_since_exact_match_gives_304()
    {
        string lastMod = File.GetLastWriteTimeUtc(_node.PathOf(Fid)).ToString("R");
        Assert.Equal("HTTP/1.0 304 Not Modified\r\nDate: <date>\r\nServer: Perlbal\r\nLast-Modified: <date>\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n<<EOF>>",
            await X($"GET {Fid} HTTP/1.0\r\nIf-Modified-Since: {lastMod}\r\n\r\n"));
        Assert.StartsWith("HTTP/1.0 304", await X($"GET {Fid} HTTP/1.0\r\nIf-Modified-Since: {lastMod}; length=11\r\nRange: bytes=0-1\r\n\r\n"));
        Assert.StartsWith("HTTP/1.0 200", await X($"GET {Fid} HTTP/1.0\r\nIf-Modified-Since: {lastMod}; length=12\r\n\r\n"));
        Assert.StartsWith("HTTP/1.0 200", await X($"GET {Fid} HTTP/1.0\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n"));
    }

    [Theory]
    [InlineData("/dev1/a.jpg", "image/jpeg")]
    [InlineData("/dev1/a.html", "text/html")]
    [InlineData("/dev1/a.JPG", "text/plain")]
    [InlineData("/dev1/usage2", "text/plain")]
    [InlineData("/dev1/x.torrent", "application/x-bittorrent")]
    public async Task Content_type_by_extension(string path, string type)
    {
        _node.WriteFile(path, "x");
        Assert.Contains($"Content-Type: {type}\r\n", await X($"HEAD {path} HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order()
    {
        _node.WriteFile("/dev1/p1", "one");
        _node.WriteFile("/dev1/p2", "two");
        var r = Raw.NormalizeDates(await Raw.ExchangeAsync(_node.Http,
            "GET /dev1/p1 HTTP/1.1\r\n\r\nHEAD /dev1/p2 HTTP/1.1\r\n\r\nGET /dev1/nothere HTTP/1.1\r\n\r\nGET /dev1/p2 HTTP/1.0\r\n\r\n"));
        int a = r.IndexOf("\r\n\r\none", StringComparison.Ordinal);
        int b = r.IndexOf("Content-Length: 3\r\nConnection: keep-alive", a + 1, StringComparison.Ordinal);
        int c = r.IndexOf("<h1>404 - Not Found</h1>\n", b + 1, StringComparison.Ordinal);
        int d = r.IndexOf("Connection: close\r\n\r\ntwo<<EOF>>", c + 1, StringComparison.Ordinal);
        Assert.True(a > 0 && b > a && c > b && d > c, r);
    }

    [Theory]
    [InlineData("MKCOL /dev1/newdir/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "keep-alive\r\nKeep-Alive: timeout=30, max=100\r\n\r\n<h1>400 - Bad request</h1>\n<<TIMEOUT>>")]
    [InlineData("OPTIONS * HTTP/1.0\r\n\r\n", "close\r\n\r\n<h1>400 - Bad request</h1>\n<<EOF>>")]
    [InlineData("POST /dev1/x HTTP/1.0\r\n\r\n", "close\r\n\r\n<h1>400 - Bad request</h1>\n<<EOF>>")]
    [InlineData("get /dev1/x HTTP/1.0\r\n\r\n", "close\r\n\r\n<h1>400 - Bad request</h1>\n<<EOF>>")]
    [InlineData("PROPFIND /dev1/ HTTP/1.0\r\n\r\n", "close\r\n\r\n<h1>400 - Bad request</h1>\n<<EOF>>")]
    public async Task Other_methods_are_400(string request, string tail)
    {
        var r = await X(request);
        Assert.Equal("HTTP/1.0 400 Bad request\r\nContent-Type: text/html\r\nContent-Length: 27\r\nServer: Perlbal\r\nConnection: " + tail, r);
    }

    [Fact]
    public async Task Large_file_via_sendfile_and_ranges()
    {
        var data = new byte[5 * 1024 * 1024 + 123];
        new Random(7).NextBytes(data);
        _node.WriteFile("/dev2/big.bin", data);
        using var http = _node.Client();
        var got = await http.GetByteArrayAsync("/dev2/big.bin");
        Assert.Equal(data, got);

        var req = new HttpRequestMessage(HttpMethod.Get, "/dev2/big.bin");
        req.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(1_000_000, 3_999_999);
        var resp = await http.SendAsync(req);
        Assert.Equal(HttpStatusCode.PartialContent, resp.StatusCode);
        Assert.Equal(data.AsSpan(1_000_000, 3_000_000).ToArray(), await resp.Content.ReadAsByteArrayAsync());

        // medium (inline) size
        var mid = data.AsSpan(0, 64 * 1024).ToArray();
        _node.WriteFile("/dev2/mid.bin", mid);
        Assert.Equal(mid, await http.GetByteArrayAsync("/dev2/mid.bin"));
    }

    [Fact]
    public async Task HttpClient_get_and_head()
    {
        using var http = _node.Client();
        Assert.Equal("hello world", await http.GetStringAsync(Fid));
        var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, Fid));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(11, head.Content.Headers.ContentLength);
        Assert.Equal("Perlbal", head.Headers.Server.ToString());
        Assert.NotNull(head.Content.Headers.LastModified);
        var missing = await http.GetAsync("/dev1/none");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Special_files_are_not_served()
    {
        string fifo = _node.PathOf("/dev1/fifo");
        var p = System.Diagnostics.Process.Start("mkfifo", fifo);
        p.WaitForExit();
        Assert.StartsWith("HTTP/1.0 403 Forbidden", await X("GET /dev1/fifo HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task Never_stale_after_overwrite_or_delete()
    {
        using var http = _node.Client();
        for (int i = 0; i < 20; i++)
        {
            var put = await http.PutAsync("/dev1/x/stale", new ByteArrayContent(System.Text.Encoding.ASCII.GetBytes("v" + i)));
            Assert.True(put.IsSuccessStatusCode);
            Assert.Equal("v" + i, await http.GetStringAsync("/dev1/x/stale"));
        }
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("/dev1/x/stale")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/dev1/x/stale")).StatusCode);
    }
}
