using MogileFS.Client;
using MogileFS.Hosting;

namespace MogileFS.Tools.Common;

/// <summary>
/// Option handling shared by mogupload, mogfetch, mogdelete, mogfileinfo, moglistkeys,
/// moglistfids, mogrename and mogfiledebug (MogileFS::Utils in the originals): the tool's own
/// options plus <c>--trackers --domain --conf --help</c>, then the configuration files, whose
/// keys fill in anything not given on the command line.
/// </summary>
public sealed class UtilsOptions
{
    private readonly Dictionary<string, string> _values;

    private UtilsOptions(Dictionary<string, string> values) => _values = values;

    public string? this[string key] => _values.TryGetValue(key, out var v) && v.Length > 0 ? v : null;

    public static UtilsOptions Parse(string tool, string[] args, string usage, params string[] specs)
    {
        string usageText = $"Usage: {tool} {usage}\n";
        if (args.Length == 0) throw new UsageException(usageText);
        var getopt = new GetoptLong(GetoptConfig.Tools, specs.Concat(["help", "trackers=s", "domain=s", "conf=s", "config=s"]));
        var r = getopt.Parse(args);
        if (r.Error != null) throw new UsageException($"{r.Error}\n{usageText}");
        if (r.Arguments.Count > 0) throw new UsageException($"Unexpected argument: {r.Arguments[0]}\n{usageText}");
        var explicitConf = r.Last("conf") ?? r.Last("config");
        var config = ConfigFiles.Read(ConfigFiles.DefaultFiles(explicitConf, includeEnv: true), explicitConf);
        foreach (var (k, v) in r.LastValues) config[k] = v;
        if (config.ContainsKey("help")) throw new UsageException(HelpText(tool, usage, specs), 0);
        // "default" means the default class, which the protocol spells as no class at all.
        if (config.TryGetValue("class", out var cls) && cls == "default") config["class"] = "";
        return new UtilsOptions(config);
    }

    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.Ordinal)
    {
        ["trackers"] = "tracker addresses, comma-separated (default 127.0.0.1:7001)",
        ["domain"] = "domain of the key",
        ["conf"] = "configuration file instead of ~/.mogilefs.conf (also --config)",
        ["config"] = "same as --conf",
        ["help"] = "this text",
        ["version"] = "print the version and exit",
        ["class"] = "storage class (default: the domain's default class)",
        ["key"] = "the file's key",
        ["file"] = "local file ('-' for standard input/output)",
        ["checksum"] = "checksum the upload: MD5 or SHA-1 (stored and verified by the tracker)",
        ["checksumverify"] = "have the tracker verify the checksum against the stored copy",
        ["old_key"] = "current key",
        ["new_key"] = "new key",
        ["key_prefix"] = "list only keys starting with this",
        ["fromfid"] = "first fid to list (default 0)",
        ["count"] = "how many fids to list (default 100)",
        ["fid"] = "look up by file id instead of key",
        ["paths"] = "check these URLs instead of asking the tracker (comma-separated)",
    };

    /// <summary>The full <c>--help</c> text: usage line and every option the tool accepts.</summary>
    public static string HelpText(string tool, string usage, IEnumerable<string> specs)
    {
        var sb = new System.Text.StringBuilder($"Usage: {tool} {usage}\n\nOptions:\n");
        foreach (var spec in specs.Concat(["trackers=s", "domain=s", "conf=s", "config=s", "help", "version"]))
        {
            int eq = spec.IndexOfAny(['=', ':']);
            var name = eq < 0 ? spec : spec[..eq];
            var arg = eq < 0 ? "" : spec[(eq + 1)..] == "i" ? "=N" : "=" + name.ToUpperInvariant();
            sb.Append($"  --{name + arg,-26} {Descriptions.GetValueOrDefault(name, "")}\n");
        }
        sb.Append("Options not given are read from ~/.mogilefs.conf and /etc/mogilefs/mogilefs.conf (docs/tools.md).\n");
        return sb.ToString();
    }

    public List<string> Trackers =>
        this["trackers"] is { } t ? ToolHost.SplitTrackers(t) : ["127.0.0.1:7001"];

    public MogileFSClientOptions ClientOptions(bool needDomain = true)
    {
        var domain = this["domain"];
        if (needDomain && domain is null)
            throw new ToolException("No domain given: use --domain=<domain> or put 'domain = <domain>' in ~/.mogilefs.conf");
        return new MogileFSClientOptions { Trackers = Trackers, Domain = domain };
    }

    public MogileFSClient Client() => new(ClientOptions());
}
