using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MogileFS.StorageNode.Tests.Support;
using MogileFS.TestSupport;

namespace MogileFS.StorageNode.Tests;

/// <summary>The <c>mogstored</c> executable started the way the 2.73 test suite starts it.</summary>
public sealed partial class ProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new("mogstored-proc-");
    private readonly List<int> _pids = [];

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int sig);

    private const int SIGTERM = 15, SIGKILL = 9;

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int Fadvise(int fd, long offset, long len, int advice);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    /// <summary>Drops a file's pages from the page cache, so the next read must go to the disk.</summary>
    private static void Evict(string path)
    {
        using var h = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        int fd = (int)h.DangerousGetHandle();
        Fsync(fd);
        Fadvise(fd, 0, 0, 4 /* POSIX_FADV_DONTNEED */);
    }

    public void Dispose()
    {
        foreach (var pid in _pids)
            if (Alive(pid)) Kill(pid, SIGKILL);
        _dir.Dispose();
    }

    private static bool Alive(int pid) => Kill(pid, 0) == 0 && !IsZombie(pid);

    private static bool IsZombie(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z"; }
        catch (IOException) { return false; }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "mogstored.dll");

    private Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        _pids.Add(p.Id);
        return p;
    }

    private string DocRoot()
    {
        string root = _dir.CreateSubdirectory("docroot");
        Directory.CreateDirectory(Path.Combine(root, "dev1"));
        return root;
    }

    [Fact]
    public async Task Starts_with_the_test_suite_flags_prints_Running_and_exits_0_on_SIGTERM()
    {
        string root = DocRoot();
        int hp = FreePort(), mp = FreePort();
        using var p = Start("--skipconfig", $"--httplisten=127.0.0.1:{hp}", $"--mgmtlisten=127.0.0.1:{mp}", "--maxconns=1000", $"--docroot={root}");
        var stderr = p.StandardError.ReadToEndAsync();
        var line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("Running.", line);

        var ep = new IPEndPoint(IPAddress.Loopback, hp);
        Assert.StartsWith("HTTP/1.0 200 OK", await Raw.ExchangeAsync(ep, "GET / HTTP/1.0\r\n\r\n"));
        Assert.Equal("/dev1/x -1\r\n<<TIMEOUT>>", await Raw.ExchangeAsync(new IPEndPoint(IPAddress.Loopback, mp), "size /dev1/x\r\n"));
        for (int i = 0; i < 100 && !File.Exists(Path.Combine(root, "dev1", "usage")); i++) await Task.Delay(50);
        Assert.True(File.Exists(Path.Combine(root, "dev1", "usage")), "usage file within 5 s");

        Assert.Equal(0, Kill(p.Id, SIGTERM));
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(p.ExitCode == 0, await stderr);
    }

    [Fact]
    public async Task Sigterm_lets_an_upload_in_flight_complete()
    {
        string root = DocRoot();
        int hp = FreePort(), mp = FreePort();
        using var p = Start("--skipconfig", $"--httplisten=127.0.0.1:{hp}", $"--mgmtlisten=127.0.0.1:{mp}", $"--docroot={root}");
        Assert.Equal("Running.", await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        using var s = await Raw.ConnectAsync(new IPEndPoint(IPAddress.Loopback, hp));
        await Raw.SendAsync(s, "PUT /dev1/0/000/000/0000000001.fid HTTP/1.0\r\nContent-Length: 10\r\n\r\nhello");
        await Task.Delay(300);
        Assert.Equal(0, Kill(p.Id, SIGTERM));
        await Task.Delay(300);
        // no new connections while stopping
        await Assert.ThrowsAnyAsync<SocketException>(() => Raw.ConnectAsync(new IPEndPoint(IPAddress.Loopback, hp)));
        await Raw.SendAsync(s, "world");
        var r = await Raw.ReadAllAsync(s, 5000);
        Assert.StartsWith("HTTP/1.0 200 OK", r);
        Assert.EndsWith("Connection: close\r\n\r\n<h1>200 - OK</h1>\n<<EOF>>", r);
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, p.ExitCode);
        Assert.Equal("helloworld", File.ReadAllText(Path.Combine(root, "dev1/0/000/000/0000000001.fid")));
    }

    [Fact]
    public async Task Daemonize_with_pidfile_then_side_channel_shutdown()
    {
        string root = DocRoot();
        string pidfile = _dir.Combine("mogstored.pid");
        int hp = FreePort(), mp = FreePort();
        using var launcher = Start("--skipconfig", $"--httplisten=127.0.0.1:{hp}", $"--mgmtlisten=127.0.0.1:{mp}", "--maxconns=1000", $"--docroot={root}", "--daemonize", $"--pidfile={pidfile}");
        await launcher.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(launcher.ExitCode == 0, await launcher.StandardError.ReadToEndAsync());
        Assert.Equal("", await launcher.StandardOutput.ReadToEndAsync());

        int pid = int.Parse(File.ReadAllText(pidfile).Trim());
        _pids.Add(pid);
        Assert.NotEqual(launcher.Id, pid);
        Assert.True(Alive(pid));
        // the daemon left the launcher's session
        Assert.Equal(pid.ToString(), File.ReadAllText($"/proc/{pid}/stat").Split(' ')[5]);

        Assert.StartsWith("HTTP/1.0 200 OK", await Raw.ExchangeAsync(new IPEndPoint(IPAddress.Loopback, hp), "GET / HTTP/1.0\r\n\r\n"));
        using var side = await Raw.ConnectAsync(new IPEndPoint(IPAddress.Loopback, mp));
        await Raw.SendAsync(side, "shutdown\n");
        Assert.Equal("<<EOF>>", await Raw.ReadAllAsync(side, 2000, firstByteMs: 2000));
        for (int i = 0; i < 80 && Alive(pid); i++) await Task.Delay(50);
        Assert.False(Alive(pid), "the daemon is gone within 4 s");
        Assert.False(File.Exists(pidfile));
    }

    [Fact]
    public async Task Daemonized_it_logs_to_its_log_file_with_an_access_log_and_serves_its_status_port()
    {
        // 2.73's mogstored lost every message once daemonized (issue 13).
        string root = DocRoot();
        string log = _dir.Combine("mogstored.log");
        string pidfile = _dir.Combine("mogstored-log.pid");
        int hp = FreePort(), mp = FreePort(), sp = FreePort();
        using var launcher = Start("--skipconfig", $"--httplisten=127.0.0.1:{hp}", $"--mgmtlisten=127.0.0.1:{mp}", $"--docroot={root}",
            "--daemonize", $"--pidfile={pidfile}", $"--log_file={log}", $"--status_listen=127.0.0.1:{sp}");
        await launcher.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(launcher.ExitCode == 0, await launcher.StandardError.ReadToEndAsync());
        int pid = int.Parse(File.ReadAllText(pidfile).Trim());
        _pids.Add(pid);

        Assert.StartsWith("HTTP/1.0 404", await Raw.ExchangeAsync(new IPEndPoint(IPAddress.Loopback, hp), "GET /dev1/nothing.fid HTTP/1.0\r\n\r\n"));
        using (var http = new HttpClient())
        {
            Assert.Equal("ok\n", await http.GetStringAsync($"http://127.0.0.1:{sp}/healthz"));
            Assert.Contains("mogilefs_storage_request_duration_seconds_count{method=\"GET\",status=\"404\"} 1",
                await http.GetStringAsync($"http://127.0.0.1:{sp}/metrics"));
        }
        string text = "";
        for (int i = 0; i < 100 && !text.Contains("GET /dev1/nothing.fid 404", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50);
            text = File.ReadAllText(log);
        }
        Assert.Matches($@"info  mogstored\[{pid}\] mogstored: mogstored listening: HTTP 127\.0\.0\.1:{hp}", text);
        Assert.Matches($@"info  mogstored\[{pid}\] mogstored\.access: GET /dev1/nothing\.fid 404 sent=\d+ received=0 ms=[\d.]+ client=127\.0\.0\.1", text);

        using var side = await Raw.ConnectAsync(new IPEndPoint(IPAddress.Loopback, mp));
        await Raw.SendAsync(side, "shutdown\n");
        await Raw.ReadAllAsync(side, 2000, firstByteMs: 2000);
        for (int i = 0; i < 80 && Alive(pid); i++) await Task.Delay(50);
        Assert.False(Alive(pid));
    }

    [Fact]
    public async Task Daemonize_shows_the_copys_error_when_it_cannot_listen()
    {
        string root = DocRoot();
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        int hp = ((IPEndPoint)busy.LocalEndpoint).Port, mp = FreePort();
        using var launcher = Start("--skipconfig", $"--httplisten=127.0.0.1:{hp}", $"--mgmtlisten=127.0.0.1:{mp}", $"--docroot={root}", "--daemonize");
        var stderr = launcher.StandardError.ReadToEndAsync();
        await launcher.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, launcher.ExitCode);
        Assert.Equal("", await launcher.StandardOutput.ReadToEndAsync());
        string err = await stderr;
        // The copy's own messages (and its log lines) come first, then the launcher's.
        Assert.StartsWith("mogstored: Address already in use\n", err);
        Assert.EndsWith("\nmogstored: the daemon process exited before it was ready\n", err);
    }

    [Fact]
    public async Task A_pidfile_that_cannot_be_written_stops_the_start()
    {
        string root = DocRoot();
        string pidfile = _dir.Combine("no-such-dir/mogstored.pid");
        int hp = FreePort(), mp = FreePort();
        using var p = Start("--skipconfig", $"--httplisten=127.0.0.1:{hp}", $"--mgmtlisten=127.0.0.1:{mp}", $"--docroot={root}", $"--pidfile={pidfile}");
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, p.ExitCode);
        Assert.Equal("", await p.StandardOutput.ReadToEndAsync());
        Assert.Contains($"mogstored: Could not find a part of the path '{pidfile}'.\n", await stderr);
    }

    [Fact]
    public async Task Keepalive_gets_of_cold_and_large_files_are_served_off_the_event_loop()
    {
        // mogstored serves on the socket threads (inline completions); page-cache misses and
        // large bodies move to the thread pool. The bytes must be right either way.
        string root = DocRoot();
        var small = new byte[50_000];
        var large = new byte[3 * 1024 * 1024 + 7];
        new Random(11).NextBytes(small);
        new Random(12).NextBytes(large);
        File.WriteAllBytes(Path.Combine(root, "dev1", "cold"), small);
        File.WriteAllBytes(Path.Combine(root, "dev1", "large"), large);
        int hp = FreePort(), mp = FreePort();
        using var p = Start("--skipconfig", $"--httplisten=127.0.0.1:{hp}", $"--mgmtlisten=127.0.0.1:{mp}", $"--docroot={root}");
        Assert.Equal("Running.", await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{hp}") };
        for (int i = 0; i < 3; i++)
        {
            Evict(Path.Combine(root, "dev1", "cold"));
            Evict(Path.Combine(root, "dev1", "large"));
            await Task.Delay(100); // let the next request arrive on an idle (epoll-waiting) connection
            Assert.Equal(small, await http.GetByteArrayAsync("/dev1/cold"));
            await Task.Delay(100);
            Assert.Equal(large, await http.GetByteArrayAsync("/dev1/large"));
            var put = await http.PutAsync($"/dev1/0/000/000/000000000{i}.fid", new ByteArrayContent(small));
            Assert.True(put.IsSuccessStatusCode);
            Assert.Equal(small, await http.GetByteArrayAsync($"/dev1/0/000/000/000000000{i}.fid"));
        }
        Kill(p.Id, SIGTERM);
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public async Task Bad_flag_exits_with_usage()
    {
        using var p = Start("--bogus");
        string err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.NotEqual(0, p.ExitCode);
        Assert.StartsWith("Unknown option: bogus\nUsage: mogstored [OPTS]", err);
    }

    [Fact]
    public async Task Missing_docroot_is_reported()
    {
        using var p = Start("--skipconfig", "--httplisten=127.0.0.1:0", "--mgmtlisten=127.0.0.1:0", $"--docroot={_dir.Combine("nope")}");
        string err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.NotEqual(0, p.ExitCode);
        Assert.Contains("does not exist", err);
    }
}
