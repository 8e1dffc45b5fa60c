using Xunit;

namespace Checkpointing.Sqlite.Tests;

/// <summary>A fresh database per test, and every repository a test opened disposed (leases released) before it is deleted.</summary>
public abstract class SqliteTestBase : IAsyncLifetime, IDisposable
{
    private readonly List<SqliteCheckpointRepository> _repositories = [];

    protected TempDatabase Database { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var repository in _repositories)
        {
            await repository.DisposeAsync();
        }
    }

    public void Dispose()
    {
        Database.Dispose();
        GC.SuppressFinalize(this);
    }

    protected SqliteCheckpointRepository Open(SqliteCheckpointRepositoryOptions? options = null) => Open(Database.Path, options);

    protected SqliteCheckpointRepository Open(string connectionStringOrPath, SqliteCheckpointRepositoryOptions? options = null)
    {
        var repository = new SqliteCheckpointRepository(connectionStringOrPath, options);
        _repositories.Add(repository);
        return repository;
    }
}
