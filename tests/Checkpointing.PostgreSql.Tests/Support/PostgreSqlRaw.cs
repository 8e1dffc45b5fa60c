namespace Checkpointing.PostgreSql.Tests.Support;

/// <summary>Reads of the store's tables that the fold tests check, bypassing the store.</summary>
public static class PostgreSqlRaw
{
    /// <summary>Counts the card's document generations (whole json rows or a fold's chunks) that its row does not name: written by a fold that has not switched (or never will).</summary>
    public static async Task<long> StrayDocumentsAsync(PostgresServer server, string schema, string cardId) =>
        (await StrayGenerationsAsync(server, schema, cardId)).Count;

    /// <summary>Returns the generations of the card's documents (whole json rows or a fold's chunks) that its row does not name.</summary>
    public static async Task<IReadOnlySet<long>> StrayGenerationsAsync(PostgresServer server, string schema, string cardId)
    {
        await using var command = server.DataSource.CreateCommand(
            $"""
            SELECT d.generation FROM "{schema}".checkpoint_documents d JOIN "{schema}".checkpoints c ON c.card_id = d.card_id
            WHERE d.card_id = $1 AND d.generation IS DISTINCT FROM c.document_generation
            UNION
            SELECT k.generation FROM "{schema}".checkpoint_document_chunks k JOIN "{schema}".checkpoints c ON c.card_id = k.card_id
            WHERE k.card_id = $1 AND k.generation IS DISTINCT FROM c.document_generation
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = cardId });
        await using var reader = await command.ExecuteReaderAsync();
        var generations = new HashSet<long>();
        while (await reader.ReadAsync())
        {
            generations.Add(reader.GetInt64(0));
        }

        return generations;
    }
}
