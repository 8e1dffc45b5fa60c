using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Checkpointing.Sqlite;

/// <summary>
/// Writes cards: each write is one <c>BEGIN IMMEDIATE</c> transaction that first checks the writer may write the card
/// (<see cref="SqliteCardOwners.EnsureWriterAsync"/>) and the version, then inserts a change row or replaces the document.
/// Folding change rows into the document is not done here but by <see cref="SqliteDocumentFold"/>, off the saver's path.
/// </summary>
internal sealed class SqliteChangeWriter(SqliteDatabase database, SqliteCardOwners owners, SqliteCheckpointRepositoryOptions options)
{
    public Task<bool> DeleteAsync(string cardId, CancellationToken cancellationToken) =>
        WriteAsync(cardId, async (connection, transaction) =>
        {
            using var changes = SqliteDatabase.Command(connection, transaction, "DELETE FROM checkpoint_changes WHERE card_id = $card", ("$card", cardId));
            await changes.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            using var document = SqliteDatabase.Command(connection, transaction, "DELETE FROM checkpoint_documents WHERE card_id = $card", ("$card", cardId));
            await document.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await SqliteDocumentChunks.DeleteAllButAsync(connection, transaction, cardId, null, cancellationToken).ConfigureAwait(false);
            using var row = SqliteDatabase.Command(connection, transaction, "DELETE FROM checkpoints WHERE card_id = $card", ("$card", cardId));
            return await row.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }, cancellationToken);

    public async Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        await WriteAsync(checkpoint.CardId, async (connection, transaction) =>
        {
            var stored = await ReadStoredStateAsync(connection, transaction, checkpoint.CardId, cancellationToken).ConfigureAwait(false);
            EnsureVersion(checkpoint.CardId, stored?.Version ?? 0, checkpoint.Version);
            await WriteDocumentAsync(connection, transaction, checkpoint, document, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        database.WalCheckpoints.Committed(document.Length);
    }

    /// <summary>Stores a whole checkpoint at its own version when <paramref name="expectedStoredVersion"/> is stored (null: nothing).</summary>
    public async Task ImportAsync(PipelineCheckpoint checkpoint, long? expectedStoredVersion, CancellationToken cancellationToken)
    {
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
        database.WalCheckpoints.Committed(document.Length);
    }

    /// <summary>Inserts the change row and bumps the card's counters (the first change of a new card writes its document).</summary>
    /// <returns>Whether the change rows now outgrow the document, so that a fold is due, with the document the row belongs to and the change rows' counters after it.</returns>
    public async Task<SavedChange> SaveChangeAsync(PipelineCheckpoint checkpoint, CheckpointChange change, CancellationToken cancellationToken)
    {
        var changeJson = CheckpointJson.SerializeChange(change);
        var stored = 0L;
        var saved = await WriteAsync(checkpoint.CardId, async (connection, transaction) =>
        {
            var state = await ReadStoredStateAsync(connection, transaction, checkpoint.CardId, cancellationToken).ConfigureAwait(false);
            EnsureVersion(checkpoint.CardId, state?.Version ?? 0, change.Version);
            if (state is null)
            {
                var document = CheckpointJson.SerializeCheckpoint(checkpoint);
                await WriteDocumentAsync(connection, transaction, checkpoint, document, cancellationToken).ConfigureAwait(false);
                stored = document.Length;
                return new SavedChange(false, 0, 0, 0);
            }

            using var insert = SqliteDatabase.Command(
                connection,
                transaction,
                "INSERT INTO checkpoint_changes (card_id, version, change) VALUES ($card, $version, CAST($change AS TEXT))",
                ("$card", checkpoint.CardId),
                ("$version", change.Version),
                ("$change", changeJson));
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            using var update = SqliteDatabase.Command(
                connection,
                transaction,
                """
                UPDATE checkpoints
                SET version = $version, change_bytes = change_bytes + $bytes, change_count = change_count + 1, updated_at = $updatedAt
                WHERE card_id = $card
                """,
                ("$card", checkpoint.CardId),
                ("$version", change.Version),
                ("$bytes", changeJson.Length),
                ("$updatedAt", FormatTimestamp(checkpoint.UpdatedAt)));
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            stored = changeJson.Length;
            var changeBytes = state.Value.ChangeBytes + changeJson.Length;
            return new SavedChange(
                SqliteDocumentFold.IsDue(state.Value.DocumentBytes, changeBytes, options), state.Value.DocumentId, changeBytes, state.Value.ChangeCount + 1);
        }, cancellationToken).ConfigureAwait(false);
        database.WalCheckpoints.Committed(stored);
        return saved;
    }

    private static async Task<StoredState?> ReadStoredStateAsync(
        SqliteConnection connection, SqliteTransaction transaction, string cardId, CancellationToken cancellationToken)
    {
        using var command = SqliteDatabase.Command(
            connection, transaction, "SELECT version, document_bytes, change_bytes, change_count, document_id FROM checkpoints WHERE card_id = $card", ("$card", cardId));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new StoredState(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4))
                : null;
        }
    }

    private static async Task WriteDocumentAsync(
        SqliteConnection connection, SqliteTransaction transaction, PipelineCheckpoint checkpoint, byte[] document, CancellationToken cancellationToken)
    {
        using var upsert = SqliteDatabase.Command(
            connection,
            transaction,
            """
            INSERT INTO checkpoints (card_id, version, updated_at, document_bytes, change_bytes, change_count, document_id, document_chunks)
            VALUES ($card, $version, $updatedAt, $documentBytes, 0, 0, $documentId, 0)
            ON CONFLICT (card_id) DO UPDATE SET
                version = excluded.version, updated_at = excluded.updated_at,
                document_bytes = excluded.document_bytes, change_bytes = 0, change_count = 0,
                document_id = excluded.document_id, document_chunks = 0
            """,
            ("$card", checkpoint.CardId),
            ("$documentId", SqliteDocumentFold.NewDocumentId()),
            ("$version", checkpoint.Version),
            ("$updatedAt", FormatTimestamp(checkpoint.UpdatedAt)),
            ("$documentBytes", document.Length));
        await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        using var write = SqliteDatabase.Command(
            connection,
            transaction,
            """
            INSERT INTO checkpoint_documents (card_id, document) VALUES ($card, CAST($document AS TEXT))
            ON CONFLICT (card_id) DO UPDATE SET document = excluded.document
            """,
            ("$card", checkpoint.CardId),
            ("$document", document));
        await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        using var changes = SqliteDatabase.Command(connection, transaction, "DELETE FROM checkpoint_changes WHERE card_id = $card", ("$card", checkpoint.CardId));
        await changes.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await SqliteDocumentChunks.DeleteAllButAsync(connection, transaction, checkpoint.CardId, null, cancellationToken).ConfigureAwait(false);
    }

    private static void EnsureVersion(string cardId, long storedVersion, long newVersion) =>
        CheckpointConflictException.ThrowIfNotNext(cardId, storedVersion, newVersion);

    /// <summary>Formats <c>updated_at</c>.</summary>
    internal static string FormatTimestamp(DateTimeOffset value) => value.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);

    /// <summary>
    /// Runs <paramref name="write"/> in one <c>BEGIN IMMEDIATE</c> transaction (<see cref="SqliteDatabase.WriteAsync"/>)
    /// after checking that this repository may write the card, and commits it unless cancellation was requested first.
    /// </summary>
    internal Task<T> WriteAsync<T>(string cardId, Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return database.WriteAsync(
            async (connection, transaction) =>
            {
                await owners.EnsureWriterAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false);
                return await write(connection, transaction).ConfigureAwait(false);
            },
            cancellationToken);
    }

    /// <summary>What a write needs to know about a stored card, without reading its document.</summary>
    private readonly record struct StoredState(long Version, long DocumentBytes, long ChangeBytes, long ChangeCount, long DocumentId);

    /// <summary>What a saved change row left: whether a fold is due, the document the row belongs to, and the card's change rows (bytes, count) after it.</summary>
    public readonly record struct SavedChange(bool FoldDue, long DocumentId, long ChangeBytes, long ChangeCount);
}
