using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Integration;

/// <summary>One owner per card across processes, and no stale lock after the owner is killed.</summary>
[Collection(RealProcessTests.Name)]
public sealed class LockTests
{
    private const string CardId = "OWNED";
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task OtherManagersAreRefusedWhileTheOwnerProcessLives_AndOneTakesOverAtOnceAfterSigkill()
    {
        using var temp = new TempDirectory();
        using var owner = ChildProcess.Start("hold", temp.Path, CardId);
        await owner.WaitForLineAsync(line => line == "owned", ChildTimeout);

        // In this process: refused at once, and still refused after a short wait.
        var immediate = new CheckpointManager(CardId, new FileSystemCheckpointRepository(temp.Path), new CheckpointManagerOptions { LockTimeout = TimeSpan.Zero });
        await using (immediate)
        {
            (await immediate.Invoking(m => m.ResumeAsync()).Should().ThrowAsync<CheckpointLockedException>())
                .Which.CardId.Should().Be(CardId);
            await immediate.Invoking(m => m.CreateCheckpointAsync(1)).Should().ThrowAsync<CheckpointLockedException>(
                "creating would replace the owner's run");
        }

        var patient = new CheckpointManager(
            CardId, new FileSystemCheckpointRepository(temp.Path), new CheckpointManagerOptions { LockTimeout = TimeSpan.FromMilliseconds(300) });
        await using (patient)
        {
            await patient.Invoking(m => m.ResumeAsync()).Should().ThrowAsync<CheckpointLockedException>();
        }

        // In another process: refused too.
        using (var rival = ChildProcess.Start("try-own", temp.Path, CardId))
        {
            (await rival.WaitForExitAsync(ChildTimeout)).Should().Be(0, rival.Describe());
            rival.Lines.Should().Equal(["locked"], rival.Describe());
        }

        // Readers need no lock.
        var whileOwned = await new FileSystemCheckpointRepository(temp.Path).LoadAsync(CardId);
        whileOwned!.StageCheckpoints.Should().ContainKey("held");
        owner.Process.HasExited.Should().BeFalse("the owner must have held the card throughout");

        owner.KillHard();

        // The OS released the dead owner's lock: a manager that will not wait at all takes the card over.
        var successor = new CheckpointManager(CardId, new FileSystemCheckpointRepository(temp.Path), new CheckpointManagerOptions { LockTimeout = TimeSpan.Zero });
        await using (successor)
        {
            var resumed = await successor.ResumeAsync();
            resumed.Should().NotBeNull();
            resumed!.StageCheckpoints["held"].GetResult<string>().Should().Be("kept");
            resumed.ResumeCount.Should().Be(1);
            await successor.SaveStageCheckpointAsync("after-takeover", StageStatus.Completed);
        }

        // And once the successor is done, another process can own it too.
        using (var next = ChildProcess.Start("try-own", temp.Path, CardId))
        {
            (await next.WaitForExitAsync(ChildTimeout)).Should().Be(0, next.Describe());
            next.Lines.Should().ContainSingle().Which.Should().StartWith("owned ", next.Describe());
        }

        var final = await new FileSystemCheckpointRepository(temp.Path).LoadAsync(CardId);
        final!.StageCheckpoints.Keys.Should().Equal("held", "after-takeover");
        final.ResumeCount.Should().Be(2);
    }
}
