using Checkpointing.Testing;
using Xunit.Abstractions;

namespace Checkpointing.Sqlite.Tests;

/// <summary>The SQLite store against the conformance suite: every repository is a new instance over one database file, as another process would open it.</summary>
public sealed class SqliteConformanceTests(ITestOutputHelper output) : CheckpointRepositoryConformanceTests(output), IDisposable
{
    private readonly TempDatabase _database = new();

    protected override Task<ICheckpointRepository> CreateRepositoryAsync() =>
        Task.FromResult<ICheckpointRepository>(new SqliteCheckpointRepository(_database.Path));

    /// <summary>Deletes the database; xunit calls it after <see cref="CheckpointRepositoryConformanceTests.DisposeAsync"/> disposed the repositories.</summary>
    public void Dispose() => _database.Dispose();
}
