using Checkpointing.Ownership;
using Npgsql;
using NpgsqlTypes;

namespace Checkpointing.PostgreSql;

/// <summary>
/// Writes cards: a change is one fenced <c>UPDATE ... WHERE version = expected</c> that inserts its change row; a whole
/// checkpoint replaces the document with a new generation. Folding change rows into the document is not done here but by
/// <see cref="PostgreSqlDocumentFold"/>, off the saver's path. A write that matched no row is explained by <see cref="PostgreSqlFence"/> (lease lost,
/// card locked) or is a version conflict; one that raced another writer is retried a few times.
/// </summary>
internal sealed class PostgreSqlChangeWriter(
    PostgreSqlDatabase database, PostgreSqlFence fence, PostgreSqlCheckpointRepositoryOptions options)
{
    public Task<bool> DeleteAsync(string cardId, HeldLease? lease, CancellationToken cancellationToken) =>
        database.RunAsync(async (connection, ct) =>
        {
            for (var attempt = 0; ; attempt++)
            {
                using (var command = new NpgsqlCommand(lease is null ? database.Sql.DeleteUnowned : database.Sql.DeleteOwned, connection))
                {
                    command.Parameters.AddWithValue("card", cardId);
                    PostgreSqlFence.Add(command, lease);
                    if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is bool existed)
                    {
                        return existed;
                    }
                }

                var state = await fence.InspectAsync(connection, cardId, ct).ConfigureAwait(false);
                if (state is null && lease is null)
                {
                    return false;
                }

                fence.ThrowIfFenced(cardId, lease, state);
                ThrowIfRacing(cardId, attempt);
            }
        }, cancellationToken);

    public Task SaveAsync(PipelineCheckpoint checkpoint, HeldLease? lease, CancellationToken cancellationToken) =>
        database.RunAsync(async (connection, ct) =>
        {
            await SaveWholeAsync(connection, lease, checkpoint, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Stores a whole checkpoint at its own version when <paramref name="expectedStoredVersion"/> is stored (null: no document).</summary>
    public Task ImportAsync(PipelineCheckpoint checkpoint, long? expectedStoredVersion, HeldLease? lease, CancellationToken cancellationToken)
    {
        var cardId = checkpoint.CardId;
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        return database.RunAsync(async (connection, ct) =>
        {
            for (var attempt = 0; ; attempt++)
            {
                using (var command = new NpgsqlCommand(lease is null ? database.Sql.ImportUnowned : database.Sql.ImportOwned, connection))
                {
                    AddDocument(command, checkpoint, document);
                    command.Parameters.Add(new NpgsqlParameter("expected", NpgsqlDbType.Bigint) { Value = (object?)expectedStoredVersion ?? DBNull.Value });
                    PostgreSqlFence.Add(command, lease);
                    if ((long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 1)
                    {
                        return true;
                    }
                }

                var state = await fence.InspectAsync(connection, cardId, ct).ConfigureAwait(false);
                fence.ThrowIfFenced(cardId, lease, state);
                var stored = state is { HasDocument: true } ? state.Version : (long?)null;
                if (stored != expectedStoredVersion)
                {
                    throw new CheckpointConflictException(cardId, stored ?? 0, checkpoint.Version, expectedStoredVersion);
                }

                if (state is null)
                {
                    // A write without ownership of a card that has no row yet: insert it (a concurrent insert wins; then retry).
                    if (await InsertFirstAsync(connection, checkpoint, document, ct).ConfigureAwait(false))
                    {
                        return true;
                    }
                }

                ThrowIfRacing(cardId, attempt);
            }
        }, cancellationToken);
    }

    /// <summary>Inserts the change row and bumps the card's version (the first change of a new card stores its whole document).</summary>
    /// <returns>Whether the change rows now outgrow the document, so that a fold is due, with the document's generation and the change rows' bytes.</returns>
    public Task<SavedChange> SaveChangeAsync(PipelineCheckpoint checkpoint, CheckpointChange change, HeldLease? lease, CancellationToken cancellationToken)
    {
        var cardId = checkpoint.CardId;
        var json = CheckpointJson.SerializeChange(change);
        var (kind, stageName) = Describe(change);
        return database.RunAsync(async (connection, ct) =>
        {
            for (var attempt = 0; ; attempt++)
            {
                using (var command = new NpgsqlCommand(lease is null ? database.Sql.SaveChangeUnowned : database.Sql.SaveChangeOwned, connection))
                {
                    command.Parameters.AddWithValue("card", cardId);
                    command.Parameters.AddWithValue("version", change.Version);
                    command.Parameters.AddWithValue("status", CheckpointJson.StatusName(checkpoint.Status));
                    command.Parameters.AddWithValue("change_bytes", (long)json.Length);
                    command.Parameters.AddWithValue("min_compaction", options.MinCompactionBytes);
                    command.Parameters.Add(new NpgsqlParameter("threshold", NpgsqlDbType.Bigint) { Value = (object?)options.FoldThresholdOverride ?? DBNull.Value });
                    command.Parameters.AddWithValue("kind", kind);
                    command.Parameters.Add(new NpgsqlParameter("stage", NpgsqlDbType.Text) { Value = (object?)stageName ?? DBNull.Value });
                    command.Parameters.Add(new NpgsqlParameter("change", NpgsqlDbType.Json) { Value = json });
                    PostgreSqlFence.Add(command, lease);
                    var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        if (await reader.ReadAsync(ct).ConfigureAwait(false))
                        {
                            return new SavedChange(reader.GetBoolean(0), reader.GetInt64(1), reader.GetInt64(2));
                        }
                    }
                }

                var state = await fence.InspectAsync(connection, cardId, ct).ConfigureAwait(false);
                fence.ThrowIfFenced(cardId, lease, state);
                var stored = state?.Version ?? 0;
                CheckpointConflictException.ThrowIfNotNext(cardId, stored, change.Version);

                if (state is null || !state.HasDocument)
                {
                    // Nothing stored yet (version 0): the first change stores the whole checkpoint.
                    await SaveWholeAsync(connection, lease, checkpoint, ct).ConfigureAwait(false);
                    return new SavedChange(false, 0, 0);
                }

                ThrowIfRacing(cardId, attempt);
            }
        }, cancellationToken);
    }

    private async Task SaveWholeAsync(NpgsqlConnection connection, HeldLease? lease, PipelineCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var cardId = checkpoint.CardId;
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        for (var attempt = 0; ; attempt++)
        {
            using (var command = new NpgsqlCommand(lease is null ? database.Sql.SaveUnowned : database.Sql.SaveOwned, connection))
            {
                AddDocument(command, checkpoint, document);
                PostgreSqlFence.Add(command, lease);
                if ((long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1)
                {
                    return;
                }
            }

            var state = await fence.InspectAsync(connection, cardId, cancellationToken).ConfigureAwait(false);
            fence.ThrowIfFenced(cardId, lease, state);
            var stored = state?.Version ?? 0;
            CheckpointConflictException.ThrowIfNotNext(cardId, stored, checkpoint.Version);

            if (state is null)
            {
                // A write without ownership of a card that has no row yet: insert it (a concurrent insert wins; then retry).
                if (await InsertFirstAsync(connection, checkpoint, document, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            ThrowIfRacing(cardId, attempt);
        }
    }

    /// <summary>Inserts a card's first row and document, for a write without ownership; false when a concurrent insert won.</summary>
    private async Task<bool> InsertFirstAsync(NpgsqlConnection connection, PipelineCheckpoint checkpoint, byte[] document, CancellationToken cancellationToken)
    {
        using var insert = new NpgsqlCommand(database.Sql.InsertFirst, connection);
        AddDocument(insert, checkpoint, document);
        return (long)(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1;
    }

    /// <summary>Adds a whole document's parameters, with a new generation (its identity, which a running fold checks before it switches).</summary>
    private static void AddDocument(NpgsqlCommand command, PipelineCheckpoint checkpoint, byte[] document)
    {
        command.Parameters.AddWithValue("generation", PostgreSqlDocumentFold.NewGeneration());
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

    /// <summary>A change row as saved: whether a fold is due, and the card's document generation and change rows' bytes right after it.</summary>
    public readonly record struct SavedChange(bool FoldDue, long DocumentGeneration, long ChangesBytes);
}
