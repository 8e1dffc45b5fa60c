using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Checkpointing.Sqlite;

/// <summary>Reads cards: a card's document with its change rows applied, whether it exists, the list of cards.</summary>
internal sealed class SqliteCheckpointReader(SqliteDatabase database)
{
    public Task<PipelineCheckpoint?> LoadAsync(string cardId, CancellationToken cancellationToken) =>
        database.ExecuteAsync(async connection =>
        {
            // One read transaction: the document and its change rows are a consistent snapshot (WAL readers never block).
            using var transaction = connection.BeginTransaction(deferred: true);
            return await ReadAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public Task<bool> ExistsAsync(string cardId, CancellationToken cancellationToken) =>
        database.ExecuteAsync(async connection =>
        {
            using var command = SqliteDatabase.Command(connection, null, "SELECT EXISTS (SELECT 1 FROM checkpoints WHERE card_id = $card)", ("$card", cardId));
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) != 0;
        }, cancellationToken);

    public Task<IReadOnlyList<string>> ListCardIdsAsync(CancellationToken cancellationToken) =>
        database.ExecuteAsync<IReadOnlyList<string>>(async connection =>
        {
            using var command = SqliteDatabase.Command(connection, null, "SELECT card_id FROM checkpoints ORDER BY card_id");
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var ids = new List<string>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    ids.Add(reader.GetString(0));
                }

                return ids;
            }
        }, cancellationToken);

    /// <summary>Reads a card inside the caller's transaction (a load, or a compaction that folds the changes).</summary>
    public async Task<PipelineCheckpoint?> ReadAsync(
        SqliteConnection connection, SqliteTransaction transaction, string cardId, CancellationToken cancellationToken)
    {
        long storedVersion;
        PipelineCheckpoint checkpoint;
        using (var command = SqliteDatabase.Command(
            connection,
            transaction,
            """
            SELECT c.version, c.document_chunks, c.document_id, c.document_bytes, CAST(d.document AS BLOB)
            FROM checkpoints c LEFT JOIN checkpoint_documents d ON d.card_id = c.card_id AND c.document_chunks = 0
            WHERE c.card_id = $card
            """,
            ("$card", cardId)))
        {
            byte[] document;
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                // A card row without its document reads as no card, as the inner join of schema 3 and 4 did.
                var chunks = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetInt64(1) : -1;
                if (chunks < 0 || (chunks == 0 && reader.IsDBNull(4)))
                {
                    return null;
                }

                storedVersion = reader.GetInt64(0);

                document = chunks == 0
                    ? reader.GetFieldValue<byte[]>(4)
                    : await SqliteDocumentChunks.ReadAsync(
                        connection, transaction, cardId, reader.GetInt64(2), chunks, reader.GetInt64(3), DocumentSource(cardId), cancellationToken).ConfigureAwait(false);
            }

            checkpoint = CheckpointJson.DeserializeStoredCheckpoint(document, DocumentSource(cardId));
        }

        using (var command = SqliteDatabase.Command(
            connection, transaction, "SELECT version, CAST(change AS BLOB) FROM checkpoint_changes WHERE card_id = $card ORDER BY version", ("$card", cardId)))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var rowVersion = reader.GetInt64(0);
                    var source = $"{database.Path}#checkpoint_changes[card_id='{cardId}', version={rowVersion}]";
                    var change = CheckpointJson.DeserializeStoredChange(reader.GetFieldValue<byte[]>(1), source);
                    if (change.Version != rowVersion)
                    {
                        throw new CheckpointCorruptedException(source, null, $"the change has version {change.Version} in a row of version {rowVersion}");
                    }

                    checkpoint = CheckpointJson.ApplyStoredChange(checkpoint, change, source);
                }
            }
        }

        if (checkpoint.Version != storedVersion || !string.Equals(checkpoint.CardId, cardId, StringComparison.Ordinal))
        {
            throw new CheckpointCorruptedException(
                DocumentSource(cardId),
                null,
                $"the document and its changes give card '{checkpoint.CardId}' at version {checkpoint.Version}, but the row says card '{cardId}' at version {storedVersion}");
        }

        return checkpoint;
    }

    private string DocumentSource(string cardId) => $"{database.Path}#checkpoints[card_id='{cardId}']";
}
