namespace MogileFS.Core.Protocol;

/// <summary>
/// Error codes and their default messages (tracker-protocol.md §5.5), as plain text; the
/// reply encoder escapes them. A code without a default text repeats the code as message.
/// </summary>
public static class ErrorCodes
{
    private static readonly Dictionary<string, string> Defaults = new(StringComparer.Ordinal)
    {
        ["after_mismatch"] = "Pattern does not match the after-value?",
        ["bad_params"] = "Invalid parameters to command; please see documentation",
        ["class_exists"] = "That class already exists in that domain",
        ["class_has_files"] = "Class still has files, unable to delete",
        ["class_not_found"] = "Class not found",
        ["db"] = "Database error",
        ["domain_exists"] = "That domain already exists",
        ["domain_has_files"] = "Domain still has files, unable to delete",
        ["domain_not_empty"] = "Domain still has classes, unable to delete",
        ["domain_not_found"] = "Domain not found",
        ["dup"] = "Duplicate name/number used.",
        ["failure"] = "Operation failed",
        ["host_exists"] = "That host already exists",
        ["host_mismatch"] = "The device specified doesn't belong to the host specified",
        ["host_not_empty"] = "Unable to delete host; it contains devices still",
        ["host_not_found"] = "Host not found",
        ["invalid_checker_level"] = "Checker level invalid.  Please see documentation on this command.",
        ["invalid_mindevcount"] = "The mindevcount must be at least 1",
        ["key_exists"] = "Target key name already exists; can't overwrite.",
        ["no_class"] = "No class provided",
        ["no_device"] = "Device not found",
        ["no_devices"] = "No devices found to store file",
        ["no_domain"] = "No domain provided",
        ["no_host"] = "No host provided",
        ["no_ip"] = "IP required to create host",
        ["no_port"] = "Port required to create host",
        ["no_rebal_policy"] = "No rebalance policy available",
        ["no_rebal_state"] = "No available rebalance status",
        ["no_temp_file"] = "No tempfile or file already closed",
        ["nodel_default_class"] = "Cannot delete the default class",
        ["none_match"] = "No keys match that pattern and after-value (if any).",
        ["plugin_aborted"] = "Action aborted by plugin",
        ["rebal_not_started"] = "Rebalance not running",
        ["state_too_high"] = "Status cannot go from dead to alive; must use down",
        ["unknown_command"] = "Unknown server command",
        ["unknown_host"] = "Host not found",
        ["unknown_state"] = "Invalid/unknown state",
        ["unreg_domain"] = "Domain name invalid/not found",
    };

    /// <summary>The default message of <paramref name="code"/>, or the code itself.</summary>
    public static string DefaultMessage(string code) => Defaults.TryGetValue(code, out var m) ? m : code;

    public static bool HasDefaultMessage(string code) => Defaults.ContainsKey(code);
}

/// <summary>
/// Thrown by a handler (or anything it calls, including the store) to answer
/// <c>ERR code message</c>. A null message means the default text of §5.5 (or the code).
/// The message is a byte string; it is eurl-encoded on the wire.
/// </summary>
public class CommandException : Exception
{
    public CommandException(string code, string? wireMessage = null, Exception? inner = null)
        : base(wireMessage ?? ErrorCodes.DefaultMessage(code), inner)
    {
        Code = code;
        WireMessage = wireMessage;
    }

    public string Code { get; }

    /// <summary>The explicit message, or null for the default.</summary>
    public string? WireMessage { get; }
}
