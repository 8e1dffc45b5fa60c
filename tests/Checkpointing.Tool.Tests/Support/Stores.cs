using Checkpointing.PostgreSql;
using Checkpointing.PostgreSql.Tests.Support;
using Checkpointing.Sqlite;

using Checkpointing.Tests.Support;

namespace Checkpointing.Tool.Tests.Support;

/// <summary>A store as the tool names it (<c>--store</c>) and as the library opens it, for each kind the tool serves.</summary>
public sealed record TestStore(string Kind, string Spec, Func<ICheckpointRepository> Open)
{
    public override string ToString() => Kind;

    public static TestStore File(TempDirectory dir) => FileAt(dir.Path);

    public static TestStore FileAt(string directory) => new("file", "file:" + directory, () => new FileSystemCheckpointRepository(directory));

    public static TestStore Sqlite(TempDirectory dir, string name = "store.db") =>
        new("sqlite", "sqlite:" + dir.Combine(name), () => new SqliteCheckpointRepository(dir.Combine(name)));

    /// <summary>A schema of its own in the test run's PostgreSQL database.</summary>
    public static async Task<TestStore> PostgresAsync()
    {
        var server = await PostgresServer.GetAsync();
        var schema = PostgresServer.NewSchema("tool");
        return new(
            "postgres",
            $"postgres:{server.ConnectionString};Schema={schema}",
            () => new PostgreSqlCheckpointRepository(server.ConnectionString, new PostgreSqlCheckpointRepositoryOptions { Schema = schema }));
    }

    public static async Task<TestStore> OfKindAsync(string kind, TempDirectory dir) => kind switch
    {
        "file" => File(dir),
        "sqlite" => Sqlite(dir),
        _ => await PostgresAsync(),
    };

    /// <summary>Runs <paramref name="action"/> on a repository of this store, disposed afterwards.</summary>
    public async Task<T> WithAsync<T>(Func<ICheckpointRepository, Task<T>> action)
    {
        var repository = Open();
        try
        {
            return await action(repository);
        }
        finally
        {
            if (repository is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }
}
