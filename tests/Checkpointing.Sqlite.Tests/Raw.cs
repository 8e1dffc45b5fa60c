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
