using FluentAssertions;
using Xunit;

namespace Checkpointing.Testing;

public abstract partial class CheckpointRepositoryConformanceTests
{
    /// <summary>
    /// A whole run through <see cref="CheckpointManager"/> on the store: create, record stages, cache responses, fail,
    /// resume in a new manager over a fresh repository (cache hit, next stage, retry count), complete; then a third
    /// manager sees a completed run it cannot resume.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Manager_EndToEnd_CreateStageCacheResumeAndComplete()
    {
        var cardId = NewCardId("manager");
        var options = new CheckpointManagerOptions { TimeProvider = new SteppingTimeProvider() };
        string[] stages = ["fetch", "analyze", "report", "publish"];
        var paid = new LlmResponse("analyze: what changed?", "three files") { Model = "model-a" };
        PipelineCheckpoint afterFirstRun;

        await using (var first = new CheckpointManager(cardId, await OpenRepositoryAsync(), options))
        {
            (await first.CanResumeAsync()).Should().BeFalse();
            await first.CreateCheckpointAsync(stages.Length, new Dictionary<string, object?> { ["branch"] = "main", ["depth"] = 2 });
            await first.SetCurrentStageAsync("fetch");
            await first.SaveStageCheckpointAsync("fetch", StageStatus.Completed, result: new { Files = new[] { "a.cs", "b.cs" } }, artifacts: ["fetch.log"]);
            await first.SetCurrentStageAsync("analyze");
            await first.CacheLlmResponseAsync("analyze", paid);
            await first.SaveStageCheckpointAsync("analyze", StageStatus.Failed, errorMessage: "rate limited");
            await first.MarkFailedAsync("analyze failed");
            afterFirstRun = first.Checkpoint!;
        }

        (await (await OpenRepositoryAsync()).LoadAsync(cardId)).ShouldMatch(afterFirstRun, "the first manager's run is stored");

        await using (var second = new CheckpointManager(cardId, await OpenRepositoryAsync(), options))
        {
            (await second.CanResumeAsync()).Should().BeTrue();
            var resumed = (await second.ResumeAsync())!;
            resumed.Status.Should().Be(CheckpointStatus.Resumed);
            resumed.ResumeCount.Should().Be(1);
            resumed.FailedStages.Should().Equal("analyze");
            resumed.Metadata["failure_reason"].GetString().Should().Be("analyze failed");
            second.GetNextStage(stages).Should().Be("analyze");
            second.GetCachedLlmResponse("analyze", paid.Prompt).ShouldMatch(paid, "the response was paid for in the first run");
            second.GetCachedLlmResponse("analyze", paid.Prompt, "model-a").ShouldMatch(paid, "the model matches");
            second.GetCachedLlmResponse("analyze", paid.Prompt, "model-b").Should().BeNull();
            second.GetCachedLlmResponse("analyze", "never asked").Should().BeNull();
            resumed.StageCheckpoints["fetch"].GetResult<FetchResult>()!.Files.Should().Equal("a.cs", "b.cs");

            await second.SaveStageCheckpointAsync("analyze", StageStatus.Completed, result: 42);
            await second.SaveStageCheckpointAsync("report", StageStatus.Completed);
            await second.SaveStageCheckpointAsync("publish", StageStatus.Skipped);
            second.GetNextStage(stages).Should().BeNull();
            await second.MarkCompletedAsync();
            second.Checkpoint!.StageCheckpoints["analyze"].RetryCount.Should().Be(1);
            second.Checkpoint.StageCheckpoints["analyze"].LlmResponses.ShouldMatch([paid], "the failed attempt's response is kept");
            second.GetProgress().ProgressPercent.Should().Be(75);
            afterFirstRun = second.Checkpoint;
        }

        var stored = await (await OpenRepositoryAsync()).LoadAsync(cardId);
        stored.ShouldMatch(afterFirstRun, "the resumed run is stored");
        stored!.Status.Should().Be(CheckpointStatus.Completed);
        await using var third = new CheckpointManager(cardId, await OpenRepositoryAsync(), options);
        (await third.CanResumeAsync()).Should().BeFalse("a completed run cannot be resumed");
        (await third.ResumeAsync()).Should().BeNull();
    }

    /// <summary>
    /// Write-ahead LLM responses are durable before their stage is recorded (a fresh repository sees them while the
    /// manager still runs), a resumed manager finds them in its cache, and recording the stage moves each into the stage
    /// record exactly once, even when the stage passes some of them again.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task WriteAheadResponses_SurviveAndEndInStageRecordOnce()
    {
        var cardId = NewCardId("write-ahead");
        var options = new CheckpointManagerOptions { TimeProvider = new SteppingTimeProvider() };
        var responses = Enumerable.Range(0, 5).Select(i => CheckpointSamples.Response($"analyze: chunk {i}", model: i % 2 == 0 ? "model-a" : null)).ToArray();

        await using (var crashed = new CheckpointManager(cardId, await OpenRepositoryAsync(), options))
        {
            await crashed.CreateCheckpointAsync(3);
            foreach (var response in responses)
            {
                await crashed.CacheLlmResponseAsync("analyze", response);
                var seen = await (await OpenRepositoryAsync()).LoadAsync(cardId);
                seen.ShouldMatch(crashed.Checkpoint!, "a write-ahead response is durable when CacheLlmResponseAsync returns");
            }

            var stored = (await (await OpenRepositoryAsync()).LoadAsync(cardId))!;
            stored.PendingLlmResponses["analyze"].ShouldMatch(responses, "every write-ahead response is stored");
            stored.StageCheckpoints.Should().BeEmpty();
        }

        await using (var resumed = new CheckpointManager(cardId, await OpenRepositoryAsync(), options))
        {
            (await resumed.ResumeAsync()).Should().NotBeNull();
            foreach (var response in responses)
            {
                resumed.GetCachedLlmResponse("analyze", response.Prompt).ShouldMatch(response, "responses already paid for are not paid again");
            }

            var late = CheckpointSamples.Response("analyze: chunk 5");
            await resumed.SaveStageCheckpointAsync("analyze", StageStatus.Completed, llmResponses: [responses[1], responses[3], late]);

            var expected = resumed.Checkpoint!;
            expected.StageCheckpoints["analyze"].LlmResponses.ShouldMatch([.. responses, late], "each response is kept once, write-ahead ones first");
            expected.PendingLlmResponses.Should().NotContainKey("analyze");
            (await (await OpenRepositoryAsync()).LoadAsync(cardId)).ShouldMatch(expected, "the stage record holds the write-ahead responses");
            await resumed.CompactAsync();
            (await (await OpenRepositoryAsync()).LoadAsync(cardId)).ShouldMatch(expected, "after compaction");
        }
    }

    /// <summary>A second manager of a card cannot create or resume it while the first one lives; after the first is disposed it can.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Manager_SecondManagerWhileFirstLives_IsRefused()
    {
        var cardId = NewCardId("two-managers");
        var options = new CheckpointManagerOptions { TimeProvider = new SteppingTimeProvider() };
        var first = new CheckpointManager(cardId, await OpenRepositoryAsync(), options);
        await first.CreateCheckpointAsync(2);
        await first.SaveStageCheckpointAsync("one", StageStatus.Completed);

        await using (var second = new CheckpointManager(cardId, await OpenRepositoryAsync(), options))
        {
            await FluentActions.Awaiting(() => second.ResumeAsync()).Should().ThrowAsync<CheckpointLockedException>();
            await FluentActions.Awaiting(() => second.CreateCheckpointAsync(2)).Should().ThrowAsync<CheckpointLockedException>();
        }

        var expected = first.Checkpoint!;
        await first.DisposeAsync();
        await using var third = new CheckpointManager(cardId, await OpenRepositoryAsync(), options);
        var resumed = (await third.ResumeAsync())!;
        resumed.CompletedStages.Should().Equal("one");
        resumed.Version.Should().Be(expected.Version + 1);
    }

    private sealed record FetchResult(string[] Files);
}
