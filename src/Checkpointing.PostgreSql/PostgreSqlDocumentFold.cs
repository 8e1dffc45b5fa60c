using Checkpointing.Folding;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Checkpointing.PostgreSql;

/// <summary>
/// Folds a card's change rows into a new stored document without holding the card's row lock for more than one short
/// statement, so saves never wait for it:
/// <list type="number">
/// <item>read the document and the change rows after it in one statement (one snapshot; a read never blocks a writer) and
/// serialize the state outside any transaction;</item>
/// <item>insert the new document into <c>checkpoint_document_chunks</c> as a generation the card's row does not name (no lock
/// on the row: saves go on), <see cref="PostgreSqlCheckpointRepositoryOptions.FoldChunkBytes"/> (1 MiB) per statement, each
/// its own transaction: a save that commits meanwhile waits behind at most one chunk's WAL, not the whole document's;</item>
/// <item>switch in one fenced statement: only if the card still has the generation that was read (every whole save, import,
/// delete and fold replaces it) and the lease (or, without one, nobody's lease) still allows the write, point the card at the
/// new generation, subtract the folded rows' bytes, and delete the folded change rows and every other generation.</item>
/// </list>
/// A crash or lost connection before the switch leaves the old document and every change row; the new generation's chunks
/// are rows no card names, which the next switch, whole save or delete removes. Saves made during the fold are change rows of later
/// versions, which the switch keeps.
/// </summary>
internal sealed class PostgreSqlDocumentFold(
    PostgreSqlDatabase database,
    PostgreSqlCheckpointReader reader,
    PostgreSqlFence fence,
    PostgreSqlCardLeases leases,
    PostgreSqlCheckpointRepositoryOptions options,
    ILogger logger)
{
    /// <summary>A new random document generation (never 0, the generation of documents stored before schema 3).</summary>
    public static long NewGeneration() => Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>Folds the card's change rows into a new document.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="onlyIfDue">Fold only when the change rows outgrow the document (a background fold); otherwise whenever there are any.</param>
    /// <param name="cancellationToken">Cancels the fold; a document written and not switched in is garbage the next switch removes.</param>
    /// <returns>Whether a new document was switched in, there was nothing to fold, or the fold was dropped.</returns>
    /// <exception cref="CheckpointLockedException">Another worker's lease holds the card and this repository has none.</exception>
    /// <exception cref="CheckpointLeaseLostException">This repository's lease on the card was taken over.</exception>
    public async Task<FoldOutcome> RunAsync(string cardId, bool onlyIfDue, CancellationToken cancellationToken)
    {
        var loaded = await database.RunAsync((connection, ct) => reader.ReadAsync(connection, cardId, ct), cancellationToken).ConfigureAwait(false);
        if (loaded is null)
        {
            return FoldOutcome.NothingToFold;
        }

        if (!onlyIfDue && leases.Find(cardId) is null && loaded.Leased)
        {
            // An explicit compaction is a write: like every write it is refused for a card another worker holds.
            throw fence.Locked(cardId, await database.RunAsync((connection, ct) => fence.InspectAsync(connection, cardId, ct), cancellationToken).ConfigureAwait(false), TimeSpan.Zero);
        }

        if (loaded.ChangeBytes == 0 || (onlyIfDue && !IsDue(loaded)))
        {
            return FoldOutcome.NothingToFold;
        }

        var checkpoint = loaded.Checkpoint;
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        var generation = NewGeneration();
        var chunks = 0;
        bool switched;
        try
        {
            for (var offset = 0; offset < document.Length; offset += options.FoldChunkBytes)
            {
                var chunk = document.AsMemory(offset, Math.Min(options.FoldChunkBytes, document.Length - offset));
                await WriteChunkAsync(cardId, generation, chunks, chunk, cancellationToken).ConfigureAwait(false);
                chunks++;
                if (options.AfterFoldChunk is { } chunkHook)
                {
                    await chunkHook(cardId, chunks, cancellationToken).ConfigureAwait(false);
                }
            }

            if (options.AfterFoldDocumentWritten is { } hook)
            {
                await hook(cardId, cancellationToken).ConfigureAwait(false);
            }

            switched = await SwitchAsync(loaded, generation, chunks, document.Length, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await TryRemoveAsync(cardId, generation).ConfigureAwait(false);
            throw;
        }

        if (!switched)
        {
            PostgreSqlLog.FoldDropped(logger, cardId, checkpoint.Version);
            await TryRemoveAsync(cardId, generation).ConfigureAwait(false);
            return FoldOutcome.Dropped;
        }

        PostgreSqlLog.Compacted(logger, cardId, loaded.ChangeBytes, document.Length, checkpoint.Version);
        return FoldOutcome.Folded;
    }

    private bool IsDue(PostgreSqlCheckpointReader.LoadedCheckpoint loaded) =>
        loaded.ChangeBytes > (options.FoldThresholdOverride ?? Math.Max(loaded.DocumentBytes, options.MinCompactionBytes));

    /// <summary>Switches the card to the new generation; false when the document was replaced meanwhile (the fence's refusals throw).</summary>
    private Task<bool> SwitchAsync(PostgreSqlCheckpointReader.LoadedCheckpoint loaded, long generation, int chunks, int documentBytes, CancellationToken cancellationToken) =>
        database.RunAsync(
            async (connection, ct) =>
            {
                var cardId = loaded.Checkpoint.CardId;
                var lease = leases.Find(cardId);
                using (var command = new NpgsqlCommand(lease is null ? database.Sql.SwitchFoldUnowned : database.Sql.SwitchFoldOwned, connection))
                {
                    command.Parameters.AddWithValue("card", cardId);
                    command.Parameters.AddWithValue("generation", generation);
                    command.Parameters.AddWithValue("chunks", chunks);
                    command.Parameters.AddWithValue("from", loaded.DocumentGeneration);
                    command.Parameters.AddWithValue("version", loaded.Checkpoint.Version);
                    command.Parameters.AddWithValue("document_bytes", (long)documentBytes);
                    command.Parameters.AddWithValue("folded_bytes", loaded.ChangeBytes);
                    PostgreSqlFence.Add(command, lease);
                    if ((long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 1)
                    {
                        return true;
                    }
                }

                var state = await fence.InspectAsync(connection, cardId, ct).ConfigureAwait(false);
                if (state?.DocumentGeneration != loaded.DocumentGeneration)
                {
                    return false;
                }

                fence.ThrowIfFenced(cardId, lease, state);
                return false;
            },
            cancellationToken);

    /// <summary>Inserts one chunk of the new document: one statement, so one short transaction of its own.</summary>
    private Task<int> WriteChunkAsync(string cardId, long generation, int chunk, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        database.RunAsync(
            async (connection, ct) =>
            {
                using var insert = new NpgsqlCommand(database.Sql.WriteFoldChunk, connection);
                insert.Parameters.AddWithValue("card", cardId);
                insert.Parameters.AddWithValue("generation", generation);
                insert.Parameters.AddWithValue("chunk", chunk);
                insert.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>>("data", NpgsqlDbType.Bytea) { TypedValue = data });
                return await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            },
            cancellationToken);

    /// <summary>Deletes the chunks of a fold's document that was not switched in; a failure leaves garbage that the next switch removes.</summary>
    private async Task TryRemoveAsync(string cardId, long generation)
    {
        try
        {
            await database.RunAsync(
                async (connection, ct) =>
                {
                    using var delete = new NpgsqlCommand(database.Sql.RemoveFoldChunks, connection);
                    delete.Parameters.AddWithValue("card", cardId);
                    delete.Parameters.AddWithValue("generation", generation);
                    return await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                },
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (CheckpointException ex)
        {
            PostgreSqlLog.FoldFailed(logger, cardId, ex);
        }
    }
}
