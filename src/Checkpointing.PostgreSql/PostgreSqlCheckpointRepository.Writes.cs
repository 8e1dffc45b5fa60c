using Npgsql;
using NpgsqlTypes;

namespace Checkpointing.PostgreSql;

public sealed partial class PostgreSqlCheckpointRepository
{
    /// <inheritdoc/>
    public Task<bool> DeleteAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        var lease = FindLease(cardId);
        return RunAsync(async (connection, ct) =>
        {
            for (var attempt = 0; ; attempt++)
            {
                using (var command = new NpgsqlCommand(lease is null ? _sql.DeleteUnowned : _sql.DeleteOwned, connection))
                {
                    command.Parameters.AddWithValue("card", cardId);
                    AddFence(command, lease);
                    if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is bool existed)
                    {
                        return existed;
                    }
                }

                var state = await InspectAsync(connection, cardId, ct).ConfigureAwait(false);
                if (state is null && lease is null)
                {
                    return false;
                }

                ThrowIfFenced(cardId, lease, state);
                ThrowIfRacing(cardId, attempt);
            }
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CardIds.Validate(checkpoint.CardId);
        var lease = FindLease(checkpoint.CardId);
        return RunAsync(async (connection, ct) =>
        {
            await SaveWholeAsync(connection, lease, checkpoint, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task SaveChangeAsync(AppliedChange applied, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(applied);
        var (checkpoint, change) = (applied.Checkpoint, applied.Change);
        CardIds.Validate(checkpoint.CardId);

        var lease = FindLease(checkpoint.CardId);
        var cardId = checkpoint.CardId;
        var json = CheckpointJson.SerializeChange(change);
        var (kind, stageName) = Describe(change);
        return RunAsync(async (connection, ct) =>
        {
            for (var attempt = 0; ; attempt++)
            {
                bool? compact;
                using (var command = new NpgsqlCommand(lease is null ? _sql.SaveChangeUnowned : _sql.SaveChangeOwned, connection))
                {
                    command.Parameters.AddWithValue("card", cardId);
                    command.Parameters.AddWithValue("version", change.Version);
                    command.Parameters.AddWithValue("status", CheckpointJson.StatusName(checkpoint.Status));
                    command.Parameters.AddWithValue("change_bytes", (long)json.Length);
                    command.Parameters.AddWithValue("min_compaction", _options.MinCompactionBytes);
                    command.Parameters.AddWithValue("kind", kind);
                    command.Parameters.Add(new NpgsqlParameter("stage", NpgsqlDbType.Text) { Value = (object?)stageName ?? DBNull.Value });
                    command.Parameters.Add(new NpgsqlParameter("change", NpgsqlDbType.Json) { Value = json });
                    AddFence(command, lease);
                    compact = await command.ExecuteScalarAsync(ct).ConfigureAwait(false) as bool?;
                }

                if (compact is { } outgrown)
                {
                    if (outgrown)
                    {
                        await CompactAfterChangeAsync(connection, lease, checkpoint).ConfigureAwait(false);
                    }

                    return true;
                }

                var state = await InspectAsync(connection, cardId, ct).ConfigureAwait(false);
                ThrowIfFenced(cardId, lease, state);
                var stored = state?.Version ?? 0;
                CheckpointConflictException.ThrowIfNotNext(cardId, stored, change.Version);

                if (state is null || !state.HasDocument)
                {
                    // Nothing stored yet (version 0): the first change stores the whole checkpoint.
                    await SaveWholeAsync(connection, lease, checkpoint, ct).ConfigureAwait(false);
                    return true;
                }

                ThrowIfRacing(cardId, attempt);
            }
        }, cancellationToken);
    }

    private async Task SaveWholeAsync(NpgsqlConnection connection, CardLease? lease, PipelineCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var cardId = checkpoint.CardId;
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        for (var attempt = 0; ; attempt++)
        {
            using (var command = new NpgsqlCommand(lease is null ? _sql.SaveUnowned : _sql.SaveOwned, connection))
            {
                AddDocument(command, checkpoint, document);
                AddFence(command, lease);
                if ((long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1)
                {
                    return;
                }
            }

            var state = await InspectAsync(connection, cardId, cancellationToken).ConfigureAwait(false);
            ThrowIfFenced(cardId, lease, state);
            var stored = state?.Version ?? 0;
            CheckpointConflictException.ThrowIfNotNext(cardId, stored, checkpoint.Version);

            if (state is null)
            {
                // A write without ownership of a card that has no row yet: insert it (a concurrent insert wins; then retry).
                using var insert = new NpgsqlCommand(_sql.InsertFirst, connection);
                AddDocument(insert, checkpoint, document);
                if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
                {
                    return;
                }
            }

            ThrowIfRacing(cardId, attempt);
        }
    }

    private static void AddDocument(NpgsqlCommand command, PipelineCheckpoint checkpoint, byte[] document)
    {
        command.Parameters.AddWithValue("card", checkpoint.CardId);
        command.Parameters.AddWithValue("version", checkpoint.Version);
        command.Parameters.AddWithValue("status", CheckpointJson.StatusName(checkpoint.Status));
        command.Parameters.Add(new NpgsqlParameter("document", NpgsqlDbType.Json) { Value = document });
        command.Parameters.AddWithValue("document_bytes", (long)document.Length);
    }

    private static (string Kind, string? StageName) Describe(CheckpointChange change) => change switch
    {
        StageRecorded stage => ("stage", stage.Stage.StageName),
        LlmResponseCached cached => ("llm_response", cached.StageName),
        CurrentStageSet current => ("current_stage", current.StageName),
        StatusChanged => ("status", null),
        CheckpointResumed => ("resumed", null),
        _ => throw new ArgumentException($"Unknown change type {change.GetType().Name}.", nameof(change)),
    };

    private static void ThrowIfRacing(string cardId, int attempt)
    {
        if (attempt >= 4)
        {
            throw new CheckpointException($"Card '{cardId}': the write kept racing with other writers and was given up; nothing was written.");
        }
    }
}
