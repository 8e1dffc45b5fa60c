using Checkpointing.PostgreSql.Tests.Support;
using Checkpointing.Testing;
using Xunit.Abstractions;

namespace Checkpointing.PostgreSql.Tests;

/// <summary>The repository conformance suite against PostgreSQL: each test gets its own schema, dropped afterwards.</summary>
public sealed class PostgreSqlConformanceTests(ITestOutputHelper output) : CheckpointRepositoryConformanceTests(output)
{
    private readonly string _schema = PostgresServer.NewSchema("conformance");

    protected override async Task<ICheckpointRepository> CreateRepositoryAsync()
    {
        var server = await PostgresServer.GetAsync();
        return new PostgreSqlCheckpointRepository(server.DataSource, new PostgreSqlCheckpointRepositoryOptions { Schema = _schema });
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        var server = await PostgresServer.GetAsync();
        await server.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
    }
}
