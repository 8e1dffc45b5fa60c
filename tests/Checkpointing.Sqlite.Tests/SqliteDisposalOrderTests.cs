using FluentAssertions;
using Xunit;

namespace Checkpointing.Sqlite.Tests;

/// <summary>
/// A store disposed before the manager that uses it (a DI singleton disposed first, or <c>await using</c> scopes in the
/// other order) must not abort the process: the manager's disposal logs and returns, and the card is free at once.
/// </summary>
public sealed class SqliteDisposalOrderTests : SqliteTestBase
{
    [Fact]
    public async Task RepositoryDisposedBeforeTheManager_ManagerDisposalDoesNotThrow_AndTheCardIsFree()
    {
        var repository = Open();
        var manager = new CheckpointManager("CARD-1", repository);
        await manager.ResumeOrCreateAsync(2);
        await manager.SaveStageCheckpointAsync("plan", StageStatus.Completed);
        var saved = manager.Checkpoint!;

        await repository.DisposeAsync();
        var dispose = async () => await manager.DisposeAsync();

        await dispose.Should().NotThrowAsync("every change that returned is durable; the manager only failed to compact");
        await using var next = new CheckpointManager("CARD-1", Open());
        var resumed = await next.ResumeOrCreateAsync(2);
        resumed.CompletedStages.Should().Equal("plan");
        resumed.Version.Should().Be(saved.Version + 1, "nothing was lost, and the resume is the next change");
    }

    [Fact]
    public async Task RepositoryDisposedBeforeTheManager_AfterCompletion_StatusIsDurable()
    {
        var repository = Open();
        var manager = new CheckpointManager("CARD-1", repository);
        await manager.ResumeOrCreateAsync(1);
        await manager.SaveStageCheckpointAsync("plan", StageStatus.Completed);
        await manager.MarkCompletedAsync();

        await repository.DisposeAsync();
        await manager.Invoking(async m => await m.DisposeAsync()).Should().NotThrowAsync();

        (await Open().LoadAsync("CARD-1"))!.Status.Should().Be(CheckpointStatus.Completed);
    }
}
