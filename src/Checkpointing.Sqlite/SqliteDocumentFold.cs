using System.Collections.Concurrent;
using Checkpointing.Folding;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Checkpointing.Sqlite;

/// <summary>
/// Folds a card's change rows into a new stored document without holding SQLite's write lock for more than one chunk:
/// <list type="number">
/// <item>take the state a save offered (below), or read the document and change rows in a read transaction (WAL readers
/// do not block writers), and serialize the state outside any transaction;</item>
/// <item>write it as <see cref="SqliteCheckpointRepositoryOptions.FoldChunkBytes"/> chunks of a new generation
/// (<see cref="SqliteDocumentChunks"/>), one short write transaction each;</item>
/// <item>switch in one short transaction: only if the card still has the document that was folded
/// (<c>checkpoints.document_id</c>) and the caller may still write it, point the card at the new generation, subtract
/// the folded rows from its counters, and delete the folded change rows;</item>
/// <item>delete the old document and every other generation a few chunks per short transaction
/// (<see cref="DeleteUnnamedDocumentsAsync"/>): rows no card names, which no reader looks at.</item>
/// </list>
/// A background fold that a save of this repository requested while it owns the card does not read the document back
/// (parsing tens of MB into objects in the saving process costs its saves CPU and garbage collections): the save
/// <see cref="Offer">offers</see> the state it just wrote, with the document its change row belongs to and the change
/// rows' counters, and the fold serializes that state if the card still has that document (one short query), else reads.
/// Every write of the fold takes its turn with the repository's saves (<see cref="SqliteDatabase.WriteAsync"/>), so a save
/// waits for at most one chunk or the switch.
/// A crash before the switch leaves the old document and every change row: the new generation's chunks are garbage that
/// the next fold removes after its switch; a crash after it leaves the old document's rows, removed the same way. Saves made during the fold are change rows of later versions, which the switch keeps.
/// </summary>
internal sealed class SqliteDocumentFold(
    SqliteDatabase database, SqliteChangeWriter writer, SqliteCheckpointReader reader, SqliteCheckpointRepositoryOptions options, ILogger logger)
{
    /// <summary>How many chunks of replaced documents one transaction deletes (about 1 MiB of 128 KiB chunks).</summary>
    private const int DeletedChunksPerTransaction = 8;

    private readonly ConcurrentDictionary<string, FoldedState> _offered = new(StringComparer.Ordinal);

    /// <summary>Whether change rows of <paramref name="changeBytes"/> outgrow a document of <paramref name="documentBytes"/>.</summary>
    public static bool IsDue(long documentBytes, long changeBytes, SqliteCheckpointRepositoryOptions options) =>
        changeBytes > (options.CompactionBytesOverride ?? Math.Max(documentBytes, options.MinCompactionBytes));

    /// <summary>A new random identity for a stored document (never 0, the identity of documents stored before schema 5).</summary>
    public static long NewDocumentId() => Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>
    /// Records the state a save just wrote, so that the background fold it requests serializes it instead of reading the
    /// card back (a later version replaces an earlier one). Only for a card this repository owns: then no other writer
    /// writes it, and the state is the stored one.
    /// </summary>
    /// <param name="checkpoint">The state after the saved change.</param>
    /// <param name="saved">What the save left: the document its change row belongs to and the change rows' counters.</param>
    public void Offer(PipelineCheckpoint checkpoint, SqliteChangeWriter.SavedChange saved) =>
        _offered.AddOrUpdate(
            checkpoint.CardId,
            static (_, state) => state,
            static (_, current, state) => state.Checkpoint.Version >= current.Checkpoint.Version ? state : current,
            new FoldedState(checkpoint, saved.DocumentId, saved.ChangeBytes, saved.ChangeCount));

    /// <summary>Folds the card's change rows into a new document.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="onlyIfDue">Fold only when the change rows outgrow the document (a background fold); otherwise whenever there are any.</param>
    /// <param name="cancellationToken">Cancels the fold; what was written so far is garbage the next fold removes.</param>
    /// <returns>Whether a new document was switched in, there was nothing to fold, or the fold was dropped.</returns>
    public async Task<FoldOutcome> RunAsync(string cardId, bool onlyIfDue, CancellationToken cancellationToken)
    {
        try
        {
            return await FoldAsync(cardId, onlyIfDue, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Phase("idle");
        }
    }

    private async Task<FoldOutcome> FoldAsync(string cardId, bool onlyIfDue, CancellationToken cancellationToken)
    {
        var offered = onlyIfDue ? await OfferedAsync(cardId, cancellationToken).ConfigureAwait(false) : null;
        if (offered is null)
        {
            Phase("reading the card");
        }

        if ((offered ?? await ReadAsync(cardId, onlyIfDue, cancellationToken).ConfigureAwait(false)) is not { } folded)
        {
            if (!onlyIfDue)
            {
                // An explicit compaction is a write: like every write it is refused for a card another owner holds.
                await writer.WriteAsync(cardId, (_, _) => Task.FromResult(true), cancellationToken).ConfigureAwait(false);

                // It also finishes what a fold stopped after its switch (a crash, a failure) left.
                await DeleteUnnamedDocumentsAsync(cardId, cancellationToken).ConfigureAwait(false);
            }

            return FoldOutcome.NothingToFold;
        }

        // Pooled segments of about a chunk each: no array the size of the document, nor the copies a growing one makes.
        Phase("serializing");
        using var document = DocumentChunkWriter.Serialize(folded.Checkpoint, options.FoldChunkBytes);
        var generation = NewDocumentId();
        var chunks = 0;
        foreach (var chunk in document.Chunks())
        {
            Phase("writing a chunk");
            await WriteChunkAsync(cardId, generation, chunks, chunk, cancellationToken).ConfigureAwait(false);
            var checkpointed = database.WalCheckpoints.CommittedInBackgroundAsync(chunk.Length);
            if (!checkpointed.IsCompleted)
            {
                Phase("waiting for the WAL checkpoint");
                await checkpointed.ConfigureAwait(false);
            }

            chunks++;
            if (options.AfterFoldChunk is { } hook)
            {
                await hook(cardId, chunks, cancellationToken).ConfigureAwait(false);
            }
        }

        Phase("switching: taking the write lock");
        if (!await SwitchAsync(folded, generation, chunks, checked((int)document.Length), cancellationToken).ConfigureAwait(false))
        {
            SqliteLog.FoldAbandoned(logger, cardId, folded.Checkpoint.Version);
            Phase("deleting the abandoned generation");
            await database.WriteAsync(
                async (connection, transaction) =>
                {
                    await ExecuteAsync(
                        connection,
                        transaction,
                        "DELETE FROM checkpoint_document_chunks WHERE card_id = $card AND generation = $generation",
                        cancellationToken,
                        ("$card", cardId),
                        ("$generation", generation)).ConfigureAwait(false);
                    return true;
                },
                cancellationToken).ConfigureAwait(false);
            return FoldOutcome.Dropped;
        }

        RebaseOffer(folded, generation);
        await DeleteUnnamedDocumentsAsync(cardId, cancellationToken).ConfigureAwait(false);
        SqliteLog.Compacted(logger, cardId, folded.ChangeCount, folded.ChangeBytes, document.Length, folded.Checkpoint.Version);
        return FoldOutcome.Folded;
    }

    /// <summary>
    /// After a switch: a state offered meanwhile on the document just replaced (a save made during the fold) is still the
    /// stored state, now on the new document with the rows after the folded version, so the next fold can start from it
    /// instead of reading. An offer of the folded version or before is spent.
    /// </summary>
    private void RebaseOffer(FoldedState folded, long generation)
    {
        var cardId = folded.Checkpoint.CardId;
        while (_offered.TryGetValue(cardId, out var pending) && pending.DocumentId == folded.DocumentId)
        {
            var replaced = pending.Checkpoint.Version <= folded.Checkpoint.Version
                ? _offered.TryRemove(KeyValuePair.Create(cardId, pending))
                : _offered.TryUpdate(
                    cardId,
                    pending with { DocumentId = generation, ChangeBytes = pending.ChangeBytes - folded.ChangeBytes, ChangeCount = pending.ChangeCount - folded.ChangeCount },
                    pending);
            if (replaced)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The state a save offered, if the card still has the document that save wrote its change row on: the change rows
    /// up to its version are then exactly the ones it folds, whatever was saved after it. Otherwise (none offered, or the
    /// document was replaced since) null, and the fold reads the card.
    /// </summary>
    private async Task<FoldedState?> OfferedAsync(string cardId, CancellationToken cancellationToken)
    {
        if (!_offered.TryRemove(cardId, out var offered))
        {
            return null;
        }

        Phase("checking the offered state");
        var documentId = await database.ExecuteAsync(
            async connection =>
            {
                using var command = SqliteDatabase.Command(connection, null, "SELECT document_id FROM checkpoints WHERE card_id = $card", ("$card", cardId));
                return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
        return documentId is long id && id == offered.DocumentId ? offered : null;
    }

    private Task<FoldedState?> ReadAsync(string cardId, bool onlyIfDue, CancellationToken cancellationToken) =>
        database.ExecuteAsync(async connection =>
        {
            using var transaction = connection.BeginTransaction(deferred: true);
            using var command = SqliteDatabase.Command(
                connection,
                transaction,
                "SELECT document_id, document_bytes, change_bytes, change_count FROM checkpoints WHERE card_id = $card",
                ("$card", cardId));
            long documentId, documentBytes, changeBytes, changeCount;
            var row = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (row.ConfigureAwait(false))
            {
                if (!await row.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                (documentId, documentBytes, changeBytes, changeCount) = (row.GetInt64(0), row.GetInt64(1), row.GetInt64(2), row.GetInt64(3));
            }

            if (changeCount == 0 || (onlyIfDue && !IsDue(documentBytes, changeBytes, options)))
            {
                return null;
            }

            Phase("reading the document");
            var checkpoint = await reader.ReadAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false);
            return checkpoint is null ? null : new FoldedState(checkpoint, documentId, changeBytes, changeCount);
        }, cancellationToken);

    private Task<bool> WriteChunkAsync(string cardId, long generation, int chunk, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        database.WriteAsync(
            async (connection, transaction) =>
            {
                await SqliteDocumentChunks.WriteAsync(connection, transaction, cardId, generation, chunk, data, cancellationToken).ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    private Task<bool> SwitchAsync(FoldedState folded, long generation, int chunks, int documentBytes, CancellationToken cancellationToken)
    {
        var cardId = folded.Checkpoint.CardId;
        return writer.WriteAsync(cardId, async (connection, transaction) =>
        {
            using (var current = SqliteDatabase.Command(
                connection,
                transaction,
                """
                SELECT (SELECT document_id FROM checkpoints WHERE card_id = $card),
                       (SELECT COUNT(*) FROM checkpoint_document_chunks WHERE card_id = $card AND generation = $generation)
                """,
                ("$card", cardId),
                ("$generation", generation)))
            {
                var row = await current.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (row.ConfigureAwait(false))
                {
                    await row.ReadAsync(cancellationToken).ConfigureAwait(false);

                    // Another whole save, delete or fold replaced the document meanwhile (or removed this fold's chunks).
                    if (row.IsDBNull(0) || row.GetInt64(0) != folded.DocumentId || row.GetInt64(1) != chunks)
                    {
                        return false;
                    }
                }
            }

            Phase("switching: updating the card");
            await ExecuteAsync(
                connection,
                transaction,
                """
                UPDATE checkpoints SET
                    document_id = $generation, document_chunks = $chunks, document_bytes = $documentBytes,
                    change_bytes = change_bytes - $foldedBytes, change_count = change_count - $foldedCount
                WHERE card_id = $card
                """,
                cancellationToken,
                ("$card", cardId),
                ("$generation", generation),
                ("$chunks", chunks),
                ("$documentBytes", documentBytes),
                ("$foldedBytes", folded.ChangeBytes),
                ("$foldedCount", folded.ChangeCount)).ConfigureAwait(false);
            Phase("switching: deleting the folded change rows");
            await ExecuteAsync(
                connection,
                transaction,
                "DELETE FROM checkpoint_changes WHERE card_id = $card AND version <= $version",
                cancellationToken,
                ("$card", cardId),
                ("$version", folded.Checkpoint.Version)).ConfigureAwait(false);
            Phase("switching: committing");
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Deletes, <see cref="DeletedChunksPerTransaction"/> chunks per short transaction (each takes its turn with the saves),
    /// the documents the card no longer names: the one a switch replaced (chunks, or the row a whole save wrote) and the
    /// chunks of folds that never switched. A crash or failure midway leaves rows no card names, which the next fold,
    /// explicit compaction, whole save or delete of the card removes; a reader never looks at them.
    /// </summary>
    private async Task DeleteUnnamedDocumentsAsync(string cardId, CancellationToken cancellationToken)
    {
        Phase("deleting the old document");
        var more = true;
        while (more)
        {
            more = await database.WriteAsync(
                async (connection, transaction) =>
                {
                    await ExecuteAsync(
                        connection,
                        transaction,
                        "DELETE FROM checkpoint_documents WHERE card_id = $card AND (SELECT document_chunks FROM checkpoints WHERE card_id = $card) > 0",
                        cancellationToken,
                        ("$card", cardId)).ConfigureAwait(false);
                    using var delete = SqliteDatabase.Command(
                        connection,
                        transaction,
                        """
                        DELETE FROM checkpoint_document_chunks WHERE rowid IN (
                            SELECT rowid FROM checkpoint_document_chunks
                            WHERE card_id = $card
                              AND generation IS NOT (SELECT document_id FROM checkpoints WHERE card_id = $card AND document_chunks > 0)
                            LIMIT $batch)
                        """,
                        ("$card", cardId),
                        ("$batch", DeletedChunksPerTransaction));
                    return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == DeletedChunksPerTransaction;
                },
                cancellationToken).ConfigureAwait(false);
        }
    }

    private void Phase(string phase) => options.BackgroundActivity?.Invoke("fold", phase);

    private static async Task ExecuteAsync(
        SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        using var command = SqliteDatabase.Command(connection, transaction, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What a fold read or was offered: the state it writes, the document it replaces, and the change rows it folds.</summary>
    private sealed record FoldedState(PipelineCheckpoint Checkpoint, long DocumentId, long ChangeBytes, long ChangeCount);
}
