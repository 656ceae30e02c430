using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MogileFS.Client;
using MogileFS.Hosting;

namespace MogileFS.Cli.mogcluster;

/// <summary>
/// <c>mogcluster up</c>: a whole MogileFS installation on this machine for trying things out —
/// one tracker (mogilefsd) on 127.0.0.1:7001, three storage nodes (mogstored) on 127.0.1.1-3:7500,
/// a SQLite database (or a private PostgreSQL with <c>--postgres</c>, MariaDB with <c>--mysql</c>), all under <c>./data</c>,
/// with domain <c>default</c>, class <c>default</c>, hosts and devices registered and alive.
/// Runs in the foreground; Ctrl-C (or SIGTERM) stops every process it started. Starting it
/// again reuses the data folder: files stored before are still there.
/// </summary>
public static partial class LocalCluster
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private const string Usage = """
        Usage: cluster [up] [options]

        Starts a local MogileFS cluster in the foreground: one tracker, three storage nodes on
        different loopback addresses, a SQLite database, domain 'default' with class 'default'.
        Everything lives in the data folder and survives restarts. Ctrl-C stops it all.

          --data=DIR          data folder (default: ./data in the repository)
          --postgres          use a private PostgreSQL server in DATA/postgres instead of SQLite
          --mysql             use a private MariaDB/MySQL server in DATA/mysql instead of SQLite
          --pg-port=N         its port (default 55432)
          --my-port=N         the MariaDB port (default 53306)
          --tracker=IP:PORT   tracker address (default 127.0.0.1:7001)
          --ips=A,B,C         storage node addresses (default 127.0.1.1,127.0.1.2,127.0.1.3)
          --http-port=N       storage nodes' HTTP port (default 7500)
          --mgmt-port=N       storage nodes' side-channel port (default 7501)
          --s3=IP:PORT        S3 gateway (moggateway) address (default 127.0.0.1:7070)
          --no-s3             do not start the S3 gateway
          --help              this text
          --version           print the version and exit

        """;

    public static async Task<int> RunAsync(string[] argv)
    {
        var args = argv.ToList();
        if (args.Count > 0 && !args[0].StartsWith('-'))
        {
            var verb = args[0];
            args.RemoveAt(0);
            if (verb != "up") { Console.Error.Write($"unknown command '{verb}'\n{Usage}"); return 2; }
        }
        // Getopt::Long style like every executable (MogileFS.Hosting); unknown options and
        // stray words come back as arguments and get mogcluster's own messages.
        var opt = new GetoptLong(GetoptConfig.Tools with { PassThrough = true },
            "data=s", "postgres", "mysql", "my-port=s", "pg-port=s", "tracker=s", "ips=s", "http-port=s", "mgmt-port=s", "s3=s", "no-s3", "help|h").Parse(args);
        if (opt.Has("help")) { Console.Write(Usage); return 0; }
        if (opt.Error != null) { Console.Error.Write($"{opt.Error}\n{Usage}"); return 2; }
        if (opt.Arguments.FirstOrDefault() is { } extra)
        {
            if (!extra.StartsWith("--", StringComparison.Ordinal)) { Console.Error.Write($"unexpected argument '{extra}'\n{Usage}"); return 2; }
            int eq = extra.IndexOf('=');
            Console.Error.Write($"unknown option --{(eq < 0 ? extra[2..] : extra[2..eq])}\n{Usage}");
            return 2;
        }

        var settings = new Settings
        {
            Data = Path.GetFullPath(opt.Last("data") ?? Path.Combine(RepositoryRoot(), "data")),
            Postgres = opt.Has("postgres"),
            MySql = opt.Has("mysql"),
            MyPort = int.Parse(opt.Last("my-port") ?? "53306"),
            PgPort = int.Parse(opt.Last("pg-port") ?? "55432"),
            Tracker = opt.Last("tracker") ?? "127.0.0.1:7001",
            Ips = (opt.Last("ips") ?? "127.0.1.1,127.0.1.2,127.0.1.3").Split(',', StringSplitOptions.RemoveEmptyEntries),
            HttpPort = int.Parse(opt.Last("http-port") ?? "7500"),
            MgmtPort = int.Parse(opt.Last("mgmt-port") ?? "7501"),
            S3 = opt.Has("no-s3") ? null : opt.Last("s3") ?? "127.0.0.1:7070",
        };

        using var stop = new CancellationTokenSource();
        using var signals = new ShutdownSignals((_, _) => stop.Cancel());

        await using var children = new ChildProcesses();
        PostgresLocal? pg = null;
        MariaDbLocal? my = null;
        var pidFile = Path.Combine(settings.Data, "cluster.pid");
        try
        {
            Directory.CreateDirectory(settings.Data);
            if (PidFile.Read(pidFile) is { } other && other != Environment.ProcessId && ProcessAlive(other))
            {
                Console.Error.WriteLine($"cluster: a cluster is already running from {settings.Data} (pid {other}); stop it first");
                return 1;
            }
            PidFile.Write(pidFile);
            var logs = Directory.CreateDirectory(Path.Combine(settings.Data, "logs")).FullName;
            var conf = Directory.CreateDirectory(Path.Combine(settings.Data, "conf")).FullName;

            // 1. The database.
            string dsn; string dbUser = "", dbPass = "";
            if (settings.Postgres)
            {
                pg = new PostgresLocal(Path.Combine(settings.Data, "postgres"), settings.PgPort, Path.Combine(logs, "postgres.log"));
                Console.WriteLine($"starting PostgreSQL on 127.0.0.1:{settings.PgPort} ...");
                await pg.StartAsync(stop.Token);
                dbUser = "mogile"; dbPass = "mogile";
                await RunToolAsync("mogdbsetup", ["--type=Postgres", "--dbhost=127.0.0.1", $"--dbport={settings.PgPort}", "--dbname=mogilefs",
                    "--dbrootuser=postgres", $"--dbuser={dbUser}", $"--dbpassword={dbPass}", "--yes"], stop.Token);
                dsn = $"DBI:Pg:dbname=mogilefs;host=127.0.0.1;port={settings.PgPort}";
            }
            else if (settings.MySql)
            {
                my = new MariaDbLocal(Path.Combine(settings.Data, "mysql"), settings.MyPort, Path.Combine(logs, "mariadb.log"));
                Console.WriteLine($"starting MariaDB on 127.0.0.1:{settings.MyPort} ...");
                await my.StartAsync(stop.Token);
                dbUser = "mogile"; dbPass = "mogile";
                await RunToolAsync("mogdbsetup", ["--type=MySQL", "--dbhost=127.0.0.1", $"--dbport={settings.MyPort}", "--dbname=mogilefs",
                    "--dbrootuser=root", $"--dbuser={dbUser}", $"--dbpassword={dbPass}", "--yes"], stop.Token);
                dsn = $"DBI:mysql:database=mogilefs;host=127.0.0.1;port={settings.MyPort}";
            }
            else
            {
                var dbFile = Path.Combine(settings.Data, "mogilefs.sqlite");
                await RunToolAsync("mogdbsetup", ["--type=SQLite", "--yes", $"--dbname={dbFile}"], stop.Token);
                dsn = "DBI:SQLite:dbname=" + dbFile;
            }

            // 2. Storage nodes, each with one device directory.
            var localStorage = new List<string>(); // the gateway reads their files from disk (local_storage)
            for (int i = 0; i < settings.Ips.Length; i++)
            {
                int devid = i + 1;
                // One set of device directories per database: two databases handing out fids
                // into one docroot overwrite each other's files (the device markers catch it too).
                var nodes = settings.Postgres ? "nodes-postgres" : settings.MySql ? "nodes-mysql" : "nodes";
                var docroot = Path.Combine(settings.Data, nodes, $"node{devid}");
                Directory.CreateDirectory(Path.Combine(docroot, $"dev{devid}"));
                localStorage.Add($"{settings.Ips[i]}:{settings.HttpPort}={docroot}");
                var file = Path.Combine(conf, $"mogstored-node{devid}.conf");
                File.WriteAllText(file,
                    $"# written by the local cluster command\nhttplisten = {settings.Ips[i]}:{settings.HttpPort}\n" +
                    $"mgmtlisten = {settings.Ips[i]}:{settings.MgmtPort}\ndocroot = {docroot}\n" +
                    $"status_listen = {settings.Ips[i]}:{NodeStatusPort}\n");
                children.Start($"mogstored node{devid}", Exe("mogstored"), [$"--config={file}"], Path.Combine(logs, $"mogstored-node{devid}.log"));
            }
            foreach (var ip in settings.Ips) await WaitForPortAsync(ip, settings.HttpPort, "mogstored", children, stop.Token);

            // 3. The tracker.
            var trackerConf = Path.Combine(conf, "mogilefsd.conf");
            File.WriteAllText(trackerConf,
                "# written by the local cluster command\n" +
                $"db_dsn = {dsn}\n" + (dbUser.Length > 0 ? $"db_user = {dbUser}\ndb_pass = {dbPass}\n" : "") +
                $"listen = {settings.Tracker}\nquery_jobs = 20\nmogstored_stream_port = {settings.MgmtPort}\n" +
                $"status_listen = {SplitHostPort(settings.Tracker).Item1}:{TrackerStatusPort}\n" +
                (GetEuid() == 0 ? "user = root\n" : ""));
            children.Start("mogilefsd", Exe("mogilefsd"), [$"--config={trackerConf}"], Path.Combine(logs, "mogilefsd.log"));
            var (tIp, tPort) = SplitHostPort(settings.Tracker);
            await WaitForPortAsync(tIp, tPort, "mogilefsd", children, stop.Token);

            // 4. Domain, class, hosts and devices (already there after a restart: fine).
            await RegisterAsync(settings, stop.Token);

            // 5. The S3 gateway in front of it all.
            GatewayLocal.Info? gateway = null;
            // moggateway runs on ASP.NET Core's shared framework, so it is built beside mogcluster (./cluster does)
            // rather than referenced by it: a reference would take the logging assemblies the other programs need
            // out of this folder. Without it the cluster runs without a gateway.
            if (settings.S3 != null && !File.Exists(Path.Combine(AppContext.BaseDirectory, "moggateway")))
                Console.Error.WriteLine("cluster: moggateway is not built beside mogcluster (./cluster builds it); starting without the S3 gateway");
            else if (settings.S3 != null)
            {
                gateway = GatewayLocal.WriteConfig(conf, settings.S3, settings.Tracker, dsn, dbUser, dbPass, localStorage, out var gatewayConf);
                children.Start("moggateway", Exe("moggateway"), [$"--config={gatewayConf}"], Path.Combine(logs, "moggateway.log"));
                var (gIp, gPort) = SplitHostPort(settings.S3);
                await WaitForPortAsync(gIp, gPort, "moggateway", children, stop.Token);
            }

            PrintBanner(settings, dsn, dbUser, dbPass, gateway is null ? null : GatewayLocal.Banner(gateway, AppContext.BaseDirectory));
            var exited = Task.WhenAny(children.Children.Select(c => c.Process.WaitForExitAsync()));
            var done = await Task.WhenAny(exited, Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }));
            if (done == exited && !stop.IsCancellationRequested)
            {
                var dead = children.Children.First(c => c.Process.HasExited);
                Console.Error.WriteLine($"cluster: {dead.Name} exited unexpectedly (code {dead.Process.ExitCode}); see {logs}");
                Console.WriteLine("stopping the cluster ...");
                await children.StopAllAsync(Console.Out);
                return 1;
            }
            Console.WriteLine("\nstopping the cluster ...");
            await children.StopAllAsync(Console.Out);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.WriteLine("\ninterrupted; stopping ...");
            await children.StopAllAsync(Console.Out);
            return 130;
        }
        catch (ClusterException e)
        {
            Console.Error.WriteLine($"cluster: {e.Message}");
            await children.StopAllAsync(Console.Out);
            return 1;
        }
        finally
        {
            if (pg != null) { Console.WriteLine("  stopping PostgreSQL"); await pg.StopAsync(); }
            if (my != null) { Console.WriteLine("  stopping MariaDB"); await my.StopAsync(); }
            PidFile.Remove(pidFile);
            Console.Out.Flush();
        }
    }

    private sealed class Settings
    {
        public required string Data { get; init; }
        public bool Postgres { get; init; }
        public bool MySql { get; init; }
        public int MyPort { get; init; }
        public int PgPort { get; init; }
        public required string Tracker { get; init; }
        public required string[] Ips { get; init; }
        public int HttpPort { get; init; }
        public int MgmtPort { get; init; }
        public string? S3 { get; init; }
    }

    internal sealed class ClusterException(string message) : Exception(message);

    private static string Exe(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, name);
        if (!File.Exists(path)) throw new ClusterException($"{path} is missing; build with ./cluster (or dotnet build src/mogcluster)");
        return path;
    }

    private static bool ProcessAlive(int pid)
    {
        try { return !Process.GetProcessById(pid).HasExited; } catch (ArgumentException) { return false; }
    }

    private static (string Host, int Port) SplitHostPort(string s)
    {
        int c = s.LastIndexOf(':');
        return c < 0 ? (s, 7001) : (s[..c], int.Parse(s[(c + 1)..]));
    }

    private static string RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "MogileFS.slnx"))) return dir.FullName;
        }
        return Environment.CurrentDirectory;
    }

    private static async Task RunToolAsync(string tool, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(Exe(tool)) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync(ct);
        var error = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
            throw new ClusterException($"{tool} failed (exit {p.ExitCode}): {(await error).Trim()} {(await output).Trim()}");
    }

    private static async Task WaitForPortAsync(string host, int port, string what, ChildProcesses children, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (children.Children.FirstOrDefault(c => c.Process.HasExited) is { Process: not null } dead)
                throw new ClusterException($"{dead.Name} exited at start-up (code {dead.Process.ExitCode}); see the data/logs folder");
            try
            {
                using var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await s.ConnectAsync(host, port, ct);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
            catch (SocketException e)
            {
                throw new ClusterException($"{what} did not start listening on {host}:{port}: {e.Message}");
            }
        }
    }

    private static async Task RegisterAsync(Settings s, CancellationToken ct)
    {
        using var admin = new MogileFSAdmin(new MogileFSClientOptions { Trackers = [s.Tracker], RequestTimeout = TimeSpan.FromSeconds(15) });
        async Task Ignore(Func<Task> action, params string[] codes)
        {
            try { await action(); }
            catch (MogileFSTrackerException e) when (codes.Contains(e.ErrorCode)) { }
        }
        try
        {
            await Ignore(() => admin.CreateDomainAsync("default", ct), "domain_exists");
            await Ignore(() => admin.CreateClassAsync("default", "default", 2, null, null, ct), "class_exists");
            for (int i = 0; i < s.Ips.Length; i++)
            {
                var host = $"node{i + 1}";
                var hs = new HostSettings { Ip = s.Ips[i], Port = s.HttpPort, Status = "alive" };
                try { await admin.CreateHostAsync(host, hs, ct); }
                catch (MogileFSTrackerException e) when (e.ErrorCode == "host_exists") { await admin.UpdateHostAsync(host, hs, ct); }
                await Ignore(() => admin.CreateDeviceAsync(host, i + 1, "alive", ct), "existing_devid");
            }
        }
        catch (MogileFSException e)
        {
            throw new ClusterException($"registering the domain, hosts and devices failed: {e.Message}");
        }
        // The tracker's monitor must see the devices before files can be stored.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var devs = await admin.GetDevicesAsync(null, ct);
                if (devs.Count >= s.Ips.Length && devs.All(d => d.ObservedState == "writeable")) return;
            }
            catch (MogileFSException) { }
            await Task.Delay(250, ct);
        }
        Console.Error.WriteLine("cluster: warning: the tracker has not yet reported every device writeable; uploads may fail with no_devices until it does (see logs/mogilefsd.log)");
    }

    // Status ports (metrics, health, dashboard; docs/metrics.md): on in the local cluster.
    private const int TrackerStatusPort = 7080, NodeStatusPort = 7580;

    private static void PrintBanner(Settings s, string dsn, string dbUser, string dbPass, string? more = null)
    {
        var bin = AppContext.BaseDirectory.TrimEnd('/');
        var rel = Path.GetRelativePath(Environment.CurrentDirectory, bin);
        if (!rel.StartsWith('.') && !rel.StartsWith('/')) rel = "./" + rel;
        var t = s.Tracker;
        Console.WriteLine($"""

            MogileFS local cluster is up.
              data      {s.Data}   ({(s.Postgres ? "PostgreSQL" : s.MySql ? "MySQL" : "SQLite")}: {dsn})
              tracker   {t}
              status    http://{SplitHostPort(t).Item1}:{TrackerStatusPort}/metrics  (also /healthz, /readyz; storage nodes on port {NodeStatusPort})
              dashboard http://{SplitHostPort(t).Item1}:{TrackerStatusPort}/dashboard  (read-only; docs/dashboard.md)
            {string.Join("\n", s.Ips.Select((ip, i) => $"  storage   {ip}:{s.HttpPort}   host node{i + 1}, device dev{i + 1}"))}
              domain    default (class default)
              logs      {Path.Combine(s.Data, "logs")}

            {(dbUser.Length > 0 ? $"  database  user {dbUser}, password {dbPass}: mogstats --db_dsn='{dsn}' --db_user={dbUser} --db_pass={dbPass}\n" : "")}
            Try it from another terminal:
              export PATH="{bin}:$PATH"
              mogupload --trackers={t} --domain=default --key=hello --file=README.md
              mogfetch --trackers={t} --domain=default --key=hello --file=/tmp/hello.txt
              mogfileinfo --trackers={t} --domain=default --key=hello
              moglistkeys --trackers={t} --domain=default --key_prefix=h
              mogadm --trackers={t} check
            {more}
            Press Ctrl-C to stop everything.
            """);
    }
}
