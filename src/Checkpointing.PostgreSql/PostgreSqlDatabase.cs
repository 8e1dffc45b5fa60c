using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkpointing.PostgreSql;

/// <summary>
/// The PostgreSQL database a repository uses: where connections come from, the schema made current on first use (or
/// checked, when <see cref="PostgreSqlCheckpointRepositoryOptions.MigrateAutomatically"/> is off), and every operation run
/// through <see cref="PostgreSqlErrors"/>.
/// </summary>
internal sealed class PostgreSqlDatabase
{
    private readonly Func<CancellationToken, ValueTask<NpgsqlConnection>> _open;
    private readonly bool _migrateAutomatically;
    private readonly ILogger _logger;
    private readonly object _schemaGate = new();
    private Task? _schemaReady;

    public PostgreSqlDatabase(
        NpgsqlConnectionStringBuilder settings, Func<CancellationToken, ValueTask<NpgsqlConnection>> open, PostgreSqlSchema schema, bool migrateAutomatically, ILogger logger)
    {
        _open = open;
        _migrateAutomatically = migrateAutomatically;
        _logger = logger;
        Schema = schema;
        Sql = new PostgreSqlStatements(schema);
        Errors = new PostgreSqlErrors(settings.Host ?? "localhost", settings.Port, settings.Database ?? settings.Username, settings.Username, schema.Name);
    }

    public PostgreSqlSchema Schema { get; }

    public PostgreSqlStatements Sql { get; }

    public PostgreSqlErrors Errors { get; }

    /// <summary>Runs an operation on a connection of the current schema, translating the database's errors.</summary>
    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await Errors.GuardAsync(async () =>
        {
            var connection = await _open(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await operation(connection, cancellationToken).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>Brings the schema to a given migration.</summary>
    public async Task MigrateToAsync(int targetVersion, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetVersion, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVersion, PostgreSqlSchema.LatestVersion);
        await Errors.GuardAsync(async () =>
        {
            var connection = await _open(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                await Schema.MigrateAsync(connection, targetVersion, NewerSchema, _logger, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }).ConfigureAwait(false);
    }

    private Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        Task ready;
        lock (_schemaGate)
        {
            if (_schemaReady is null || _schemaReady.IsFaulted || _schemaReady.IsCanceled)
            {
                _schemaReady = _migrateAutomatically ? MigrateToAsync(PostgreSqlSchema.LatestVersion, CancellationToken.None) : CheckSchemaAsync();
            }

            ready = _schemaReady;
        }

        return ready.IsCompletedSuccessfully ? Task.CompletedTask : ready.WaitAsync(cancellationToken);
    }

    private Task CheckSchemaAsync() =>
        Errors.GuardAsync(async () =>
        {
            var connection = await _open(CancellationToken.None).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var version = await Schema.ReadVersionAsync(connection, CancellationToken.None).ConfigureAwait(false);
                if (version > PostgreSqlSchema.LatestVersion)
                {
                    throw NewerSchema(version);
                }

                if (version < PostgreSqlSchema.LatestVersion)
                {
                    throw new CheckpointException(
                        $"The PostgreSQL checkpoint schema '{Schema.Name}' is at migration {version}, this code needs {PostgreSqlSchema.LatestVersion}, and "
                        + "MigrateAutomatically is off: run PostgreSqlCheckpointRepository.MigrateAsync first.");
                }
            }

            return true;
        });

    private CheckpointVersionException NewerSchema(int found) =>
        new($"{Errors.Location} schema {Schema.Name} (schema_migrations)", found, PostgreSqlSchema.LatestVersion);
}
