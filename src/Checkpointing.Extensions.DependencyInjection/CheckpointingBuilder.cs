using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Checkpointing;

/// <summary>
/// Chooses the store of <c>services.AddCheckpointing()</c>: the file store in
/// <see cref="CheckpointManagerOptions.CheckpointDirectory"/> unless one of the <c>Use*</c> methods says otherwise (the
/// store packages add <c>UseSqlite</c> and <c>UsePostgreSql</c>). The last call wins.
/// </summary>
public sealed class CheckpointingBuilder
{
    internal CheckpointingBuilder(IServiceCollection services) => Services = services;

    /// <summary>Gets the services being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Stores checkpoints as files (the default store).</summary>
    /// <param name="directory">The directory; by default <see cref="CheckpointManagerOptions.CheckpointDirectory"/>, then <c>$CHECKPOINT_DIR</c>, then <c>./.checkpoints</c>.</param>
    /// <param name="configure">Changes the store's settings; its <see cref="FileSystemCheckpointRepositoryOptions.TimeProvider"/> is the managers' by default.</param>
    /// <returns>This builder.</returns>
    public CheckpointingBuilder UseFileSystem(string? directory = null, Action<FileSystemCheckpointRepositoryOptions>? configure = null)
    {
        if (directory is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        }

        return UseRepository(services =>
        {
            var options = services.GetRequiredService<IOptions<CheckpointManagerOptions>>().Value;
            var storeOptions = new FileSystemCheckpointRepositoryOptions { TimeProvider = options.TimeProvider };
            configure?.Invoke(storeOptions);
            return new FileSystemCheckpointRepository(
                directory ?? options.ResolveCheckpointDirectory(), storeOptions, services.GetService<ILoggerFactory>());
        });
    }

    /// <summary>Stores checkpoints in this process's memory only: for tests and trials, nothing survives a restart.</summary>
    /// <returns>This builder.</returns>
    public CheckpointingBuilder UseInMemory() => UseRepository(static _ => new InMemoryCheckpointRepository());

    /// <summary>
    /// Stores checkpoints in the store <paramref name="factory"/> makes, once, for the whole application. The container
    /// owns it: it is disposed with the container, after every manager the factory made.
    /// </summary>
    /// <param name="factory">Makes the store.</param>
    /// <returns>This builder.</returns>
    public CheckpointingBuilder UseRepository(Func<IServiceProvider, ICheckpointRepository> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.RemoveAll<ICheckpointRepository>();
        Services.AddSingleton(factory);
        return this;
    }
}
