using Microsoft.Data.Sqlite;

namespace Checkpointing.Sqlite;

/// <summary>
/// A document stored as rows of <c>checkpoint_document_chunks(card_id, generation, chunk, data)</c>: one generation per
/// background fold, read back in chunk order. Rows of a generation that <c>checkpoints.document_id</c> does not name are
/// garbage of a fold that did not finish; the next fold of the card, a whole save and a delete remove them.
/// </summary>
internal static class SqliteDocumentChunks
{
    /// <summary>Reads a document of <paramref name="chunks"/> chunks and <paramref name="bytes"/> bytes in the caller's transaction.</summary>
    /// <exception cref="CheckpointCorruptedException">A chunk is missing or the sizes do not add up.</exception>
    public static async Task<byte[]> ReadAsync(
        SqliteConnection connection,
        SqliteTransaction transaction,
        string cardId,
        long generation,
        long chunks,
        long bytes,
        string source,
        CancellationToken cancellationToken)
    {
        if (bytes < 0 || bytes > Array.MaxLength)
        {
            throw new CheckpointCorruptedException(source, null, $"the document size {bytes} is out of range");
        }

        var document = new byte[bytes];
        var filled = 0L;
        var next = 0L;
        using var command = SqliteDatabase.Command(
            connection,
            transaction,
            "SELECT chunk, data FROM checkpoint_document_chunks WHERE card_id = $card AND generation = $generation ORDER BY chunk",
            ("$card", cardId),
            ("$generation", generation));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var length = reader.GetBytes(1, 0, null, 0, 0);
                if (reader.GetInt64(0) != next || filled + length > bytes)
                {
                    throw new CheckpointCorruptedException(source, null, $"chunk {reader.GetInt64(0)} of document generation {generation} does not follow chunk {next - 1} or overruns {bytes} bytes");
                }

                reader.GetBytes(1, 0, document, (int)filled, (int)length);
                filled += length;
                next++;
            }
        }

        if (next != chunks || filled != bytes)
        {
            throw new CheckpointCorruptedException(source, null, $"document generation {generation} has {next} chunks and {filled} bytes; the card row says {chunks} and {bytes}");
        }

        return document;
    }

    /// <summary>Inserts one chunk of a generation (in the caller's transaction).</summary>
    public static async Task WriteAsync(
        SqliteConnection connection, SqliteTransaction transaction, string cardId, long generation, int chunk, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        using var insert = SqliteDatabase.Command(
            connection,
            transaction,
            "INSERT INTO checkpoint_document_chunks (card_id, generation, chunk, data) VALUES ($card, $generation, $chunk, $data)",
            ("$card", cardId),
            ("$generation", generation),
            ("$chunk", chunk));
        insert.Parameters.Add("$data", SqliteType.Blob).Value = data.ToArray();
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes every chunk of a card except those of <paramref name="keep"/> (null: all of them).</summary>
    public static async Task DeleteAllButAsync(
        SqliteConnection connection, SqliteTransaction transaction, string cardId, long? keep, CancellationToken cancellationToken)
    {
        using var delete = SqliteDatabase.Command(
            connection,
            transaction,
            "DELETE FROM checkpoint_document_chunks WHERE card_id = $card AND generation IS NOT $keep",
            ("$card", cardId),
            ("$keep", keep));
        await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
