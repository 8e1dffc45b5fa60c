using Checkpointing.Manager;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Checkpointing.Tests.Manager;

public sealed class CheckpointRestorerTests
{
    [Theory]
    [InlineData(CheckpointStatus.Active, true)]
    [InlineData(CheckpointStatus.Paused, true)]
    [InlineData(CheckpointStatus.Resumed, true)]
    [InlineData(CheckpointStatus.Failed, true)]
    [InlineData(CheckpointStatus.Completed, false)]
    public void IsResumable_FollowsStatus(CheckpointStatus status, bool expected) =>
        CheckpointRestorer.IsResumable(Stages.Checkpoint() with { Status = status }).Should().Be(expected);

    [Fact]
    public void IsResumable_Missing_IsFalse() => CheckpointRestorer.IsResumable(null).Should().BeFalse();

    [Fact]
    public async Task CanResumeAsync_UnreadableCheckpoint_IsFalseAndLeavesFileUntouched()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("CARD-1.json");
        await File.WriteAllTextAsync(path, "{\"checkpoint_id\": \"x\", \"card_id\": ");
        var repository = new FileSystemCheckpointRepository(temp.Path);
        var restorer = new CheckpointRestorer(repository, NullLogger.Instance);

        (await restorer.CanResumeAsync("CARD-1", CancellationToken.None)).Should().BeFalse();
        (await File.ReadAllTextAsync(path)).Should().Be("{\"checkpoint_id\": \"x\", \"card_id\": ");
    }

    [Theory]
    [InlineData(CheckpointStatus.Paused, true)]
    [InlineData(CheckpointStatus.Completed, false)]
    public void ResumableOrNull_PassesOnlyAResumableRun(CheckpointStatus status, bool passes)
    {
        var stored = Stages.Checkpoint() with { Status = status };
        var restorer = new CheckpointRestorer(new InMemoryCheckpointRepository(), NullLogger.Instance);

        restorer.ResumableOrNull("CARD-1", stored).Should().BeSameAs(passes ? stored : null);
        restorer.ResumableOrNull("CARD-1", null).Should().BeNull();
    }
}
