using FluentAssertions;
using Xunit;

namespace Checkpointing.Testing;

public abstract partial class CheckpointRepositoryConformanceTests
{
    /// <summary>
    /// Running a finished pipeline again pays for nothing: <see cref="CheckpointManager.ResumeOrCreateAsync"/> returns
    /// the completed run, every <see cref="CheckpointManager.RunStageAsync{T}"/> returns its stored result without
    /// running, <see cref="CheckpointManager.MarkCompletedAsync"/> does nothing, and the stored run is unchanged.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Manager_CompletedRun_IsKeptAndNeverPaidForAgain()
    {
        var cardId = NewCardId("completed");
        var options = new CheckpointManagerOptions { TimeProvider = new SteppingTimeProvider() };
        var paidCalls = 0;
        var workRuns = 0;

        async Task<PipelineCheckpoint> RunPipelineAsync()
        {
            await using var manager = new CheckpointManager(cardId, await OpenRepositoryAsync(), options);
            await manager.ResumeOrCreateAsync(totalStages: 2);
            foreach (var stage in new[] { "plan", "build" })
            {
                var answer = await manager.RunStageAsync(stage, async (context, ct) =>
                {
                    Interlocked.Increment(ref workRuns);
                    var request = LlmRequest.ForPrompt($"do {stage}", "model-a");
                    var response = await context.GetOrAddLlmResponseAsync(request, _ =>
                    {
                        Interlocked.Increment(ref paidCalls);
                        return Task.FromResult(new LlmResponse(request.PromptText, $"{stage} done"));
                    }, ct);
                    return response.Response;
                });
                answer.Should().Be($"{stage} done");
            }

            await manager.MarkCompletedAsync();
            return manager.Checkpoint!;
        }

        var first = await RunPipelineAsync();
        (paidCalls, workRuns).Should().Be((2, 2));

        var second = await RunPipelineAsync();

        (paidCalls, workRuns).Should().Be((2, 2), "a completed card is never run or paid for again");
        second.Version.Should().Be(first.Version, "keeping a completed run writes nothing");
        second.Status.Should().Be(CheckpointStatus.Completed);
        (await (await OpenRepositoryAsync()).LoadAsync(cardId)).ShouldMatch(first, "the stored run is unchanged");
    }

    /// <summary>
    /// A completed run refuses every change but completion itself, with a message that names the card and says how to
    /// start over; <see cref="CompletedRunPolicy.Restart"/> makes <see cref="CheckpointManager.ResumeOrCreateAsync"/>
    /// start a new run instead.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Manager_CompletedRun_RefusesChangesUntilRestarted()
    {
        var cardId = NewCardId("completed-refuses");
        var options = new CheckpointManagerOptions { TimeProvider = new SteppingTimeProvider() };
        await using (var first = new CheckpointManager(cardId, await OpenRepositoryAsync(), options))
        {
            await first.ResumeOrCreateAsync(totalStages: 2);
            await first.SaveStageCheckpointAsync("plan", StageStatus.Completed);
            await first.MarkCompletedAsync();

            var save = () => first.SaveStageCheckpointAsync("build", StageStatus.Completed);
            (await save.Should().ThrowAsync<InvalidOperationException>())
                .WithMessage($"*'{cardId}'*completed*saving stage 'build'*CreateCheckpointAsync*CompletedRuns*");
            var cache = () => first.CacheLlmResponseAsync("build", new LlmResponse("p", "r"));
            await cache.Should().ThrowAsync<InvalidOperationException>();
            var current = () => first.SetCurrentStageAsync("build");
            await current.Should().ThrowAsync<InvalidOperationException>();
            var fail = () => first.MarkFailedAsync("late");
            await fail.Should().ThrowAsync<InvalidOperationException>();
            var run = () => first.RunStageAsync("build", (_, _) => Task.FromResult(1));
            (await run.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*running stage 'build'*");
            await first.MarkCompletedAsync();
            first.Checkpoint!.Status.Should().Be(CheckpointStatus.Completed);
        }

        var restart = new CheckpointManagerOptions { TimeProvider = new SteppingTimeProvider(), CompletedRuns = CompletedRunPolicy.Restart };
        await using var second = new CheckpointManager(cardId, await OpenRepositoryAsync(), restart);
        var fresh = await second.ResumeOrCreateAsync(totalStages: 3);
        fresh.Status.Should().Be(CheckpointStatus.Active);
        fresh.TotalStages.Should().Be(3);
        fresh.CompletedStages.Should().BeEmpty("Restart starts a new run");
    }
}
