using Checkpointing.Testing;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Maintenance;

/// <summary>CheckpointCopy.CopyAsync: version and content preserved; no overwrite unless asked; an owned target is refused.</summary>
public sealed class CopyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("checkpointing-copy-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Copy_MemoryToFiles_KeepsVersionAndContent_AndRefusesToOverwriteUnlessAsked()
    {
        var source = new InMemoryCheckpointRepository();
        var target = new FileSystemCheckpointRepository(_directory);
        var run = CheckpointSamples.Checkpoint("card", version: 1);
        await source.SaveAsync(run);
        var change = new CurrentStageSet(2, CheckpointSamples.At(30), "next");
        await source.SaveChangeAsync(new AppliedChange(run, change));

        var copied = await CheckpointCopy.CopyAsync(source, target, "card");
        var refused = await FluentActions.Awaiting(() => CheckpointCopy.CopyAsync(source, target, "card")).Should().ThrowAsync<CheckpointConflictException>();
        var again = await CheckpointCopy.CopyAsync(source, target, "card", overwrite: true);

        copied.Version.Should().Be(2);
        (await new FileSystemCheckpointRepository(_directory).LoadAsync("card")).ShouldMatch(change.ApplyTo(run), "copied to files");
        refused.Which.StoredVersion.Should().Be(2);
        refused.Which.Message.Should().Contain("already stored");
        again.Version.Should().Be(2);
    }

    [Fact]
    public async Task Copy_MissingCardOrOwnedTarget_IsRefusedAndWritesNothing()
    {
        var source = new InMemoryCheckpointRepository();
        var target = new InMemoryCheckpointRepository();
        await source.SaveAsync(CheckpointSamples.Checkpoint("card"));
        await using var owner = await target.AcquireOwnershipAsync("card", TimeSpan.Zero);

        await FluentActions.Awaiting(() => CheckpointCopy.CopyAsync(source, target, "nobody")).Should().ThrowAsync<CheckpointNotFoundException>();
        await FluentActions.Awaiting(() => CheckpointCopy.CopyAsync(source, target, "card")).Should().ThrowAsync<CheckpointLockedException>();
        (await target.ListCardIdsAsync()).Should().BeEmpty();
    }
}
