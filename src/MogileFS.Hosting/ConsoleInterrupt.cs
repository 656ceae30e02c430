namespace MogileFS.Hosting;

/// <summary>
/// Ctrl-C for the tools: instead of killing the process it cancels <see cref="Token"/>, so a
/// tool can stop cleanly and say so (exit 130). The servers use <see cref="ShutdownSignals"/>.
/// </summary>
public sealed class ConsoleInterrupt : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly ConsoleCancelEventHandler _handler;

    public ConsoleInterrupt()
    {
        _handler = (_, e) => { e.Cancel = true; _cts.Cancel(); };
        Console.CancelKeyPress += _handler;
    }

    public CancellationToken Token => _cts.Token;

    public bool Requested => _cts.IsCancellationRequested;

    public void Dispose()
    {
        Console.CancelKeyPress -= _handler;
        _cts.Dispose();
    }
}
