namespace MogileFS.Tools.Common;

/// <summary>An error a tool reports as one line on stderr, exiting with <see cref="ExitCode"/>.</summary>
public sealed class ToolException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Usage text printed to stdout, then exit with <see cref="ExitCode"/>.</summary>
public sealed class UsageException(string text, int exitCode = 1) : Exception(text)
{
    public int ExitCode { get; } = exitCode;
}
