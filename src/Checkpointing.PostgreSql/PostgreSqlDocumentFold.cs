using System.Collections.Concurrent;
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
/// A background fold that a save of this repository requested does not read the document back (parsing tens of MB into
/// objects in the saving process is what would cost its saves: CPU and garbage collections): the save
/// <see cref="Offer">offers</see> the state it just wrote, with the document generation and change-row bytes its statement
/// returned, and the fold serializes that state if the card still has that generation (one short query), else reads.
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
    private readonly ConcurrentDictionary<string, SavedState> _saved = new(StringComparer.Ordinal);

    /// <summary>A new random document generation (never 0, the generation of documents stored before schema 3).</summary>
    public static long NewGeneration() => Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>
    /// Records the state a save just wrote, so that the background fold it requests serializes it instead of reading the
    /// card back; a later version replaces an earlier one.
    /// </summary>
    /// <param name="checkpoint">The state after the saved change.</param>
    /// <param name="saved">What the save's statement returned: the document generation the change row belongs to and the change rows' bytes.</param>
    public void Offer(PipelineCheckpoint checkpoint, PostgreSqlChangeWriter.SavedChange saved) =>
        _saved.AddOrUpdate(
            checkpoint.CardId,
            static (_, state) => state,
            static (_, current, state) => state.Checkpoint.Version >= current.Checkpoint.Version ? state : current,
            new SavedState(checkpoint, saved.DocumentGeneration, saved.ChangesBytes));

    /// <summary>Folds the card's change rows into a new document.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="onlyIfDue">Fold only when the change rows outgrow the document (a background fold); otherwise whenever there are any.</param>
    /// <param name="cancellationToken">Cancels the fold; a document written and not switched in is garbage the next switch removes.</param>
    /// <returns>Whether a new document was switched in, there was nothing to fold, or the fold was dropped.</returns>
    /// <exception cref="CheckpointLockedException">Another worker's lease holds the card and this repository has none.</exception>
    /// <exception cref="CheckpointLeaseLostException">This repository's lease on the card was taken over.</exception>
    public async Task<FoldOutcome> RunAsync(string cardId, bool onlyIfDue, CancellationToken cancellationToken)
    {
        var start = onlyIfDue ? await FromSavedStateAsync(cardId, cancellationToken).ConfigureAwait(false) : Start.Read;
        if (ReferenceEquals(start, Start.NothingDue))
        {
            return FoldOutcome.NothingToFold;
        }

        var loaded = start.Offered
            ?? await database.RunAsync((connection, ct) => reader.ReadAsync(connection, cardId, ct), cancellationToken).ConfigureAwait(false);
        if (loaded is null)
        {
            return FoldOutcome.NothingToFold;
        }

        if (!onlyIfDue && leases.Find(cardId) is null && loaded.Leased)
        {
            // An explicit compaction is a write: like every write it is refused for a card another worker holds.
            throw fence.Locked(cardId, await database.RunAsync((connection, ct) => fence.InspectAsync(connection, cardId, ct), cancellationToken).ConfigureAwait(false), TimeSpan.Zero);
        }

        if (loaded.ChangeBytes == 0 || (onlyIfDue && start.Offered is null && !IsDue(loaded.DocumentBytes, loaded.ChangeBytes)))
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

    /// <summary>
    /// Where a background fold starts. From the state a save offered if the card still has the document generation that
    /// save wrote its change row on: the change rows up to its version are then exactly the ones it folds, whatever was
    /// saved after it. Otherwise (none offered, or the document was replaced since, by another fold most often) from a
    /// read of the card, if its row's byte counts say a fold is still due.
    /// </summary>
    private async Task<Start> FromSavedStateAsync(string cardId, CancellationToken cancellationToken)
    {
        if (!_saved.TryRemove(cardId, out var saved))
        {
            return Start.Read;
        }

        var state = await database.RunAsync((connection, ct) => fence.InspectAsync(connection, cardId, ct), cancellationToken).ConfigureAwait(false);
        if (state?.DocumentGeneration == saved.DocumentGeneration)
        {
            return new Start(new PostgreSqlCheckpointReader.LoadedCheckpoint(saved.Checkpoint, state.Leased, saved.ChangesBytes, state.DocumentBytes, saved.DocumentGeneration));
        }

        return state is { HasDocument: true } && IsDue(state.DocumentBytes, state.ChangesBytes) ? Start.Read : Start.NothingDue;
    }

    private bool IsDue(long documentBytes, long changeBytes) =>
        changeBytes > (options.FoldThresholdOverride ?? Math.Max(documentBytes, options.MinCompactionBytes));

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

    /// <summary>Where a background fold starts: an offered state, a read of the card, or nowhere (nothing is due).</summary>
    /// <remarks>A class, not a record: <see cref="Read"/> and <see cref="NothingDue"/> are told apart by reference.</remarks>
    private sealed class Start(PostgreSqlCheckpointReader.LoadedCheckpoint? offered)
    {
        public static readonly Start Read = new(null);

        public static readonly Start NothingDue = new(null);

        public PostgreSqlCheckpointReader.LoadedCheckpoint? Offered { get; } = offered;
    }

    /// <summary>A state a save wrote, with the document generation its change row belongs to and the change rows' bytes after it.</summary>
    private sealed record SavedState(PipelineCheckpoint Checkpoint, long DocumentGeneration, long ChangesBytes);
}
