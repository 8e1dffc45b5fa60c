using Checkpointing.PostgreSql.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace Checkpointing.PostgreSql.Tests;

/// <summary><c>AddCheckpointing().UsePostgreSql(...)</c>: the container's store, its settings, and disposal with the container.</summary>
public sealed class DependencyInjectionTests : IAsyncLifetime
{
    private readonly string _schema = PostgresServer.NewSchema("di");
    private PostgresServer _server = null!;

    public async Task InitializeAsync() => _server = await PostgresServer.GetAsync();

    public async Task DisposeAsync() => await _server.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");

    [Fact]
    public async Task UsePostgreSql_ConnectionString_ManagersWriteToTheConfiguredSchema()
    {
        var services = new ServiceCollection();
        services.AddCheckpointing().UsePostgreSql(_server.ConnectionString, options => options.Schema = _schema);

        var cardId = await RunOneStageAsync(services);

        var stored = await new PostgreSqlCheckpointRepository(_server.ConnectionString, new PostgreSqlCheckpointRepositoryOptions { Schema = _schema }).LoadAsync(cardId);
        stored!.CompletedStages.Should().Equal("only");
    }

    [Fact]
    public async Task UsePostgreSql_WithoutADataSource_UsesTheContainersDataSource()
    {
        var services = new ServiceCollection();
        services.AddSingleton(_ => NpgsqlDataSource.Create(_server.ConnectionString));   // owned and disposed by the container
        services.AddCheckpointing().UsePostgreSql(configure: options => options.Schema = _schema);

        var cardId = await RunOneStageAsync(services);

        var stored = await new PostgreSqlCheckpointRepository(_server.ConnectionString, new PostgreSqlCheckpointRepositoryOptions { Schema = _schema }).LoadAsync(cardId);
        stored!.CompletedStages.Should().Equal("only");
    }

    /// <summary>Runs one stage with a manager the application never disposes, then disposes the container.</summary>
    private static async Task<string> RunOneStageAsync(ServiceCollection services)
    {
        var cardId = $"CARD-{Guid.NewGuid():N}";
        var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<ICheckpointManagerFactory>().Create(cardId);
        await manager.ResumeOrCreateAsync(totalStages: 1);
        await manager.RunStageAsync("only", (_, _) => Task.FromResult(1));

        var dispose = async () => await provider.DisposeAsync();

        await dispose.Should().NotThrowAsync("the container disposes the open manager before the store");
        return cardId;
    }
}
