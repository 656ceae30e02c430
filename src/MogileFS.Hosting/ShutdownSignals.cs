using System.Runtime.InteropServices;

namespace MogileFS.Hosting;

/// <summary>
/// SIGTERM and SIGINT ask the process to stop: the handler is told which signal and how many
/// have arrived so far (mogstored stops gracefully on the first and aborts on the second), and
/// the runtime's default action is cancelled. SIGHUP keeps its default action (the process
/// ends without a clean stop), as it always has; a process started with SIGINT ignored must
/// call <see cref="SigIntReset.ReexecIfIgnored"/> first, or SIGINT never arrives here.
/// </summary>
public sealed class ShutdownSignals : IDisposable
{
    private readonly PosixSignalRegistration _term;
    private readonly PosixSignalRegistration _int;
    private int _count;

    /// <param name="onSignal">Called with "SIGTERM" or "SIGINT" and the number of signals so far (1, 2, …).</param>
    public ShutdownSignals(Action<string, int> onSignal)
    {
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => Handle(ctx, "SIGTERM", onSignal));
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => Handle(ctx, "SIGINT", onSignal));
    }

    private void Handle(PosixSignalContext ctx, string name, Action<string, int> onSignal)
    {
        ctx.Cancel = true;
        onSignal(name, Interlocked.Increment(ref _count));
    }

    public void Dispose()
    {
        _term.Dispose();
        _int.Dispose();
    }
}
