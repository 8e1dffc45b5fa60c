using Npgsql;
using NpgsqlTypes;

namespace Checkpointing.PostgreSql;

public sealed partial class PostgreSqlCheckpointRepository
{
    /// <inheritdoc/>
    public Task ImportAsync(PipelineCheckpoint checkpoint, long? expectedStoredVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CardIds.Validate(checkpoint.CardId);
        var lease = FindLease(checkpoint.CardId);
        var cardId = checkpoint.CardId;
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        return RunAsync(async (connection, ct) =>
        {
            for (var attempt = 0; ; attempt++)
            {
                using (var command = new NpgsqlCommand(lease is null ? _sql.ImportUnowned : _sql.ImportOwned, connection))
                {
                    AddDocument(command, checkpoint, document);
                    command.Parameters.Add(new NpgsqlParameter("expected", NpgsqlDbType.Bigint) { Value = (object?)expectedStoredVersion ?? DBNull.Value });
                    AddFence(command, lease);
                    if ((long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 1)
                    {
                        return true;
                    }
                }

                var state = await InspectAsync(connection, cardId, ct).ConfigureAwait(false);
                ThrowIfFenced(cardId, lease, state);
                var stored = state is { HasDocument: true } ? state.Version : (long?)null;
                if (stored != expectedStoredVersion)
                {
                    throw new CheckpointConflictException(cardId, stored ?? 0, checkpoint.Version, expectedStoredVersion);
                }

                if (state is null)
                {
                    // A write without ownership of a card that has no row yet: insert it (a concurrent insert wins; then retry).
                    using var insert = new NpgsqlCommand(_sql.InsertFirst, connection);
                    AddDocument(insert, checkpoint, document);
                    if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1)
                    {
                        return true;
                    }
                }

                ThrowIfRacing(cardId, attempt);
            }
        }, cancellationToken);
    }
}
