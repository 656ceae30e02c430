using System.Collections.Frozen;

namespace MogileFS.Tracker.Commands;

/// <summary>A query command handler. Write the reply into <see cref="CommandContext.Reply"/> or throw
/// <see cref="MogileFS.Core.Protocol.CommandException"/>; return without touching the reply for <c>OK </c>.</summary>
public delegate ValueTask CommandHandler(CommandContext ctx);

[Flags]
public enum CommandFlags
{
    None = 0,

    /// <summary>Changes domains, classes, hosts, devices or settings: after the handler succeeds the
    /// framework reloads this tracker's metadata cache BEFORE the reply is written, so every later
    /// request on any connection sees the change (10.Q1 not copied).</summary>
    ChangesMetadata = 1,

    /// <summary>Does not touch the database (noop, sleep, test): served even while the DB is down.</summary>
    NoDatabase = 2,

    /// <summary>Changes hosts, devices, domains or classes: after it succeeds the reply waits until the
    /// monitor has completed a round that started after the change (2.73 ends these commands with
    /// <c>cmd_clear_cache</c>), so a device added or marked is probed when the client hears back and
    /// the next create_open can use it. Implies <see cref="ChangesMetadata"/>.</summary>
    WaitsForMonitor = 4 | ChangesMetadata,
}

/// <summary>One registered command.</summary>
public sealed record CommandEntry(string Name, CommandHandler Handler, CommandFlags Flags);

/// <summary>
/// Command name (lower case) → handler. Each family registers itself from a static
/// <c>Register(CommandTable)</c> (see <see cref="TrackerCommands"/>); the table is frozen before the
/// server starts. Lookup takes the lower-cased name as chars, so dispatch allocates nothing.
/// </summary>
public sealed class CommandTable
{
    private readonly Dictionary<string, CommandEntry> _entries = new(StringComparer.Ordinal);
    private readonly List<Func<Runtime.TrackerRuntime, CancellationToken, Task>> _startHooks = new();
    private FrozenDictionary<string, CommandEntry>? _frozen;
    private FrozenDictionary<string, CommandEntry>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Registers <paramref name="name"/> (lower case, [a-z0-9_]). Registering a name twice replaces it.</summary>
    public void Add(string name, CommandHandler handler, CommandFlags flags = CommandFlags.None)
    {
        if (_frozen != null) throw new InvalidOperationException("command table is frozen");
        if (name.Length == 0 || name != name.ToLowerInvariant()) throw new ArgumentException("command names are lower case", nameof(name));
        _entries[name] = new CommandEntry(name, handler, flags);
    }

    /// <summary>Work a family needs once per tracker before it listens (e.g. read the highest fid).
    /// Runs after the store is open and the metadata cache is loaded.</summary>
    public void OnStart(Func<Runtime.TrackerRuntime, CancellationToken, Task> hook)
    {
        if (_frozen != null) throw new InvalidOperationException("command table is frozen");
        _startHooks.Add(hook);
    }

    public IReadOnlyList<Func<Runtime.TrackerRuntime, CancellationToken, Task>> StartHooks => _startHooks;

    public IEnumerable<CommandEntry> Entries => (IEnumerable<CommandEntry>?)_frozen?.Values ?? _entries.Values;

    public void Freeze()
    {
        if (_frozen != null) return;
        _frozen = _entries.ToFrozenDictionary(StringComparer.Ordinal);
        _lookup = _frozen.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Finds a command by its lower-cased name.</summary>
    public bool TryGet(ReadOnlySpan<char> lowerName, out CommandEntry entry)
    {
        if (_frozen == null) Freeze();
        if (_lookup.TryGetValue(lowerName, out var e)) { entry = e; return true; }
        entry = null!;
        return false;
    }

    public bool TryGet(string lowerName, out CommandEntry entry) => TryGet(lowerName.AsSpan(), out entry);
}

/// <summary>The composition root of the query commands: every family registers here.</summary>
public static class TrackerCommands
{
    public static CommandTable CreateDefault()
    {
        var t = new CommandTable();
        Core.BasicCommands.Register(t);
        Core.DomainCommands.Register(t);
        Core.ClassCommands.Register(t);
        Core.HostCommands.Register(t);
        Core.DeviceCommands.Register(t);
        Core.SettingsCommands.Register(t);
        Files.FileCommands.Register(t);
        Fsck.FsckCommands.Register(t);
        Rebalance.RebalanceCommands.Register(t);
        return t;
    }
}
