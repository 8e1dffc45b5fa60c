namespace Checkpointing.Sqlite;

public sealed partial class SqliteCheckpointRepository
{
    /// <inheritdoc/>
    public async Task ImportAsync(PipelineCheckpoint checkpoint, long? expectedStoredVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CardIds.Validate(checkpoint.CardId, nameof(checkpoint));
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        await WriteAsync(checkpoint.CardId, async (connection, transaction) =>
        {
            var stored = await ReadStoredStateAsync(connection, transaction, checkpoint.CardId, cancellationToken).ConfigureAwait(false);
            if (stored?.Version != expectedStoredVersion)
            {
                throw new CheckpointConflictException(checkpoint.CardId, stored?.Version ?? 0, checkpoint.Version, expectedStoredVersion);
            }

            await WriteDocumentAsync(connection, transaction, checkpoint, document, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }
}
