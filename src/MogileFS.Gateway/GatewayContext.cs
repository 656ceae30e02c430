using Microsoft.Extensions.Logging;
using MogileFS.Gateway.Auth;
using MogileFS.Gateway.Mogile;
using MogileFS.Gateway.Store;

namespace MogileFS.Gateway;

/// <summary>The services every handler uses, created once per gateway process.</summary>
public sealed class GatewayContext(GatewayOptions options, MogileAccess mogile, GatewayStore store, ILoggerFactory loggers)
{
    public GatewayOptions Options { get; } = options;
    public MogileAccess Mogile { get; } = mogile;
    public GatewayStore Store { get; } = store;
    public ILoggerFactory Loggers { get; } = loggers;
    public ILogger Log { get; } = loggers.CreateLogger("moggateway");
    public Authenticator Auth { get; } = new(options);
    public S3.ObjectCache Cache { get; } = NewCache(options, mogile);
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    public GatewayMetrics Metrics { get; init; } = new();

    private static S3.ObjectCache NewCache(GatewayOptions options, MogileAccess mogile)
    {
        var cache = new S3.ObjectCache(options);
        mogile.KeyChanged += cache.Invalidate;
        return cache;
    }
}
