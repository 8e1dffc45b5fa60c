using Checkpointing;
using Checkpointing.PostgreSql;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the PostgreSQL store for <c>services.AddCheckpointing()</c>.</summary>
public static class PostgreSqlCheckpointingBuilderExtensions
{
    /// <summary>Stores checkpoints in PostgreSQL through a connection string; the store is shared and disposed by the container after every manager.</summary>
    /// <param name="builder">The builder <c>AddCheckpointing</c> returned.</param>
    /// <param name="connectionString">The Npgsql connection string.</param>
    /// <param name="configure">Changes the store's settings; its <see cref="PostgreSqlCheckpointRepositoryOptions.TimeProvider"/> is the managers' by default.</param>
    /// <returns>The builder.</returns>
    public static CheckpointingBuilder UsePostgreSql(
        this CheckpointingBuilder builder, string connectionString, Action<PostgreSqlCheckpointRepositoryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UseRepository(services =>
            new PostgreSqlCheckpointRepository(connectionString, StoreOptions(services, configure), services.GetService<ILoggerFactory>()));
    }

    /// <summary>
    /// Stores checkpoints in PostgreSQL through a data source: the one registered in the container (for example by
    /// <c>AddNpgsqlDataSource</c>) when <paramref name="dataSource"/> is <see langword="null"/>. The container, not the
    /// store, owns a registered data source.
    /// </summary>
    /// <param name="builder">The builder <c>AddCheckpointing</c> returned.</param>
    /// <param name="dataSource">The data source, or <see langword="null"/> for the container's <see cref="NpgsqlDataSource"/>.</param>
    /// <param name="configure">Changes the store's settings; its <see cref="PostgreSqlCheckpointRepositoryOptions.TimeProvider"/> is the managers' by default.</param>
    /// <returns>The builder.</returns>
    public static CheckpointingBuilder UsePostgreSql(
        this CheckpointingBuilder builder, NpgsqlDataSource? dataSource = null, Action<PostgreSqlCheckpointRepositoryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseRepository(services => new PostgreSqlCheckpointRepository(
            dataSource ?? services.GetRequiredService<NpgsqlDataSource>(), StoreOptions(services, configure), services.GetService<ILoggerFactory>()));
    }

    private static PostgreSqlCheckpointRepositoryOptions StoreOptions(IServiceProvider services, Action<PostgreSqlCheckpointRepositoryOptions>? configure)
    {
        var options = new PostgreSqlCheckpointRepositoryOptions
        {
            TimeProvider = services.GetRequiredService<IOptions<CheckpointManagerOptions>>().Value.TimeProvider,
        };
        configure?.Invoke(options);
        return options;
    }
}
