using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Checkpointing.Tests.Maintenance;

/// <summary>CheckpointManager.RewindAsync: the stage and every stage recorded after it run again; answers stay cached unless dropped.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes it through IAsyncLifetime.DisposeAsync.")]
public sealed class RewindTests : IAsyncLifetime
{
    private static readonly string[] Stages = ["plan", "build", "test"];
    private readonly InMemoryCheckpointRepository _repository = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _repository.DisposeAsync();

    [Fact]
    public async Task Rewind_OnTheOpenRun_RemovesTheStageAndLaterOnes_KeepsTheirAnswers_AndTheNextStageIsTheRewoundOne()
    {
        await using var manager = await RunAsync("card", complete: false);
        var before = manager.Checkpoint!;

        var result = await manager.RewindAsync("build");

        result.Applied.Should().BeTrue();
        result.Stages.Should().Equal("build", "test");
        result.LlmResponsesKept.Should().Be(2);
        result.LlmResponsesDropped.Should().Be(0);
        manager.Checkpoint.Should().BeSameAs(result.Checkpoint);
        result.Checkpoint.Version.Should().Be(before.Version + 1);
        result.Checkpoint.CompletedStages.Should().Equal("plan");
        result.Checkpoint.StageCheckpoints.Keys.Should().Equal("plan");
        result.Checkpoint.PendingLlmResponses["build"].Select(r => r.Response).Should().Equal("answer build");
        result.Checkpoint.EstimatedRemaining.Should().Be(before.StageCheckpoints["plan"].Duration * 2, "two stages are left, at the mean completed duration");
        manager.GetNextStage(Stages).Should().Be("build");
        manager.GetCachedLlmResponse("build", "prompt build").Should().NotBeNull("the rewound stage's answer is still cached");
        (await _repository.LoadAsync("card")).Should().BeSameAs(result.Checkpoint, "the rewind is stored");
    }

    [Fact]
    public async Task Rewind_CompletedRunByAnotherManager_MakesItResumable_AndDropsAnswersWhenAsked()
    {
        await (await RunAsync("card", complete: true)).DisposeAsync();
        await using var operator_ = new CheckpointManager("card", _repository, new CheckpointManagerOptions { TimeProvider = _time });

        var result = await operator_.RewindAsync("test", new RewindOptions { DropLlmResponses = true });

        result.Checkpoint.Status.Should().Be(CheckpointStatus.Paused, "a completed run must become resumable to run a stage again");
        result.LlmResponsesDropped.Should().Be(1);
        result.Checkpoint.PendingLlmResponses.Should().BeEmpty();
        await operator_.DisposeAsync();
        await using var pipeline = new CheckpointManager("card", _repository, new CheckpointManagerOptions { TimeProvider = _time });
        await pipeline.ResumeOrCreateAsync(Stages.Length);
        pipeline.GetNextStage(Stages).Should().Be("test");
        pipeline.GetCachedLlmResponse("test", "prompt test").Should().BeNull("its answer was dropped");
    }

    [Fact]
    public async Task Rewind_DryRun_ChangesNothingAndTakesNoOwnership()
    {
        await using var owner = await RunAsync("card", complete: false);
        var stored = await _repository.LoadAsync("card");
        await using var other = new CheckpointManager("card", _repository);

        var result = await other.RewindAsync("plan", new RewindOptions { DryRun = true });

        result.Applied.Should().BeFalse();
        result.Stages.Should().Equal("plan", "build", "test");
        (await _repository.LoadAsync("card")).Should().BeSameAs(stored);
    }

    [Fact]
    public async Task Rewind_WhileAnotherManagerOwnsTheCard_IsRefusedWithLocked()
    {
        await using var owner = await RunAsync("card", complete: false);
        await using var other = new CheckpointManager("card", _repository);

        await FluentActions.Awaiting(() => other.RewindAsync("build")).Should().ThrowAsync<CheckpointLockedException>();
    }

    [Fact]
    public async Task Rewind_UnknownStageOrMissingCard_IsRefusedAndChangesNothing()
    {
        await using var manager = await RunAsync("card", complete: false);
        var before = manager.Checkpoint;
        await using var nobody = new CheckpointManager("nobody", _repository);

        (await FluentActions.Awaiting(() => manager.RewindAsync("deploy")).Should().ThrowAsync<ArgumentException>())
            .Which.Message.Should().Contain("plan, build, test");
        await FluentActions.Awaiting(() => nobody.RewindAsync("plan")).Should().ThrowAsync<CheckpointNotFoundException>();
        manager.Checkpoint.Should().BeSameAs(before);
    }

    private async Task<CheckpointManager> RunAsync(string cardId, bool complete)
    {
        var manager = new CheckpointManager(cardId, _repository, new CheckpointManagerOptions { TimeProvider = _time });
        await manager.ResumeOrCreateAsync(Stages.Length);
        foreach (var stage in Stages)
        {
            var start = _time.GetUtcNow();
            await manager.CacheLlmResponseAsync(stage, new LlmResponse($"prompt {stage}", $"answer {stage}"));
            _time.Advance(TimeSpan.FromSeconds(10));
            await manager.SaveStageCheckpointAsync(stage, StageStatus.Completed, startTime: start);
        }

        if (complete)
        {
            await manager.MarkCompletedAsync();
        }

        return manager;
    }
}
