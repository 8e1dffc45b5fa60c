using Checkpointing.Ownership;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Checkpointing.PostgreSql;

/// <summary>Folds a card's change rows into its document: on <see cref="PostgreSqlCheckpointRepository.CompactAsync"/>, and after a change once they outgrow it.</summary>
internal sealed class PostgreSqlCompactor(PostgreSqlDatabase database, PostgreSqlCheckpointReader reader, PostgreSqlFence fence, ILogger logger)
{
    public Task CompactAsync(string cardId, HeldLease? lease, CancellationToken cancellationToken) =>
        database.RunAsync(async (connection, ct) =>
        {
            var loaded = await reader.ReadAsync(connection, cardId, ct).ConfigureAwait(false);
            if (loaded is null)
            {
                return true;
            }

            if (lease is null && loaded.Leased)
            {
                throw fence.Locked(cardId, await fence.InspectAsync(connection, cardId, ct).ConfigureAwait(false), TimeSpan.Zero);
            }

            if (loaded.ChangeBytes == 0)
            {
                return true;
            }

            if (!await TryCompactAsync(connection, lease, loaded.Checkpoint, loaded.ChangeBytes, ct).ConfigureAwait(false))
            {
                // Either the fence refused it (thrown here) or another write moved the version on: then there is newer state to fold later.
                fence.ThrowIfFenced(cardId, lease, await fence.InspectAsync(connection, cardId, ct).ConfigureAwait(false));
            }

            return true;
        }, cancellationToken);

    /// <summary>Folds the changes after a change made them outgrow the document; a failure is logged (the change is durable).</summary>
    public async Task CompactAfterChangeAsync(NpgsqlConnection connection, HeldLease? lease, PipelineCheckpoint checkpoint)
    {
        try
        {
            await TryCompactAsync(connection, lease, checkpoint, changeBytes: -1, CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            // The change is durable; the fold is retried after the next change or on CompactAsync.
            PostgreSqlLog.CompactionFailed(logger, checkpoint.CardId, ex);
        }
    }

    private async Task<bool> TryCompactAsync(
        NpgsqlConnection connection, HeldLease? lease, PipelineCheckpoint checkpoint, long changeBytes, CancellationToken cancellationToken)
    {
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        using var command = new NpgsqlCommand(lease is null ? database.Sql.CompactUnowned : database.Sql.CompactOwned, connection);
        command.Parameters.AddWithValue("card", checkpoint.CardId);
        command.Parameters.AddWithValue("version", checkpoint.Version);
        command.Parameters.Add(new NpgsqlParameter("document", NpgsqlDbType.Json) { Value = document });
        command.Parameters.AddWithValue("document_bytes", (long)document.Length);
        PostgreSqlFence.Add(command, lease);
        var compacted = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1;
        if (compacted)
        {
            PostgreSqlLog.Compacted(logger, checkpoint.CardId, changeBytes, document.Length, checkpoint.Version);
        }

        return compacted;
    }
}
