using Checkpointing;
using Checkpointing.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the SQLite store for <c>services.AddCheckpointing()</c>.</summary>
public static class SqliteCheckpointingBuilderExtensions
{
    /// <summary>
    /// Stores checkpoints in one SQLite database, shared by the whole application and disposed by the container after
    /// every manager.
    /// </summary>
    /// <param name="builder">The builder <c>AddCheckpointing</c> returned.</param>
    /// <param name="connectionStringOrPath">The database file's path, or a SQLite connection string.</param>
    /// <param name="configure">Changes the store's settings; its <see cref="SqliteCheckpointRepositoryOptions.TimeProvider"/> is the managers' by default.</param>
    /// <returns>The builder.</returns>
    public static CheckpointingBuilder UseSqlite(
        this CheckpointingBuilder builder, string connectionStringOrPath, Action<SqliteCheckpointRepositoryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionStringOrPath);
        return builder.UseRepository(services =>
        {
            var options = new SqliteCheckpointRepositoryOptions
            {
                TimeProvider = services.GetRequiredService<IOptions<CheckpointManagerOptions>>().Value.TimeProvider,
            };
            configure?.Invoke(options);
            return new SqliteCheckpointRepository(connectionStringOrPath, options, services.GetService<ILoggerFactory>());
        });
    }
}
