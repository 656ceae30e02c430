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
        if (config.ContainsKey("help")) throw new UsageException(usageText);
        // "default" means the default class, which the protocol spells as no class at all.
        if (config.TryGetValue("class", out var cls) && cls == "default") config["class"] = "";
        return new UtilsOptions(config);
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
