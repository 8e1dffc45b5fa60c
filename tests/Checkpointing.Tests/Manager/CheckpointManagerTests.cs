using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Checkpointing.Tests.Manager;

public sealed class CheckpointManagerTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 5, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryCheckpointRepository _repository = new();
    private readonly CheckpointManager _manager;

    public CheckpointManagerTests() => _manager = NewManager();

    public ValueTask DisposeAsync() => _manager.DisposeAsync();

    [Fact]
    public async Task Operations_BeforeCreateOrResume_ThrowInvalidOperation()
    {
        var save = () => _manager.SaveStageCheckpointAsync("plan", StageStatus.Completed);
        var cache = () => _manager.CacheLlmResponseAsync("plan", Stages.Response("p"));
        var current = () => _manager.SetCurrentStageAsync("plan");
        var complete = () => _manager.MarkCompletedAsync();

        await save.Should().ThrowAsync<InvalidOperationException>().WithMessage("*call ResumeOrCreateAsync*first*");
        await cache.Should().ThrowAsync<InvalidOperationException>();
        await current.Should().ThrowAsync<InvalidOperationException>();
        await complete.Should().ThrowAsync<InvalidOperationException>();
        _manager.Invoking(m => m.GetCachedLlmResponse("plan", "p"))
            .Should().Throw<InvalidOperationException>("a miss would be paid for and then fail to be stored")
            .WithMessage("*call ResumeOrCreateAsync*first*");
        var getOrAdd = () => _manager.GetOrAddLlmResponseAsync("plan", LlmRequest.ForPrompt("p"), _ => Task.FromResult(Stages.Response("p")));
        await getOrAdd.Should().ThrowAsync<InvalidOperationException>();
    }

    [Fact]
    public void ProgressQueries_BeforeCreateOrResume_AnswerAsThePythonManager()
    {
        _manager.GetNextStage(["a", "b"]).Should().Be("a", "nothing is recorded yet, so the first stage is next");
        _manager.GetNextStage([]).Should().BeNull();
        _manager.GetProgress().Should().Be(new PipelineProgress(0, 0, 0, null, TimeSpan.Zero, TimeSpan.Zero));
    }

    [Fact]
    public async Task ResumeOrCreateAsync_NothingStored_CreatesARun()
    {
        var checkpoint = await _manager.ResumeOrCreateAsync(3, new Dictionary<string, object?> { ["repo"] = "r" });

        checkpoint.TotalStages.Should().Be(3);
        checkpoint.ResumeCount.Should().Be(0);
        checkpoint.ExecutionContext["repo"].GetString().Should().Be("r");
        (await _repository.LoadAsync("CARD-1"))!.Version.Should().Be(checkpoint.Version);
    }

    [Fact]
    public async Task ResumeOrCreateAsync_ResumableRunStored_ResumesItWithItsStagesAndAnswers()
    {
        await _manager.CreateCheckpointAsync(3);
        await _manager.CacheLlmResponseAsync("build", Stages.Response("p"));
        await _manager.SaveStageCheckpointAsync("plan", StageStatus.Completed);
        await _manager.DisposeAsync();
        var second = NewManager();
        await using (second)
        {
            var checkpoint = await second.ResumeOrCreateAsync(99);

            checkpoint.TotalStages.Should().Be(3, "the stored run is resumed, not replaced");
            checkpoint.ResumeCount.Should().Be(1);
            checkpoint.CompletedStages.Should().Equal("plan");
            second.GetCachedLlmResponse("build", "p").Should().NotBeNull("the answer written ahead survives");
        }
    }

    [Fact]
    public async Task ResumeOrCreateAsync_CompletedRunStored_KeepsIt_AndRestartPolicyStartsANewRun()
    {
        await _manager.CreateCheckpointAsync(1);
        await _manager.SaveStageCheckpointAsync("plan", StageStatus.Completed);
        await _manager.MarkCompletedAsync();
        var completed = _manager.Checkpoint!;
        await _manager.DisposeAsync();
        await using (var second = NewManager())
        {
            var kept = await second.ResumeOrCreateAsync(2);

            kept.Status.Should().Be(CheckpointStatus.Completed);
            kept.Version.Should().Be(completed.Version, "keeping the run writes nothing");
            kept.CompletedStages.Should().Equal("plan");
            (await second.CanResumeAsync()).Should().BeFalse("CanResumeAsync keeps the Python meaning");
        }

        var restart = new CheckpointManager("CARD-1", _repository, new CheckpointManagerOptions { TimeProvider = _clock, CompletedRuns = CompletedRunPolicy.Restart });
        await using (restart)
        {
            var checkpoint = await restart.ResumeOrCreateAsync(2);

            checkpoint.Status.Should().Be(CheckpointStatus.Active);
            checkpoint.TotalStages.Should().Be(2);
            checkpoint.CompletedStages.Should().BeEmpty();
        }
    }

    [Fact]
    public async Task Repository_IsTheStoreGiven_AndReadsWhatTheManagerWrote()
    {
        await _manager.CreateCheckpointAsync(2);
        await _manager.SaveStageCheckpointAsync("plan", StageStatus.Completed);

        _manager.Repository.Should().BeSameAs(_repository);
        (await _manager.Repository.LoadAsync(_manager.CardId))!.CompletedStages.Should().Equal("plan");
    }

    [Fact]
    public async Task Repository_OfADefaultManager_IsTheFileStoreOfItsDirectory()
    {
        using var temp = new TempDirectory();
        var manager = new CheckpointManager("CARD-1", new CheckpointManagerOptions { CheckpointDirectory = temp.Path });
        await using (manager)
        {
            await manager.CreateCheckpointAsync(1);

            manager.Repository.Should().BeOfType<FileSystemCheckpointRepository>()
                .Which.Directory.Should().Be(Path.GetFullPath(temp.Path));
            (await new FileSystemCheckpointRepository(temp.Path).LoadAsync("CARD-1")).Should().NotBeNull();
        }
    }

    [Fact]
    public async Task Lifecycle_CreateSaveComplete_PersistsEveryChangeWithIncreasingVersion()
    {
        await _manager.CreateCheckpointAsync(2);
        await _manager.SetCurrentStageAsync("plan");
        _clock.Advance(TimeSpan.FromSeconds(5));
        await _manager.SaveStageCheckpointAsync("plan", StageStatus.Completed, result: new { summary = "ok" }, startTime: _clock.GetUtcNow().AddSeconds(-5));
        await _manager.SaveStageCheckpointAsync("build", StageStatus.Completed);
        await _manager.MarkCompletedAsync();

        var stored = await _repository.LoadAsync("CARD-1");
        stored.Should().BeEquivalentTo(_manager.Checkpoint, o => o.Excluding(c => c!.StageCheckpoints));
        stored!.Version.Should().Be(5);
        stored.Status.Should().Be(CheckpointStatus.Completed);
        stored.CompletedStages.Should().Equal("plan", "build");
        stored.StageCheckpoints["plan"].Duration.Should().Be(TimeSpan.FromSeconds(5));
        stored.StageCheckpoints["plan"].Result!.Value.GetProperty("summary").GetString().Should().Be("ok");
        (await _manager.CanResumeAsync()).Should().BeFalse();
    }

    [Fact]
    public async Task SaveStageCheckpoint_WithAnAttemptRecord_StoresWhatTheParameterOverloadStores()
    {
        await _manager.CreateCheckpointAsync(2);
        var start = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromSeconds(7));
        var response = Stages.Response("p");

        await _manager.SaveStageCheckpointAsync(new StageAttempt("plan", StageStatus.Failed)
        {
            Result = new { summary = "partial" },
            Artifacts = ["plan.md"],
            LlmResponses = [response],
            ErrorMessage = "timed out",
            StartTime = start,
        });
        await _manager.SaveStageCheckpointAsync(
            "build", StageStatus.Failed, new { summary = "partial" }, ["plan.md"], [response], "timed out", start);

        var stored = (await _repository.LoadAsync("CARD-1"))!;
        var plan = stored.StageCheckpoints["plan"];
        plan.Should().BeEquivalentTo(stored.StageCheckpoints["build"], o => o.Excluding(s => s.StageName).Excluding(s => s.Result));
        plan.Result!.Value.GetProperty("summary").GetString().Should().Be("partial");
        plan.Duration.Should().Be(TimeSpan.FromSeconds(7));
        plan.ErrorMessage.Should().Be("timed out");
        plan.LlmResponses.Should().Equal(response);
        await FluentActions.Awaiting(() => _manager.SaveStageCheckpointAsync(new StageAttempt(" ", StageStatus.Completed)))
            .Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task Resume_RebuildsCacheAndCountsResumes()
    {
        await _manager.CreateCheckpointAsync(3);
        await _manager.SaveStageCheckpointAsync("plan", StageStatus.Completed, llmResponses: [Stages.Response("p1", "a1")]);
        await _manager.CacheLlmResponseAsync("build", Stages.Response("p2", "a2"));
        await _manager.DisposeAsync();

        await using var second = NewManager();
        (await second.CanResumeAsync()).Should().BeTrue();
        var resumed = await second.ResumeAsync();

        resumed!.Status.Should().Be(CheckpointStatus.Resumed);
        resumed.ResumeCount.Should().Be(1);
        resumed.LastResumeTime.Should().Be(_clock.GetUtcNow());
        second.GetCachedLlmResponse("plan", "p1")!.Response.Should().Be("a1");
        second.GetCachedLlmResponse("build", "p2")!.Response.Should().Be("a2");
    }

    [Fact]
    public async Task Resume_TwiceInARow_Works()
    {
        await _manager.CreateCheckpointAsync(3);
        await _manager.DisposeAsync();

        for (var i = 1; i <= 2; i++)
        {
            await using var next = NewManager();
            (await next.CanResumeAsync()).Should().BeTrue();
            (await next.ResumeAsync())!.ResumeCount.Should().Be(i);
        }
    }

    [Fact]
    public async Task Resume_FailedRun_RetriesFailedStageWithRetryCount()
    {
        await _manager.CreateCheckpointAsync(2);
        await _manager.SaveStageCheckpointAsync("plan", StageStatus.Failed, errorMessage: "timeout");
        await _manager.MarkFailedAsync("timeout");
        await _manager.DisposeAsync();

        await using var second = NewManager();
        (await second.CanResumeAsync()).Should().BeTrue();
        await second.ResumeAsync();
        second.GetNextStage(["plan", "build"]).Should().Be("plan");
        await second.SaveStageCheckpointAsync("plan", StageStatus.Completed);

        second.Checkpoint!.StageCheckpoints["plan"].RetryCount.Should().Be(1);
        second.Checkpoint.FailedStages.Should().BeEmpty();
        second.Checkpoint.Metadata["failure_reason"].GetString().Should().Be("timeout");
    }

    [Fact]
    public async Task ResumeAsync_NothingStored_ReturnsNull()
    {
        (await _manager.ResumeAsync()).Should().BeNull();
        (await _manager.CanResumeAsync()).Should().BeFalse();
    }

    [Fact]
    public async Task GetNextStage_SkipsCompletedAndSkippedStages()
    {
        await _manager.CreateCheckpointAsync(4);
        await _manager.SaveStageCheckpointAsync("a", StageStatus.Completed);
        await _manager.SaveStageCheckpointAsync("b", StageStatus.Skipped);
        await _manager.SaveStageCheckpointAsync("c", StageStatus.Failed);

        _manager.GetNextStage(["a", "b", "c", "d"]).Should().Be("c");
        _manager.GetNextStage(["a", "b"]).Should().BeNull();
    }

    [Fact]
    public async Task CacheLlmResponseAsync_ThenSaveStageWithSameResponse_KeepsItOnce()
    {
        await _manager.CreateCheckpointAsync(1);
        var response = Stages.Response("p", "a");
        await _manager.CacheLlmResponseAsync("plan", response);
        _manager.GetCachedLlmResponse("plan", "p").Should().Be(response);

        await _manager.SaveStageCheckpointAsync("plan", StageStatus.Completed, llmResponses: [response]);

        _manager.Checkpoint!.StageCheckpoints["plan"].LlmResponses.Should().ContainSingle();
        _manager.Checkpoint.PendingLlmResponses.Should().BeEmpty();
    }

    [Fact]
    public async Task GetCachedLlmResponse_CacheDisabled_AlwaysMisses()
    {
        await using var manager = NewManager(new CheckpointManagerOptions { EnableLlmCache = false, TimeProvider = _clock }, "CARD-2");
        await manager.CreateCheckpointAsync(1);
        await manager.CacheLlmResponseAsync("plan", Stages.Response("p"));

        manager.GetCachedLlmResponse("plan", "p").Should().BeNull();
        manager.Checkpoint!.PendingLlmResponses["plan"].Should().ContainSingle();
    }

    [Fact]
    public async Task ClearCheckpointAsync_DeletesStoreAndEmptiesState()
    {
        await _manager.CreateCheckpointAsync(1);
        await _manager.CacheLlmResponseAsync("plan", Stages.Response("p"));

        await _manager.ClearCheckpointAsync();

        _manager.Checkpoint.Should().BeNull();
        _manager.Invoking(m => m.GetCachedLlmResponse("plan", "p")).Should().Throw<InvalidOperationException>("the cache went with the checkpoint");
        (await _repository.ExistsAsync("CARD-1")).Should().BeFalse();
    }

    [Fact]
    public async Task SecondManager_WhileFirstOwnsCard_IsRefused()
    {
        await _manager.CreateCheckpointAsync(1);
        await using var second = NewManager();

        var act = () => second.ResumeAsync();

        await act.Should().ThrowAsync<CheckpointLockedException>().WithMessage("*CARD-1*");
    }

    [Fact]
    public async Task CreateCheckpointAsync_OverStoredRun_ContinuesItsVersion()
    {
        await _manager.CreateCheckpointAsync(1);
        await _manager.SaveStageCheckpointAsync("a", StageStatus.Completed);

        var fresh = await _manager.CreateCheckpointAsync(3);

        fresh.Version.Should().Be(3);
        fresh.StageCheckpoints.Should().BeEmpty();
    }

    [Fact]
    public async Task GetProgress_ReportsCompletedShareAndEstimate()
    {
        await _manager.CreateCheckpointAsync(4);
        var start = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(1));
        await _manager.SaveStageCheckpointAsync("a", StageStatus.Completed, startTime: start);
        await _manager.SetCurrentStageAsync("b");

        var progress = _manager.GetProgress();

        progress.Should().Be(new PipelineProgress(25, 1, 4, "b", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(3)));
    }

    [Fact]
    public void Constructor_EmptyCardId_Throws()
    {
        var act = () => new CheckpointManager(" ", _repository);

        act.Should().Throw<ArgumentException>();
    }

    private CheckpointManager NewManager(CheckpointManagerOptions? options = null, string cardId = "CARD-1") =>
        new(cardId, _repository, options ?? new CheckpointManagerOptions { TimeProvider = _clock });
}
