using Npgsql;

namespace Checkpointing.PostgreSql;

public sealed partial class PostgreSqlCheckpointRepository
{
    /// <inheritdoc/>
    public Task<PipelineCheckpoint?> LoadAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        return RunAsync(async (connection, ct) => (await LoadCoreAsync(connection, cardId, ct).ConfigureAwait(false))?.Checkpoint, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<bool> ExistsAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        return RunAsync(async (connection, ct) =>
        {
            using var command = new NpgsqlCommand(_sql.Exists, connection);
            command.Parameters.AddWithValue("card", cardId);
            return (bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> ListCardIdsAsync(CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<string>>(async (connection, ct) =>
        {
            using var command = new NpgsqlCommand(_sql.List, connection);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            var ids = new List<string>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                ids.Add(reader.GetString(0));
            }

            return ids;
        }, cancellationToken);

    private async Task<LoadedCheckpoint?> LoadCoreAsync(NpgsqlConnection connection, string cardId, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(_sql.Load, connection);
        command.Parameters.AddWithValue("card", cardId);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var source = $"postgresql://{_host}:{_port}/{_database} {_schema.Name}.checkpoints card '{cardId}'";
        var version = reader.GetInt64(0);
        var documentVersion = reader.GetInt64(1);
        var leased = reader.GetBoolean(5);
        var checkpoint = CheckpointJson.DeserializeCheckpoint(reader.GetFieldValue<byte[]>(2), source);
        if (checkpoint.Version != documentVersion)
        {
            throw new CheckpointCorruptedException(source, null, $"the document is at version {checkpoint.Version} but the row says {documentVersion}");
        }

        long changeBytes = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var changeVersion = reader.GetInt64(3);
            var changeSource = $"postgresql://{_host}:{_port}/{_database} {_schema.Name}.checkpoint_changes card '{cardId}' version {changeVersion}";
            var json = reader.GetFieldValue<byte[]>(4);
            changeBytes += json.Length;
            var change = CheckpointJson.DeserializeChange(json, changeSource);
            if (change.Version != changeVersion)
            {
                throw new CheckpointCorruptedException(changeSource, null, $"the change has version {change.Version} in a row of version {changeVersion}");
            }

            checkpoint = CheckpointJson.ApplyStoredChange(checkpoint, change, changeSource);
        }

        if (checkpoint.Version != version)
        {
            throw new CheckpointCorruptedException(source, null, $"the row is at version {version} but its document and changes reach only {checkpoint.Version}");
        }

        return new LoadedCheckpoint(checkpoint, leased, changeBytes);
    }

    private sealed record LoadedCheckpoint(PipelineCheckpoint Checkpoint, bool Leased, long ChangeBytes);
}
