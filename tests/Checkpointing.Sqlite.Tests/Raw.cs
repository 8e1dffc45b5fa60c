using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Checkpointing.Sqlite.Tests;

/// <summary>Direct access to a test database, outside the store: to look at rows, plant them, or hold its locks.</summary>
public static class Raw
{
    public static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        return connection;
    }

    public static long Scalar(string path, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Open(path);
        return Scalar(connection, sql, parameters);
    }

    public static long Scalar(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters) =>
        Convert.ToInt64(Command(connection, sql, parameters).ExecuteScalar(), CultureInfo.InvariantCulture);

    public static string? Text(string path, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Open(path);
        return Command(connection, sql, parameters).ExecuteScalar() as string;
    }

    public static int Execute(string path, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Open(path);
        return Execute(connection, sql, parameters);
    }

    public static int Execute(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Reads the chunked document the card row names, its chunks concatenated in order.</summary>
    public static byte[] ChunkedDocument(string path, string cardId)
    {
        using var connection = Open(path);
        using var command = Command(
            connection,
            "SELECT k.data FROM checkpoint_document_chunks k JOIN checkpoints c ON c.card_id = k.card_id AND c.document_id = k.generation WHERE c.card_id = $card ORDER BY k.chunk",
            [("$card", cardId)]);
        using var reader = command.ExecuteReader();
        using var document = new MemoryStream();
        while (reader.Read())
        {
            document.Write(reader.GetFieldValue<byte[]>(0));
        }

        return document.ToArray();
    }

    /// <summary>Counts a card's chunk rows of generations its row does not name: what a fold that did not finish left.</summary>
    public static long StrayChunks(string path, string cardId) => Scalar(
        path,
        "SELECT COUNT(*) FROM checkpoint_document_chunks k WHERE k.card_id = $card AND k.generation <> (SELECT document_id FROM checkpoints WHERE card_id = $card)",
        ("$card", cardId));

    /// <summary>The generations of a card's stray chunks.</summary>
    public static IReadOnlySet<long> StrayGenerations(string path, string cardId)
    {
        using var connection = Open(path);
        using var command = Command(
            connection,
            "SELECT DISTINCT k.generation FROM checkpoint_document_chunks k WHERE k.card_id = $card AND k.generation <> (SELECT document_id FROM checkpoints WHERE card_id = $card)",
            [("$card", cardId)]);
        using var reader = command.ExecuteReader();
        var generations = new HashSet<long>();
        while (reader.Read())
        {
            generations.Add(reader.GetInt64(0));
        }

        return generations;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
