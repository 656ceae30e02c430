using System.Globalization;
using System.Net;

namespace MogileFS.LoadTool;

/// <summary>A storage node to register during --prepare: name, address, HTTP port, device ids.</summary>
internal sealed record NodeArg(string Name, string Ip, int Port, int[] Devices)
{
    /// <summary>Parses <c>h1=127.0.2.1:7500:1,2</c>.</summary>
    public static NodeArg Parse(string text)
    {
        var eq = text.Split('=', 2);
        var parts = eq[1].Split(':');
        if (eq.Length != 2 || parts.Length != 3) throw new FormatException("--node wants NAME=IP:PORT:DEV,DEV,... : " + text);
        return new NodeArg(eq[0], parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture),
            parts[2].Split(',').Select(d => int.Parse(d, CultureInfo.InvariantCulture)).ToArray());
    }
}

internal sealed class LoadSettings
{
    public IPEndPoint Tracker { get; set; } = new(IPAddress.Loopback, 7001);
    public string Domain { get; set; } = "loadtest";
    public string Class { get; set; } = "one";
    public int Files { get; set; } = 2000;
    public bool Prepare { get; set; }
    public List<NodeArg> Nodes { get; } = new();
    public double DurationSeconds { get; set; } = 5;
    public double WarmupSeconds { get; set; } = 1;
    public int[] Concurrency { get; set; } = [1, 8, 64];
    public string[] Commands { get; set; } = Workloads.Default;
    public string RunId { get; } = DateTime.UtcNow.ToString("HHmmssfff", CultureInfo.InvariantCulture);
    public string? CsvPath { get; set; }

    public string Key(int i) => "load/" + i.ToString("D6", CultureInfo.InvariantCulture);

    public static LoadSettings Parse(string[] args)
    {
        var s = new LoadSettings();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException(a + " needs a value");
            switch (a)
            {
                case "--tracker": s.Tracker = IPEndPoint.Parse(Value()); break;
                case "--domain": s.Domain = Value(); break;
                case "--class": s.Class = Value(); break;
                case "--files": s.Files = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--prepare": s.Prepare = true; break;
                case "--node": s.Nodes.Add(NodeArg.Parse(Value())); break;
                case "--duration": s.DurationSeconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--warmup": s.WarmupSeconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--concurrency": s.Concurrency = Value().Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--commands": s.Commands = Value().Split(','); break;
                case "--csv": s.CsvPath = Value(); break;
                case "-h" or "--help":
                    throw new ArgumentException("");
                default: throw new ArgumentException("unknown option " + a);
            }
        }
        foreach (var c in s.Commands)
            if (!Workloads.All.Contains(c)) throw new ArgumentException($"unknown command {c} (known: {string.Join(",", Workloads.All)})");
        return s;
    }

    public const string Usage = """
        mogload: load generator for the MogileFS tracker protocol (one request in flight per connection).

          --tracker IP:PORT        tracker to load (default 127.0.0.1:7001)
          --prepare                set up first: domain, class (mindevcount 1), the --node hosts/devices,
                                   wait until the devices are writeable, then store --files files through
                                   create_open / HTTP PUT / create_close
          --node NAME=IP:PORT:D,D  a storage node for --prepare (repeatable)
          --domain NAME            domain (default loadtest)   --class NAME  class (default one)
          --files N                files to prepare / keys to draw from (default 2000)
          --commands a,b           noop,get_paths,create_open,file_info,list_keys,store (default all but store; store =
                                   create_open + PUT 1 KB + create_close)
          --concurrency 1,8,64     connections per run (default 1,8,64)
          --duration S             measured seconds per run (default 5)   --warmup S  (default 1)
          --csv FILE               also write the results as CSV
        """;
}
