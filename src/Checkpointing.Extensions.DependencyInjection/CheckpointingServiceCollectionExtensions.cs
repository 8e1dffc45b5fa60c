using Checkpointing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Checkpointing in a service collection.</summary>
public static class CheckpointingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ICheckpointManagerFactory"/>, validated <see cref="CheckpointManagerOptions"/> (checked at
    /// startup by a host) and, unless the returned builder chooses another, the file store. Managers get the container's
    /// <see cref="TimeProvider"/> and <c>ILoggerFactory</c> when it has them.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Changes the options, after the container's time provider and logging are applied.</param>
    /// <returns>A builder that chooses the store.</returns>
    public static CheckpointingBuilder AddCheckpointing(this IServiceCollection services, Action<CheckpointManagerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<CheckpointManagerOptions>()
            .Configure<IServiceProvider>(static (options, provider) =>
            {
                options.TimeProvider = provider.GetService<TimeProvider>() ?? options.TimeProvider;
                options.LoggerFactory ??= provider.GetService<ILoggerFactory>();
            });
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CheckpointManagerOptions>, CheckpointManagerOptionsValidator>());
        services.TryAddSingleton<ICheckpointManagerFactory>(static provider => new CheckpointManagerFactory(
            provider.GetRequiredService<ICheckpointRepository>(),
            provider.GetRequiredService<IOptions<CheckpointManagerOptions>>(),
            provider.GetService<ILoggerFactory>()));
        var builder = new CheckpointingBuilder(services);
        if (!services.Any(static d => d.ServiceType == typeof(ICheckpointRepository)))
        {
            builder.UseFileSystem();
        }

        return builder;
    }

    /// <summary>
    /// Registers Checkpointing as <see cref="AddCheckpointing(IServiceCollection, Action{CheckpointManagerOptions})"/>
    /// does, with the options read from the <c>Checkpointing</c> section of <paramref name="configuration"/>:
    /// <c>CheckpointDirectory</c>, <c>EnableLlmCache</c> and <c>LockTimeout</c>. A value that does not parse, or a key
    /// that is not one of these, fails at startup naming the setting.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The application's configuration (its <c>Checkpointing</c> section is read).</param>
    /// <param name="configure">Changes the options after the configuration is applied.</param>
    /// <returns>A builder that chooses the store.</returns>
    public static CheckpointingBuilder AddCheckpointing(
        this IServiceCollection services, IConfiguration configuration, Action<CheckpointManagerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection("Checkpointing");
        return services.AddCheckpointing(options =>
        {
            CheckpointingConfiguration.Apply(section, options);
            configure?.Invoke(options);
        });
    }
}
