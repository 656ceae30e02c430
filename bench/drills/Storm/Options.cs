using System.Globalization;
using MogileFS.Client;

namespace MogileFS.Drills.Storm;

public sealed class Options
{
    public List<string> Trackers { get; } = [];
    public string Domain { get; set; } = "default";
    public string? Class { get; set; }
    public int Clients { get; set; } = 8;
    public int Size { get; set; } = 1024;
    public double Duration { get; set; } = 30;
    public string Out { get; set; } = "storm-out";
    public string? StopFile { get; set; }
    public string? Prefix { get; set; }
    public int Readers { get; set; }
    public int MinCopies { get; set; }
    public double MinCopiesTimeout { get; set; } = 10;
    public double ConnectTimeout { get; set; } = 1;
    public double RequestTimeout { get; set; } = 10;
    public double DeadRetry { get; set; } = 5;
    public int ErrorPauseMs { get; set; } = 50;
    public long MergeGapMs { get; set; } = 1000;
    public double ProgressSeconds { get; set; } = 5;
    public List<string> Acked { get; } = [];
    public bool CheckCount { get; set; }
    public List<string> ExcludeHosts { get; } = [];
    public double Wait { get; set; }
    public long SinceMs { get; set; }
    public int Parallel { get; set; } = 8;
    public bool Verbose { get; set; }
    public string Label { get; set; } = "storm";

    public MogileFSClientOptions ClientOptions() => new()
    {
        Trackers = Trackers.ToList(),
        Domain = Domain,
        ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeout),
        RequestTimeout = TimeSpan.FromSeconds(RequestTimeout),
        DeadTrackerRetryInterval = TimeSpan.FromSeconds(DeadRetry),
    };

    public const string Usage = """
        mogstorm — store storm and checks for the failure drills (bench/drills)

          mogstorm [storm] --trackers=H:P[,H:P...] [options]   N clients store small files until stopped
          mogstorm verify  --trackers=H:P[,...] --out=DIR [--acked=FILE,...] [--check-count [--wait=S]]
          mogstorm report  --out=DIR [--label=NAME] [--since-ms=UNIX_MS]   error windows of DIR/acked.tsv +
                           DIR/errors.tsv; with --since-ms also the gap in acknowledged stores around that moment

        storm:
          --domain=D (default)  --class=C (domain default)  --clients=8  --size=1024 (bytes)
          --duration=30 (seconds; 0 = until SIGTERM/SIGINT or the stop file)  --stop-file=PATH
          --out=DIR (storm-out): acked.tsv, errors.tsv, read-errors.tsv, summary.env, storm.pid
          --prefix=P (keys are P/<client>/<n>; default storm-<time>-<pid>)
          --readers=0 (clients that fetch random acknowledged keys throughout and log failed reads)
          --min-copies=N (a store counts as acknowledged once the tracker records N copies; default:
                          at create_close, when MogileFS has written one copy)
          --min-copies-timeout=10 (seconds; then the store counts as failed with not_replicated)
          --connect-timeout=1 --request-timeout=10 --dead-retry=5 (client library options, seconds)
          --error-pause-ms=50 (a client waits this long after a failed store)
          --merge-gap-ms=1000 (errors closer than this form one error window)
        verify:
          every acknowledged key is known to the tracker with its length and fetches with its bytes.
          --check-count: count copies on usable devices against the class's mindevcount
          --exclude-hosts=NAME,... (copies on these hosts do not count)  --wait=S (poll until all have their count)
          --since-ms=UNIX_MS (report the recovery time from this moment)  --parallel=8
        Event files are tab-separated, times in Unix ms: acked.tsv end,start,client,key,size,fid;
        errors.tsv end,start,client,key,code,message. Content of a key: "key\n" repeated, cut to size.
        """;

    public static (string Mode, Options Options) Parse(string[] args)
    {
        var o = new Options();
        string mode = "storm";
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                if (i == 0 && a is "storm" or "verify" or "report") { mode = a; continue; }
                throw new ArgumentException($"unexpected argument '{a}'");
            }
            var parts = a[2..].Split('=', 2);
            string name = parts[0];
            bool isFlag = name is "check-count" or "verbose" or "help";
            string v = parts.Length > 1 ? parts[1] : isFlag ? "1" : (++i < args.Length ? args[i] : throw new ArgumentException($"--{name} needs a value"));
            switch (name)
            {
                case "help": mode = "help"; break;
                case "trackers": o.Trackers.AddRange(v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                case "domain": o.Domain = v; break;
                case "class": o.Class = v.Length == 0 ? null : v; break;
                case "clients": o.Clients = Int(name, v); break;
                case "size": o.Size = Int(name, v); break;
                case "duration": o.Duration = Dbl(name, v); break;
                case "out": o.Out = v; break;
                case "stop-file": o.StopFile = v; break;
                case "prefix": o.Prefix = v; break;
                case "readers": o.Readers = Int(name, v); break;
                case "min-copies": o.MinCopies = Int(name, v); break;
                case "min-copies-timeout": o.MinCopiesTimeout = Dbl(name, v); break;
                case "connect-timeout": o.ConnectTimeout = Dbl(name, v); break;
                case "request-timeout": o.RequestTimeout = Dbl(name, v); break;
                case "dead-retry": o.DeadRetry = Dbl(name, v); break;
                case "error-pause-ms": o.ErrorPauseMs = Int(name, v); break;
                case "merge-gap-ms": o.MergeGapMs = Int(name, v); break;
                case "progress": o.ProgressSeconds = Dbl(name, v); break;
                case "acked": o.Acked.AddRange(v.Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                case "check-count": o.CheckCount = v != "0"; break;
                case "exclude-hosts": o.ExcludeHosts.AddRange(v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                case "wait": o.Wait = Dbl(name, v); break;
                case "since-ms": o.SinceMs = long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long ms) ? ms : throw new ArgumentException($"--since-ms: '{v}' is not a time in Unix milliseconds"); break;
                case "parallel": o.Parallel = Int(name, v); break;
                case "verbose": o.Verbose = v != "0"; break;
                case "label": o.Label = v; break;
                default: throw new ArgumentException($"unknown option --{name} (see --help)");
            }
        }
        if (mode is "storm" or "verify" && o.Trackers.Count == 0) throw new ArgumentException("--trackers is required");
        if (o.Clients < 1 || o.Size < 1 || o.Parallel < 1 || o.Readers < 0) throw new ArgumentException("--clients, --size and --parallel must be at least 1");
        return (mode, o);
    }

    private static int Int(string name, string v) => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 0
        ? n : throw new ArgumentException($"--{name}: '{v}' is not a whole number");
    private static double Dbl(string name, string v) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d >= 0
        ? d : throw new ArgumentException($"--{name}: '{v}' is not a number of seconds");
}
