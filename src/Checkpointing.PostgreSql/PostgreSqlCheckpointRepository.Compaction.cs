using Npgsql;
using NpgsqlTypes;

namespace Checkpointing.PostgreSql;

public sealed partial class PostgreSqlCheckpointRepository
{
    /// <inheritdoc/>
    public Task CompactAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        var lease = FindLease(cardId);
        return RunAsync(async (connection, ct) =>
        {
            var loaded = await LoadCoreAsync(connection, cardId, ct).ConfigureAwait(false);
            if (loaded is null)
            {
                return true;
            }

            if (lease is null && loaded.Leased)
            {
                throw Locked(cardId, await InspectAsync(connection, cardId, ct).ConfigureAwait(false), TimeSpan.Zero);
            }

            if (loaded.ChangeBytes == 0)
            {
                return true;
            }

            if (!await TryCompactAsync(connection, lease, loaded.Checkpoint, loaded.ChangeBytes, ct).ConfigureAwait(false))
            {
                // Either the fence refused it (thrown here) or another write moved the version on: then there is newer state to fold later.
                ThrowIfFenced(cardId, lease, await InspectAsync(connection, cardId, ct).ConfigureAwait(false));
            }

            return true;
        }, cancellationToken);
    }

    private async Task CompactAfterChangeAsync(NpgsqlConnection connection, CardLease? lease, PipelineCheckpoint checkpoint)
    {
        try
        {
            await TryCompactAsync(connection, lease, checkpoint, changeBytes: -1, CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            // The change is durable; the fold is retried after the next change or on CompactAsync.
            PostgreSqlLog.CompactionFailed(_logger, checkpoint.CardId, ex);
        }
    }

    private async Task<bool> TryCompactAsync(
        NpgsqlConnection connection, CardLease? lease, PipelineCheckpoint checkpoint, long changeBytes, CancellationToken cancellationToken)
    {
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        using var command = new NpgsqlCommand(lease is null ? _sql.CompactUnowned : _sql.CompactOwned, connection);
        command.Parameters.AddWithValue("card", checkpoint.CardId);
        command.Parameters.AddWithValue("version", checkpoint.Version);
        command.Parameters.Add(new NpgsqlParameter("document", NpgsqlDbType.Json) { Value = document });
        command.Parameters.AddWithValue("document_bytes", (long)document.Length);
        AddFence(command, lease);
        var compacted = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1;
        if (compacted)
        {
            PostgreSqlLog.Compacted(_logger, checkpoint.CardId, changeBytes, document.Length, checkpoint.Version);
        }

        return compacted;
    }
}
