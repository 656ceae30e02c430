namespace MogileFS.Core.Model;

/// <summary>Device administrative state (column device.status). The stored spellings never change.</summary>
public enum DeviceState { Alive, Dead, Down, Readonly, Drain }

/// <summary>Host administrative state (column host.status). The stored spellings never change.</summary>
public enum HostState { Alive, Dead, Down, Readonly }

/// <summary>Checksum algorithm (class.hashtype, checksum.hashtype): stored numbers never change.</summary>
public enum HashType { None = 0, MD5 = 1, SHA1 = 2 }

/// <summary>What the monitor last saw of a device (never stored).</summary>
public enum ObservedState { Unknown, Writeable, Readable, Unreachable }

public static class States
{
    public static string ToWire(this DeviceState s) => s switch
    {
        DeviceState.Alive => "alive",
        DeviceState.Dead => "dead",
        DeviceState.Down => "down",
        DeviceState.Readonly => "readonly",
        DeviceState.Drain => "drain",
        _ => "down",
    };

    public static string ToWire(this HostState s) => s switch
    {
        HostState.Alive => "alive",
        HostState.Dead => "dead",
        HostState.Down => "down",
        HostState.Readonly => "readonly",
        _ => "down",
    };

    public static bool TryParseDevice(string? s, out DeviceState state)
    {
        switch (s)
        {
            case "alive": state = DeviceState.Alive; return true;
            case "dead": state = DeviceState.Dead; return true;
            case "down": state = DeviceState.Down; return true;
            case "readonly": state = DeviceState.Readonly; return true;
            case "drain": state = DeviceState.Drain; return true;
            default: state = DeviceState.Down; return false;
        }
    }

    public static bool TryParseHost(string? s, out HostState state)
    {
        switch (s)
        {
            case "alive": state = HostState.Alive; return true;
            case "dead": state = HostState.Dead; return true;
            case "down": state = HostState.Down; return true;
            case "readonly": state = HostState.Readonly; return true;
            default: state = HostState.Down; return false;
        }
    }

    /// <summary>Wire name of a hash type: MD5, SHA-1, NONE.</summary>
    public static string ToWire(this HashType h) => h == HashType.None ? "NONE" : HashTypes.Name(h);

    /// <summary>"MD5"/"SHA-1" (case-sensitive) → type; "NONE" → None.</summary>
    public static bool TryParseHashType(string? s, out HashType h)
    {
        if (s == "NONE") { h = HashType.None; return true; }
        return HashTypes.TryParseName(s, out h);
    }

    public static string ToWire(this ObservedState s) => s switch
    {
        ObservedState.Writeable => "writeable",
        ObservedState.Readable => "readable",
        ObservedState.Unreachable => "unreachable",
        _ => "",
    };

    // Predicates of jobs.md §2.1.
    public static bool CanRead(this DeviceState s) => s is DeviceState.Alive or DeviceState.Readonly or DeviceState.Drain;
    public static bool CanDeleteFrom(this DeviceState s) => s is DeviceState.Alive or DeviceState.Drain;
    public static bool ShouldGetNewFiles(this DeviceState s) => s == DeviceState.Alive;
    public static bool IsDead(this DeviceState s) => s == DeviceState.Dead;
    public static bool ShouldHaveFiles(this DeviceState s) => s != DeviceState.Dead;
}
