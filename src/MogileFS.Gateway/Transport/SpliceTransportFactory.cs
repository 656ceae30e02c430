using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MogileFS.Gateway.Transport;

/// <summary>
/// Kestrel's transport for the gateway: plain TCP sockets like Kestrel's own, plus
/// <see cref="IFileSpliceFeature"/> so a GET of a file on this host's disk goes out with sendfile (no copy
/// through user space). Kestrel still parses HTTP and writes the headers; only the socket loops are ours.
/// Registered as the last <see cref="IConnectionListenerFactory"/>, which Kestrel prefers.
/// </summary>
public sealed class SpliceTransportFactory(IServiceProvider services) : IConnectionListenerFactory
{
    // Requests answered below Kestrel (IFastRequestHandler), when the gateway registered a handler; they reset
    // Kestrel's idle timer by its keep-alive timeout, as a request through Kestrel would.
    private readonly IFastRequestHandler? _fast = services.GetService<IFastRequestHandler>();
    private readonly TimeSpan _keepAlive = services.GetService<IOptions<KestrelServerOptions>>()?.Value.Limits.KeepAliveTimeout ?? TimeSpan.FromSeconds(130);

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip) throw new NotSupportedException($"the gateway listens on ip:port only, not {endpoint}");
        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (ip.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(ip);
            socket.Listen(512);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return ValueTask.FromResult<IConnectionListener>(new Listener(socket, _fast, _keepAlive));
    }

    private sealed class Listener(Socket socket, IFastRequestHandler? fast, TimeSpan keepAlive) : IConnectionListener
    {
        private long _nextId;

        public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                Socket accepted;
                try
                {
                    accepted = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (ObjectDisposedException) { return null; }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted) { return null; }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
                {
                    continue; // the peer gave up before we accepted: next one
                }
                catch (SocketException)
                {
                    // Out of file descriptors or buffers: keep serving the open connections, try again shortly.
                    await Task.Delay(10, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                accepted.NoDelay = true;
                var connection = new SpliceConnection(accepted, "G" + Interlocked.Increment(ref _nextId).ToString("x8", System.Globalization.CultureInfo.InvariantCulture), fast, keepAlive);
                connection.Start();
                return connection;
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
