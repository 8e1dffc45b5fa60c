using Npgsql;

namespace Checkpointing.PostgreSql;

/// <summary>Reads cards: a card's document with its change rows applied, whether it exists, the list of cards.</summary>
internal sealed class PostgreSqlCheckpointReader(PostgreSqlDatabase database)
{
    public Task<PipelineCheckpoint?> LoadAsync(string cardId, CancellationToken cancellationToken) =>
        database.RunAsync(async (connection, ct) => (await ReadAsync(connection, cardId, ct).ConfigureAwait(false))?.Checkpoint, cancellationToken);

    public Task<bool> ExistsAsync(string cardId, CancellationToken cancellationToken) =>
        database.RunAsync(async (connection, ct) =>
        {
            using var command = new NpgsqlCommand(database.Sql.Exists, connection);
            command.Parameters.AddWithValue("card", cardId);
            return (bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, cancellationToken);

    public Task<IReadOnlyList<string>> ListCardIdsAsync(CancellationToken cancellationToken) =>
        database.RunAsync<IReadOnlyList<string>>(async (connection, ct) =>
        {
            using var command = new NpgsqlCommand(database.Sql.List, connection);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            var ids = new List<string>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                ids.Add(reader.GetString(0));
            }

            return ids;
        }, cancellationToken);

    /// <summary>Reads a card with whether it is leased, how many bytes of changes it gathered and its document's generation (a fold needs them).</summary>
    public async Task<LoadedCheckpoint?> ReadAsync(NpgsqlConnection connection, string cardId, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(database.Sql.Load, connection);
        command.Parameters.AddWithValue("card", cardId);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var where = $"{database.Errors.Location} {database.Schema.Name}";
        var source = $"{where}.checkpoints card '{cardId}'";
        var version = reader.GetInt64(Column.Version);
        var documentVersion = reader.GetInt64(Column.DocumentVersion);
        var leased = reader.GetBoolean(Column.Leased);
        var generation = reader.GetInt64(Column.Generation);
        var chunks = reader.GetInt32(Column.Chunks);
        var documentBytes = reader.GetInt64(Column.DocumentBytes);
        byte[] document;
        bool more;
        if (chunks == 0)
        {
            if (reader.IsDBNull(Column.Document))
            {
                throw new CheckpointCorruptedException(source, null, $"the row names document generation {generation}, which {database.Schema.Documents} does not hold");
            }

            document = reader.GetFieldValue<byte[]>(Column.Document);
            more = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var assembly = new ChunkedDocument(generation, chunks, documentBytes, $"{source} ({database.Schema.DocumentChunks})");
            while ((more = await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) && reader.GetInt32(Column.Part) == Part.Chunk)
            {
                var length = reader.GetBytes(Column.Data, 0, null, 0, 0);
                var offset = assembly.Reserve(reader.GetInt64(Column.Seq), length);
                reader.GetBytes(Column.Data, 0, assembly.Buffer, offset, (int)length);
            }

            document = assembly.Complete();
        }

        var checkpoint = CheckpointJson.DeserializeStoredCheckpoint(document, source);
        if (checkpoint.Version != documentVersion)
        {
            throw new CheckpointCorruptedException(source, null, $"the document is at version {checkpoint.Version} but the row says {documentVersion}");
        }

        long changeBytes = 0;
        for (; more; more = await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var changeVersion = reader.GetInt64(Column.Seq);
            var changeSource = $"{where}.checkpoint_changes card '{cardId}' version {changeVersion}";
            var json = reader.GetFieldValue<byte[]>(Column.Change);
            changeBytes += json.Length;
            var change = CheckpointJson.DeserializeStoredChange(json, changeSource);
            if (change.Version != changeVersion)
            {
                throw new CheckpointCorruptedException(changeSource, null, $"the change has version {change.Version} in a row of version {changeVersion}");
            }

            checkpoint = CheckpointJson.ApplyStoredChange(checkpoint, change, changeSource);
        }

        if (checkpoint.Version != version)
        {
            throw new CheckpointCorruptedException(source, null, $"the row is at version {version} but its document and changes reach only {checkpoint.Version}");
        }

        return new LoadedCheckpoint(checkpoint, leased, changeBytes, document.Length, generation);
    }

    /// <summary>A card as read, with whether it is leased, the bytes of its change rows and document, and the document's generation.</summary>
    public sealed record LoadedCheckpoint(PipelineCheckpoint Checkpoint, bool Leased, long ChangeBytes, long DocumentBytes, long DocumentGeneration);

    /// <summary>The columns of <see cref="PostgreSqlStatements.Load"/>.</summary>
    private static class Column
    {
        public const int Part = 0;
        public const int Seq = 1;
        public const int Version = 2;
        public const int DocumentVersion = 3;
        public const int Document = 4;
        public const int Data = 5;
        public const int Change = 6;
        public const int Leased = 7;
        public const int Generation = 8;
        public const int Chunks = 9;
        public const int DocumentBytes = 10;
    }

    /// <summary>The kinds of row of <see cref="PostgreSqlStatements.Load"/> (column <c>part</c>).</summary>
    private static class Part
    {
        public const int Chunk = 1;
    }
}
