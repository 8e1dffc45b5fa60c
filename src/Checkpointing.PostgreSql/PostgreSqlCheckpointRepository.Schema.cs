namespace Checkpointing.PostgreSql;

public sealed partial class PostgreSqlCheckpointRepository
{
    /// <summary>Creates or upgrades the store's schema to <see cref="SchemaVersion"/>, as first use does when <see cref="PostgreSqlCheckpointRepositoryOptions.MigrateAutomatically"/> is on.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the schema is current.</returns>
    /// <exception cref="CheckpointVersionException">The schema is newer than this code knows.</exception>
    public Task MigrateAsync(CancellationToken cancellationToken = default) => MigrateToAsync(PostgreSqlSchema.LatestVersion, cancellationToken);

    /// <summary>Brings the schema to a given migration (tests create databases of older versions with it).</summary>
    internal async Task MigrateToAsync(int targetVersion, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetVersion, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVersion, PostgreSqlSchema.LatestVersion);
        await GuardAsync(async () =>
        {
            var connection = await _open(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                await _schema.MigrateAsync(connection, targetVersion, NewerSchema, _logger, cancellationToken).ConfigureAwait(false);
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
                _schemaReady = _options.MigrateAutomatically ? MigrateToAsync(PostgreSqlSchema.LatestVersion, CancellationToken.None) : CheckSchemaAsync();
            }

            ready = _schemaReady;
        }

        return ready.IsCompletedSuccessfully ? Task.CompletedTask : ready.WaitAsync(cancellationToken);
    }

    private Task CheckSchemaAsync() =>
        GuardAsync(async () =>
        {
            var connection = await _open(CancellationToken.None).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var version = await _schema.ReadVersionAsync(connection, CancellationToken.None).ConfigureAwait(false);
                if (version > PostgreSqlSchema.LatestVersion)
                {
                    throw NewerSchema(version);
                }

                if (version < PostgreSqlSchema.LatestVersion)
                {
                    throw new CheckpointException(
                        $"The PostgreSQL checkpoint schema '{_schema.Name}' is at migration {version}, this code needs {PostgreSqlSchema.LatestVersion}, and "
                        + "MigrateAutomatically is off: run PostgreSqlCheckpointRepository.MigrateAsync first.");
                }
            }

            return true;
        });

    private CheckpointVersionException NewerSchema(int found) =>
        new($"postgresql://{_host}:{_port}/{_database} schema {_schema.Name} (schema_migrations)", found, PostgreSqlSchema.LatestVersion);
}
