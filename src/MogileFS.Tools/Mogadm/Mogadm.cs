using System.Net.Sockets;
using MogileFS.Client;
using MogileFS.Hosting;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Mogadm;

/// <summary>What a mogadm command handler gets: its parsed arguments and a way to reach the trackers.</summary>
internal sealed class MogadmContext
{
    public required string TopCommand { get; init; }
    public required string Verb { get; init; }
    public required Dictionary<string, string> Args { get; init; }
    public required List<string> Trackers { get; init; }
    public required bool Verbose { get; init; }
    public required TimeSpan Timeout { get; init; }
    public required CancellationToken Cancel { get; init; }
    public TextWriter Out => Console.Out;

    public string? Arg(string name) => Args.TryGetValue(name, out var v) ? v : null;

    public MogileFSAdmin Admin(string? tracker = null) => new(new MogileFSClientOptions
    {
        Trackers = tracker != null ? [tracker] : Trackers,
        RequestTimeout = Timeout,
    });

    /// <summary>Success: prints <paramref name="message"/> only with --verbose (as mogadm does).</summary>
    public int Ok(string? message = null)
    {
        if (Verbose && !string.IsNullOrEmpty(message)) Out.Write(message + "\n");
        return 0;
    }

    public static ToolException Fail(string message) => new(message);

    public UsageException HelpDie(string? message = null) =>
        new(MogadmUsage.TopicHelp(TopCommand, Verb, message));
}

/// <summary>mogadm: the operator tool. Same command groups, verbs, options and output as MogileFS-Utils 2.30.</summary>
public static class MogadmProgram
{
    internal static readonly Dictionary<string, string> Texts = new()
    {
        ["no_mogadm"] = "Unable to access MogileFS tracker and/or instantiate a MogileFS::Admin object.\n",
        ["no_domains"] = "Unable to retrieve domains from tracker(s).\n",
        ["no_devices"] = "No devices found on tracker(s).\n",
        ["host_add_no_ip"] = "Hostname does not resolve to an IP, and you didn't specify one on the options\n" +
            "list.  Please either verify the host resolves, or try again:\n\n    mogadm host add <hostname> --ip=<ipaddr> [...]\n",
        ["no_hosts"] = "Unable to retrieve host information from tracker(s).\n",
        ["no_trackers"] = "In order to use the mogadm toolkit, you need to provide the information about\n" +
            "where your trackers are.\n\nIn your configuration file:\n\n    trackers = 10.10.0.33:7001, 10.10.0.34:7001\n\n" +
            "Or on the command line\n\n    mogadm --trackers=10.10.0.33:7001,10.10.0.34:7001\n",
    };

    /// <summary>A failure with one of mogadm's canned texts, plus the underlying reason when there is one.</summary>
    internal static ToolException FailText(string name, Exception? cause = null)
    {
        var text = Texts.GetValueOrDefault(name, $"UNDEFINED [{name}]\n");
        if (cause != null) text += $"({cause.Message})\n";
        return new ToolException(text.TrimEnd('\n') + "\n");
    }

    public static Task<int> RunAsync(string[] argv) => ToolHost.RunAsync("mogadm", async ct =>
    {
        var global = new GetoptLong(GetoptConfig.Tools with { RequireOrder = true, PassThrough = true },
            "trackers=s", "config=s", "lib=s", "help", "verbose").Parse(argv);
        if (global.Error != null) throw new UsageException(MogadmUsage.TopUsage());
        var explicitConf = global.Last("config");
        var opts = ConfigFiles.Read(ConfigFiles.DefaultFiles(explicitConf, includeEnv: false), explicitConf);
        foreach (var (k, v) in global.LastValues) opts[k] = v;
        if (opts.ContainsKey("help")) throw new UsageException(MogadmUsage.TopUsage() + MogadmUsage.GlobalOptions, 0);

        var rest = new Queue<string>(global.Arguments);
        if (!rest.TryDequeue(out var top) || !MogadmUsage.TopCommands.Contains(top))
            throw new UsageException(MogadmUsage.TopUsage());

        var trackers = opts.TryGetValue("trackers", out var t) && t.Trim().Length > 0 ? ToolHost.SplitTrackers(t) : [];
        if (trackers.Count == 0)
        {
            if (await LocalTrackerAnswersAsync()) trackers.Add("127.0.0.1:7001");
            else throw FailText("no_trackers");
        }
        var timeout = TimeSpan.FromSeconds(opts.TryGetValue("timeout", out var to) && int.TryParse(to, out var secs) && secs > 0 ? secs : 15);
        bool verbose = opts.ContainsKey("verbose") && opts["verbose"] is not ("" or "0");

        MogadmContext Context(string verb, Dictionary<string, string> a) => new()
        {
            TopCommand = top, Verb = verb, Args = a, Trackers = trackers, Verbose = verbose, Timeout = timeout, Cancel = ct,
        };

        if (top is "check" or "stats")
        {
            if (rest.Count > 0) throw new ToolException($"Unknown options/arguments to '{top}' command.");
            if (top == "stats") throw new ToolException("mogadm stats is deprecated by new 'mogstats' utility");
            return await CheckCommand.RunAsync(Context("", []));
        }

        var subs = MogadmUsage.SubCommands[top];
        if (!rest.TryDequeue(out var verb) || !subs.TryGetValue(verb, out var info))
            throw new UsageException(MogadmUsage.TopicHelp(top, null, null));
        UsageException BadArgs(string msg) => new(MogadmUsage.TopicHelp(top, verb, msg));

        var cmdArgs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (info.Args != null)
        {
            foreach (var spec in info.Args.Split(' '))
            {
                if (spec == "[opts]") continue;
                var name = spec.Trim('<', '>');
                if (!rest.TryDequeue(out var val)) throw BadArgs($"Missing argument '{name}'");
                if (name == "devid" && val.StartsWith("dev", StringComparison.Ordinal) && val.Length > 3 && val[3..].All(char.IsAsciiDigit))
                    val = val[3..];
                if (val.StartsWith('-')) throw BadArgs($"Unexpected option.  Expected argument '{name}'");
                cmdArgs[name] = val;
            }
            if (rest.Count > 0 && !rest.Peek().StartsWith('-')) throw BadArgs("Unexpected extra argument.");
        }
        else if (rest.Count > 0)
        {
            throw BadArgs("Unexpected arguments when expecting none.");
        }

        if (info.Opts is { } optSpecs)
        {
            var specs = optSpecs.Where(o => o.Name.StartsWith("--", StringComparison.Ordinal))
                .Select(o => o.Name[2..]).ToList();
            var parsed = new GetoptLong(GetoptConfig.Tools, specs).Parse(rest.ToList());
            if (parsed.Error != null)
            {
                Console.Error.WriteLine(parsed.Error);
                throw new UsageException(MogadmUsage.TopicHelp(top, verb, null));
            }
            foreach (var (k, v) in parsed.LastValues) cmdArgs[k] = v;
        }

        var ctx = Context(verb, cmdArgs);
        return top switch
        {
            "host" => await HostCommands.RunAsync(ctx),
            "device" => await DeviceCommands.RunAsync(ctx),
            "domain" or "class" => await DomainClassCommands.RunAsync(ctx),
            "slave" => await SlaveCommands.RunAsync(ctx),
            "fsck" => await FsckCommands.RunAsync(ctx),
            "rebalance" => await RebalanceCommands.RunAsync(ctx),
            "settings" => await SettingsCommands.RunAsync(ctx),
            _ => throw new UsageException(MogadmUsage.TopUsage()),
        };
    });

    private static async Task<bool> LocalTrackerAnswersAsync()
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await s.ConnectAsync("127.0.0.1", 7001, cts.Token);
            return true;
        }
        catch (Exception) { return false; }
    }

    /// <summary>Sorts numeric ids as strings, the way mogadm's <c>sort keys</c> does in list output.</summary>
    internal static IEnumerable<T> PerlStringSort<T>(IEnumerable<T> items, Func<T, long> id) =>
        items.OrderBy(i => id(i).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);
}
