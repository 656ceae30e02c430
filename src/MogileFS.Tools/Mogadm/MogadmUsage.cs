namespace MogileFS.Tools.Mogadm;

/// <summary>One mogadm verb: positional arguments and options (<c>--name=s</c>, <c>--name=i</c>, <c>--flag</c>).</summary>
internal sealed record Verb(string Description, string? Args = null, (string Name, string Help)[]? Opts = null);

/// <summary>
/// mogadm's command table, with the same command groups, verbs, argument names, option names and
/// help texts as MogileFS-Utils 2.30 (operators' muscle memory and scripts depend on them).
/// </summary>
internal static class MogadmUsage
{
    public static readonly string[] TopCommands = ["check", "stats", "host", "device", "domain", "class", "slave", "fsck", "rebalance", "settings"];

    public static readonly Dictionary<string, string> TopDescriptions = new()
    {
        ["check"] = "Check the state of the MogileFS world.",
        ["stats"] = "Show MogileFS system statistics.  (DEPRECATED: use mogstats instead)",
        ["settings"] = "Change/list server settings.",
        ["host"] = "Add/modify hosts.",
        ["device"] = "Add/modify devices.",
        ["domain"] = "Add/modify domains (namespaces)",
        ["class"] = "Add/modify file classes.",
        ["slave"] = "Manipulate slave database information in a running mogilefsd.",
        ["rebalance"] = "Control file rebalancing operations.",
        ["fsck"] = "Control a background filesystem check operation.",
    };

    private static readonly (string, string)[] HostOpts =
    [
        ("--ip=s", "IP address of machine."),
        ("--port=i", "HTTP port of mogstored"),
        ("--getport=i", "Alternate HTTP port serving readonly traffic"),
        ("--altip=s", "Alternate IP that is machine is reachable from"),
        ("--altmask=s", "Netmask which, when matches client, uses alt IP"),
    ];

    private static readonly (string, string)[] ClassOpts =
    [
        ("<domain>", "Domain to add class to."),
        ("<class>", "Name of class to add."),
        ("--mindevcount=i", "Minimum number of replicas."),
        ("--replpolicy=s", "Replication policy string."),
        ("--hashtype=s", "Hash algorithm string ('MD5', 'NONE')."),
    ];

    private static readonly (string, string)[] SlaveOpts =
    [
        ("--dsn=s", "DBI DSN specifying what database to connect to."),
        ("--username=s", "DBI username for connecting."),
        ("--password=s", "DBI password for connecting."),
    ];

    public static readonly Dictionary<string, SortedDictionary<string, Verb>> SubCommands = new()
    {
        ["settings"] = new(StringComparer.Ordinal)
        {
            ["list"] = new("List all server settings"),
            ["set"] = new("Set server setting 'key' to 'value'.", "<key> <value>"),
        },
        ["host"] = new(StringComparer.Ordinal)
        {
            ["list"] = new("List all hosts."),
            ["add"] = new("Add a host to MogileFS.", "<hostname> [opts]",
                [("<hostname>", "Hostname of machine"), ("--status=s", "One of {alive,down,readonly}.  Default 'down'."), .. HostOpts]),
            ["modify"] = new("Modify a host's properties.", "<hostname> [opts]",
                [("<hostname>", "Host name."), ("--status=s", "One of {alive,down,readonly}."), .. HostOpts]),
            ["mark"] = new("Change the status of a host.  (equivalent to 'modify --status')", "<hostname> <status>",
                [("<hostname>", "Host name to bring up or down."), ("<status>", "One of {alive,down,readonly}.")]),
            ["delete"] = new("Delete a host.", "<hostname>", [("<hostname>", "Host name to delete.")]),
        },
        ["device"] = new(StringComparer.Ordinal)
        {
            ["list"] = new("List all devices, for each host.", "[opts]",
                [("--all", "Include dead devices in list."), ("--hostname=s", "Limit results to a given host.")]),
            ["summary"] = new("List the summary of devices, for each host.", "[opts]",
                [("--status=s", "Devices of status A. Defaults to 'alive,readonly,drain'"), ("--hostname=s", "Limit results to a given host.")]),
            ["add"] = new("Add a device to a host.", "<hostname> <devid> [opts]",
                [("<hostname>", "Hostname to add a device"), ("<devid>", "Numeric devid.  Never reuse these."),
                 ("--status=s", "One of 'alive' or 'down'.  Defaults to 'alive'.")]),
            ["mark"] = new("Mark a device as {alive,dead,down,drain,readonly}", "<hostname> <devid> <status>",
                [("<hostname>", "Hostname of device"), ("<devid>", "Numeric devid to modify."), ("<status>", "One of {alive,dead,down,drain,readonly}")]),
            ["modify"] = new("Modify a device's properties.", "<hostname> <devid> [opts]",
                [("<hostname>", "Hostname of device"), ("<devid>", "Numeric devid to modify."),
                 ("--status=s", "One of {alive,dead,down,drain,readonly}"), ("--weight=i", "Positive numeric weight for device")]),
            ["next"] = new("Show the next available devid."),
        },
        ["domain"] = new(StringComparer.Ordinal)
        {
            ["list"] = new("List all hosts."),
            ["add"] = new("Add a domain (namespace)", "<domain>", [("<domain>", "Domain (namespace) to add.")]),
            ["delete"] = new("Delete a domain.", "<domain>", [("<domain>", "Domain (namespace) to add.")]),
        },
        ["class"] = new(StringComparer.Ordinal)
        {
            ["list"] = new("List all classes, for each domain."),
            ["add"] = new("Add a file class to a domain.", "<domain> <class> [opts]", ClassOpts),
            ["modify"] = new("Modify properties of a file class.", "<domain> <class> [opts]", ClassOpts),
            ["delete"] = new("Delete a file class from a domain.", "<domain> <class>",
                [("<domain>", "Domain of class to delete."), ("<class>", "Class to delete.")]),
        },
        ["slave"] = new(StringComparer.Ordinal)
        {
            ["list"] = new("List current store slave nodes."),
            ["add"] = new("Add a slave node for store usage", "<slave_key> [opts]", SlaveOpts),
            ["modify"] = new("Modify a slave node for store usage", "<slave_key> [opts]", SlaveOpts),
            ["delete"] = new("Delete a slave node for store usage", "<slave_key>"),
        },
        ["rebalance"] = new(StringComparer.Ordinal)
        {
            ["start"] = new("Start a rebalance job"),
            ["stop"] = new("Stop a rebalance job"),
            ["status"] = new("Show status of current rebalance job"),
            ["settings"] = new("Display rebalance settings"),
            ["test"] = new("Show what devices the current policy would match"),
            ["reset"] = new("Reset an existing policy"),
            ["policy"] = new("Add or adjust the current policy", "[opts]", [("--options=s", "Policy string (see docs/fsck-rebalance.md)")]),
        },
        ["fsck"] = new(StringComparer.Ordinal)
        {
            ["start"] = new("Start (or resume) background fsck"),
            ["stop"] = new("Stop (pause) background fsck"),
            ["status"] = new("Show fsck status"),
            ["reset"] = new("Reset fsck position back to the beginning", "[opts]",
                [("--policy-only", "Check repl policy (assumed locations); don't stat storage nodes"), ("--startpos=i", "FID to start at.")]),
            ["clearlog"] = new("Clear the fsck log"),
            ["printlog"] = new("Display the fsck log"),
            ["taillog"] = new("Tail the fsck log"),
        },
    };

    /// <summary>The options before the command, listed by <c>--help</c>.</summary>
    public const string GlobalOptions = """
        Options (before the command):
          --trackers=HOST:PORT,...  trackers to ask (or 'trackers = ...' in ~/.mogilefs.conf)
          --config=FILE             configuration file instead of ~/.mogilefs.conf
          --verbose                 say what was done
          --lib=DIR                 accepted for 2.73 compatibility (no effect)
          --help                    this text
          --version                 print the version and exit
        Documentation: docs/tools.md.

        """;

    /// <summary>The top-level usage (no or unknown command).</summary>
    public static string TopUsage()
    {
        var sb = new System.Text.StringBuilder("Usage:  (enter any command prefix, leaving off options, for further help)\n\n");
        foreach (var cmd in TopCommands)
        {
            if (!SubCommands.TryGetValue(cmd, out var subs))
            {
                sb.Append($"  mogadm {cmd,-25} {TopDescriptions[cmd]}\n");
                continue;
            }
            sb.Append($"  mogadm {cmd} ...\n");
            foreach (var (v, verb) in subs)
            {
                var dotdot = verb.Args != null ? "..." : "";
                sb.Append("       ").Append($"  {$"{cmd} {v} {dotdot}",-25} {verb.Description}\n");
            }
        }
        return sb.Append('\n').ToString();
    }

    /// <summary>Help for a command group, or for one verb with its options.</summary>
    public static string TopicHelp(string cmd, string? verb, string? message)
    {
        var sb = new System.Text.StringBuilder();
        if (message != null) sb.Append($"\nERROR: {message}\n\n");
        sb.Append($"Help for '{cmd}{(verb != null ? "-" + verb : "")}' command:\n");
        if (verb == null) sb.Append(" (enter any command prefix, leaving off options, for further help)\n");
        sb.Append('\n');
        var subs = SubCommands.GetValueOrDefault(cmd) ?? new SortedDictionary<string, Verb>();
        foreach (var (v, info) in subs)
        {
            if (verb != null && verb != v) continue;
            sb.Append($"  {$"mogadm {cmd} {v} {info.Args ?? ""}",-50} {info.Description}\n");
        }
        sb.Append('\n');
        if (verb != null && subs.TryGetValue(verb, out var vi))
        {
            var opts = (vi.Opts ?? []).ToList();
            opts.Sort((a, b) =>
            {
                int c = b.Name[0].CompareTo(a.Name[0]);
                return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
            });
            foreach (var (name, help) in opts) sb.Append($"      {name,-20} {help}\n");
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
