using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>Ordinary mistakes get a message that says what happened, where, and what to do.</summary>
public sealed class MisuseMessageTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void CheckpointDirectory_ThatIsAFile_SaysSoAndNamesTheSetting()
    {
        var file = Path.Combine(_temp.Path, "not-a-directory");
        File.WriteAllText(file, "x");

        var open = () => new CheckpointManager("CARD-1", new CheckpointManagerOptions { CheckpointDirectory = file });

        open.Should().Throw<IOException>()
            .WithMessage($"*'{file}' is a file, not a directory*CheckpointManagerOptions.CheckpointDirectory*CHECKPOINT_DIR*");
        File.ReadAllText(file).Should().Be("x", "the file is left as it was");
    }

    [Fact]
    public void CheckpointDirectory_WhereNoneCanBeCreated_SaysWhereAndNamesTheSetting()
    {
        var impossible = "/proc/self/checkpoints";

        var open = () => new FileSystemCheckpointRepository(impossible);

        open.Should().Throw<IOException>()
            .WithMessage($"*'{impossible}' cannot be created*CheckpointManagerOptions.CheckpointDirectory*");
    }

    [Fact]
    public async Task CheckpointDirectory_ThatExistsButIsNotWritable_SaysSoWhenTheCardIsOpened()
    {
        var manager = new CheckpointManager("CARD-1", new CheckpointManagerOptions { CheckpointDirectory = "/proc" });
        await using (manager)
        {
            var open = () => manager.ResumeOrCreateAsync(1);

            (await open.Should().ThrowAsync<IOException>())
                .WithMessage("*'/proc/CARD-1.lock' cannot be created*directory must be writable*CheckpointManagerOptions.CheckpointDirectory*");
        }
    }

    [Fact]
    public async Task LockHeldByAnUndisposedManagerOfThisProcess_SaysTheOwnerIsThisProcess()
    {
        var options = new CheckpointManagerOptions { CheckpointDirectory = _temp.Path };
        var forgotten = new CheckpointManager("CARD-1", options);   // never disposed, as in the mistake
        await forgotten.CreateCheckpointAsync(2);

        await using var second = new CheckpointManager("CARD-1", options);
        var open = () => second.ResumeOrCreateAsync(2);

        var refused = (await open.Should().ThrowAsync<CheckpointLockedException>()).Which;
        refused.Message.Should().Contain($"this same process (pid {Environment.ProcessId})").And.Contain("await using").And.Contain("LockTimeout");
        refused.Message.Should().Contain("not waited for: the timeout is zero").And.NotContain("waited 0 ms", "the default LockTimeout is zero: the one try is no wait");
        refused.CardId.Should().Be("CARD-1");

        await forgotten.DisposeAsync();
        (await second.ResumeOrCreateAsync(2)).Status.Should().Be(CheckpointStatus.Resumed, "once disposed, the card is free");
    }
}
