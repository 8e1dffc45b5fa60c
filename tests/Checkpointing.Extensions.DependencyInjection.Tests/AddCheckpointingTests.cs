using Checkpointing.Sqlite;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Checkpointing.Extensions.DependencyInjection.Tests;

public sealed class AddCheckpointingTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Factory_ManagersShareTheRegisteredStoreOptionsAndTimeProvider()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var services = new ServiceCollection().AddSingleton<TimeProvider>(time);
        services.AddCheckpointing(o => o.EnableLlmCache = false).UseInMemory();
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        var factory = provider.GetRequiredService<ICheckpointManagerFactory>();

        await using (var manager = factory.Create("CARD-1"))
        {
            await manager.ResumeOrCreateAsync(totalStages: 2);
            manager.Checkpoint!.CreatedAt.Should().Be(time.GetUtcNow(), "managers use the container's TimeProvider");
        }

        var stored = await provider.GetRequiredService<ICheckpointRepository>().LoadAsync("CARD-1");
        stored.Should().NotBeNull("the manager wrote to the registered store");
        provider.GetRequiredService<ICheckpointRepository>().Should().BeOfType<InMemoryCheckpointRepository>();
        provider.GetRequiredService<IOptions<CheckpointManagerOptions>>().Value.EnableLlmCache.Should().BeFalse();
    }

    [Fact]
    public async Task Default_IsTheFileStoreInTheConfiguredDirectory()
    {
        var services = new ServiceCollection();
        services.AddCheckpointing(o => o.CheckpointDirectory = _temp.Path);
        await using var provider = services.BuildServiceProvider();

        await using (var manager = provider.GetRequiredService<ICheckpointManagerFactory>().Create("CARD-FILE"))
        {
            await manager.ResumeOrCreateAsync(totalStages: 1);
        }

        provider.GetRequiredService<ICheckpointRepository>().Should().BeOfType<FileSystemCheckpointRepository>();
        Directory.EnumerateFiles(_temp.Path, "CARD-FILE*").Should().NotBeEmpty();
    }

    [Fact]
    public async Task Configuration_TheCheckpointingSectionSetsTheOptions()
    {
        var configuration = Configuration(("Checkpointing:CheckpointDirectory", _temp.Path), ("Checkpointing:LockTimeout", "00:00:05"), ("Checkpointing:EnableLlmCache", "false"));
        var services = new ServiceCollection();
        services.AddCheckpointing(configuration);
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<CheckpointManagerOptions>>().Value;

        options.CheckpointDirectory.Should().Be(_temp.Path);
        options.LockTimeout.Should().Be(TimeSpan.FromSeconds(5));
        options.EnableLlmCache.Should().BeFalse();
    }

    [Theory]
    [InlineData("Checkpointing:LockTimeout", "soon", "Checkpointing:LockTimeout is 'soon'*00:00:30*")]
    [InlineData("Checkpointing:LockTimeout", "-00:00:05", "Checkpointing:LockTimeout is -00:00:05*")]
    [InlineData("Checkpointing:EnableLlmCache", "maybe", "Checkpointing:EnableLlmCache is 'maybe'; use true or false*")]
    [InlineData("Checkpointing:LockTimout", "00:00:05", "Checkpointing:LockTimout is not a Checkpointing setting*LockTimeout*")]
    [InlineData("Checkpointing:CheckpointDirectory", " ", "Checkpointing:CheckpointDirectory ' ' is not a usable directory path*")]
    public async Task Configuration_ABadSetting_FailsAtStartupNamingIt(string key, string value, string message)
    {
        var services = new ServiceCollection();
        services.AddCheckpointing(Configuration((key, value)));
        await using var provider = services.BuildServiceProvider();

        var startup = () => provider.GetRequiredService<IStartupValidator>().Validate();

        startup.Should().Throw<OptionsValidationException>().Which.Message.Should().Match(message);
    }

    [Fact]
    public async Task Factory_UsesTheContainersLoggerFactory()
    {
        var loggers = new RecordingLoggerFactory();
        var services = new ServiceCollection().AddSingleton<ILoggerFactory>(loggers);
        services.AddCheckpointing().UseInMemory();
        await using var provider = services.BuildServiceProvider();

        await using var manager = provider.GetRequiredService<ICheckpointManagerFactory>().Create("CARD-LOG");

        loggers.Categories.Should().Contain(typeof(CheckpointManager).FullName);
    }

    [Fact]
    public async Task Disposal_TheContainerDisposesOpenManagersBeforeTheSqliteStore()
    {
        var path = _temp.Combine("checkpoints.db");
        var services = new ServiceCollection();
        services.AddCheckpointing().UseSqlite(path);
        var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<ICheckpointManagerFactory>().Create("CARD-SQL");
        await manager.ResumeOrCreateAsync(totalStages: 1);
        await manager.RunStageAsync("only", (_, _) => Task.FromResult(42));

        var dispose = async () => await provider.DisposeAsync();   // the manager was never disposed by the application

        await dispose.Should().NotThrowAsync();
        await using var store = new SqliteCheckpointRepository(path);
        await using var reopened = new CheckpointManager("CARD-SQL", store);
        (await reopened.ResumeOrCreateAsync(totalStages: 1)).CompletedStages.Should().Equal("only");
    }

    [Fact]
    public async Task Factory_AfterTheContainerIsDisposed_Throws()
    {
        var services = new ServiceCollection();
        services.AddCheckpointing().UseInMemory();
        var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<ICheckpointManagerFactory>();
        await provider.DisposeAsync();

        factory.Invoking(f => f.Create("CARD-LATE")).Should().Throw<ObjectDisposedException>();
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    /// <summary>Records which loggers were asked for.</summary>
    private sealed class RecordingLoggerFactory : ILoggerFactory
    {
        public List<string> Categories { get; } = [];

        public ILogger CreateLogger(string categoryName)
        {
            lock (Categories)
            {
                Categories.Add(categoryName);
            }

            return NullLogger.Instance;
        }

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }
}
