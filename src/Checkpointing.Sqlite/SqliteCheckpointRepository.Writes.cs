using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Checkpointing.Sqlite;

public sealed partial class SqliteCheckpointRepository
{
    /// <inheritdoc/>
    public async Task<bool> DeleteAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        return await WriteAsync(cardId, async (connection, transaction) =>
        {
            using var changes = Command(connection, transaction, "DELETE FROM checkpoint_changes WHERE card_id = $card", ("$card", cardId));
            await changes.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            using var document = Command(connection, transaction, "DELETE FROM checkpoint_documents WHERE card_id = $card", ("$card", cardId));
            await document.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            using var row = Command(connection, transaction, "DELETE FROM checkpoints WHERE card_id = $card", ("$card", cardId));
            return await row.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CardIds.Validate(checkpoint.CardId, nameof(checkpoint));
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        await WriteAsync(checkpoint.CardId, async (connection, transaction) =>
        {
            var stored = await ReadStoredStateAsync(connection, transaction, checkpoint.CardId, cancellationToken).ConfigureAwait(false);
            EnsureVersion(checkpoint.CardId, stored?.Version ?? 0, checkpoint.Version);
            await WriteDocumentAsync(connection, transaction, checkpoint, document, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task SaveChangeAsync(AppliedChange applied, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(applied);
        var (checkpoint, change) = (applied.Checkpoint, applied.Change);
        CardIds.Validate(checkpoint.CardId, nameof(checkpoint));

        var changeJson = CheckpointJson.SerializeChange(change);
        await WriteAsync(checkpoint.CardId, async (connection, transaction) =>
        {
            var stored = await ReadStoredStateAsync(connection, transaction, checkpoint.CardId, cancellationToken).ConfigureAwait(false);
            EnsureVersion(checkpoint.CardId, stored?.Version ?? 0, change.Version);
            if (stored is not { } state)
            {
                await WriteDocumentAsync(connection, transaction, checkpoint, CheckpointJson.SerializeCheckpoint(checkpoint), cancellationToken).ConfigureAwait(false);
                return true;
            }

            var changeBytes = state.ChangeBytes + changeJson.Length;
            if (changeBytes > Math.Max(state.DocumentBytes, _options.MinCompactionBytes))
            {
                // The change rows would outgrow the document: write the new state as the document instead (a compaction).
                var document = CheckpointJson.SerializeCheckpoint(checkpoint);
                await WriteDocumentAsync(connection, transaction, checkpoint, document, cancellationToken).ConfigureAwait(false);
                SqliteLog.Compacted(_logger, checkpoint.CardId, state.ChangeCount + 1, changeBytes, document.Length, checkpoint.Version);
                return true;
            }

            using var insert = Command(
                connection,
                transaction,
                "INSERT INTO checkpoint_changes (card_id, version, change) VALUES ($card, $version, CAST($change AS TEXT))",
                ("$card", checkpoint.CardId),
                ("$version", change.Version),
                ("$change", changeJson));
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            using var update = Command(
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
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task CompactAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        await WriteAsync(cardId, async (connection, transaction) =>
        {
            var stored = await ReadStoredStateAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false);
            if (stored is not { ChangeCount: > 0 } state)
            {
                return false;
            }

            var checkpoint = (await ReadAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false))!;
            var document = CheckpointJson.SerializeCheckpoint(checkpoint);
            await WriteDocumentAsync(connection, transaction, checkpoint, document, cancellationToken).ConfigureAwait(false);
            SqliteLog.Compacted(_logger, cardId, state.ChangeCount, state.ChangeBytes, document.Length, checkpoint.Version);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="write"/> in one <c>BEGIN IMMEDIATE</c> transaction after checking that this repository may
    /// write the card, and commits it unless cancellation was requested first.
    /// </summary>
    private Task<T> WriteAsync<T>(string cardId, Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ExecuteAsync(async connection =>
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            await EnsureWriterAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false);
            var result = await write(connection, transaction).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            transaction.Commit();
            return result;
        }, cancellationToken);
    }

    private static async Task<StoredState?> ReadStoredStateAsync(
        SqliteConnection connection, SqliteTransaction transaction, string cardId, CancellationToken cancellationToken)
    {
        using var command = Command(
            connection, transaction, "SELECT version, document_bytes, change_bytes, change_count FROM checkpoints WHERE card_id = $card", ("$card", cardId));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new StoredState(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3))
                : null;
        }
    }

    private static async Task WriteDocumentAsync(
        SqliteConnection connection, SqliteTransaction transaction, PipelineCheckpoint checkpoint, byte[] document, CancellationToken cancellationToken)
    {
        using var upsert = Command(
            connection,
            transaction,
            """
            INSERT INTO checkpoints (card_id, version, updated_at, document_bytes, change_bytes, change_count)
            VALUES ($card, $version, $updatedAt, $documentBytes, 0, 0)
            ON CONFLICT (card_id) DO UPDATE SET
                version = excluded.version, updated_at = excluded.updated_at,
                document_bytes = excluded.document_bytes, change_bytes = 0, change_count = 0
            """,
            ("$card", checkpoint.CardId),
            ("$version", checkpoint.Version),
            ("$updatedAt", FormatTimestamp(checkpoint.UpdatedAt)),
            ("$documentBytes", document.Length));
        await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        using var write = Command(
            connection,
            transaction,
            """
            INSERT INTO checkpoint_documents (card_id, document) VALUES ($card, CAST($document AS TEXT))
            ON CONFLICT (card_id) DO UPDATE SET document = excluded.document
            """,
            ("$card", checkpoint.CardId),
            ("$document", document));
        await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        using var changes = Command(connection, transaction, "DELETE FROM checkpoint_changes WHERE card_id = $card", ("$card", checkpoint.CardId));
        await changes.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What a write needs to know about a stored card, without reading its document.</summary>
    private readonly record struct StoredState(long Version, long DocumentBytes, long ChangeBytes, long ChangeCount);

    private static void EnsureVersion(string cardId, long storedVersion, long newVersion) =>
        CheckpointConflictException.ThrowIfNotNext(cardId, storedVersion, newVersion);

    private static string FormatTimestamp(DateTimeOffset value) => value.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);
}
