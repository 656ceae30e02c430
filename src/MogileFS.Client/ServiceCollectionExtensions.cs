using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MogileFS.Client.Tracker;

namespace MogileFS.Client;

/// <summary>Registers the MogileFS client with <c>Microsoft.Extensions.DependencyInjection</c>.</summary>
public static class MogileFSServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MogileFSClient"/> and <see cref="MogileFSAdmin"/> as singletons sharing one
    /// tracker connection pool, with <see cref="MogileFSClientOptions"/> bound from
    /// <paramref name="configuration"/> (e.g. <c>builder.Configuration.GetSection("MogileFS")</c> holding
    /// <c>Trackers</c>, <c>Domain</c>, <c>RequestTimeout</c>, ...). Tracker fail-overs are logged
    /// through the container's <see cref="ILoggerFactory"/> when there is one.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section with the options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMogileFS(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<MogileFSClientOptions>().Bind(configuration);
        return AddCore(services);
    }

    /// <summary>As <see cref="AddMogileFS(IServiceCollection, IConfiguration)"/>, with the options set in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options (trackers, domain, timeouts).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMogileFS(this IServiceCollection services, Action<MogileFSClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<MogileFSClientOptions>().Configure(configure);
        return AddCore(services);
    }

    private static IServiceCollection AddCore(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<MogileFSClientOptions>>().Value;
            options.LoggerFactory ??= sp.GetService<ILoggerFactory>();
            return new TrackerBackend(options);
        });
        services.TryAddSingleton(sp => new MogileFSClient(sp.GetRequiredService<TrackerBackend>()));
        services.TryAddSingleton(sp => new MogileFSAdmin(sp.GetRequiredService<TrackerBackend>()));
        return services;
    }
}
