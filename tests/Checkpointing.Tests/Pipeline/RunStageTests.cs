using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Checkpointing.Tests.Pipeline;

public sealed class RunStageTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<PipelineProgress> _progress = [];
    private CheckpointManager _manager = null!;

    public async Task InitializeAsync()
    {
        _manager = NewManager();
        await _manager.CreateCheckpointAsync(3);
    }

    public async Task DisposeAsync() => await _manager.DisposeAsync();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task RunStageAsync_CompletedStage_ReturnsStoredResultWithoutRunning()
    {
        await _manager.RunStageAsync("plan", (_, _) => Task.FromResult(new Plan("first", 1)));
        var second = await ReopenAsync();
        var runs = 0;

        var result = await second.RunStageAsync("plan", (_, _) => { runs++; return Task.FromResult(new Plan("again", 2)); });

        result.Should().Be(new Plan("first", 1));
        runs.Should().Be(0);
    }

    [Fact]
    public async Task RunStageAsync_StoredResultOfAnotherType_ThrowsResultExceptionNamingCardStageAndType_WithoutRunning()
    {
        await _manager.RunStageAsync("plan", (_, _) => Task.FromResult(new Plan("first", 1)));
        var runs = 0;

        var act = () => _manager.RunStageAsync("plan", (_, _) => { runs++; return Task.FromResult(42); });

        var error = (await act.Should().ThrowAsync<CheckpointResultException>()).Which;
        error.CardId.Should().Be(_manager.CardId);
        error.StageName.Should().Be("plan");
        error.ResultType.Should().Be<int>();
        error.Message.Should().Contain("'plan'").And.Contain(_manager.CardId).And.Contain("System.Int32").And.Contain("Fingerprint");
        error.InnerException.Should().BeOfType<System.Text.Json.JsonException>();
        runs.Should().Be(0, "a stored result that cannot be read is reported, not silently paid for again");
    }

    [Fact]
    public async Task RunStageAsync_FailingStage_RecordsFailureRethrowsAndRetrySucceedsWithRetryCountOne()
    {
        var boom = new InvalidOperationException("model timed out");
        var act = () => _manager.RunStageAsync<int>("plan", (_, _) => throw boom);

        (await act.Should().ThrowAsync<InvalidOperationException>()).Which.Should().BeSameAs(boom);
        var failed = _manager.Checkpoint!.StageCheckpoints["plan"];
        failed.Status.Should().Be(StageStatus.Failed);
        failed.ErrorMessage.Should().Be("model timed out");
        failed.Metadata["error_type"].GetString().Should().Be("System.InvalidOperationException");

        var value = await _manager.RunStageAsync("plan", (_, _) => Task.FromResult(7));

        value.Should().Be(7);
        var retried = _manager.Checkpoint!.StageCheckpoints["plan"];
        retried.RetryCount.Should().Be(1);
        retried.Status.Should().Be(StageStatus.Completed);
        retried.Metadata.Should().NotContainKey("error_type");
    }

    [Fact]
    public async Task RunStageAsync_Cancelled_RecordsNoFailure()
    {
        using var cts = new CancellationTokenSource();
        var act = () => _manager.RunStageAsync("plan", async (_, token) =>
        {
            await cts.CancelAsync();
            token.ThrowIfCancellationRequested();
            return 1;
        }, cancellationToken: cts.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        _manager.Checkpoint!.StageCheckpoints.Should().NotContainKey("plan");
        _manager.Checkpoint.FailedStages.Should().BeEmpty();
    }

    [Fact]
    public async Task RunStageAsync_SkipCondition_RecordsSkippedAndNeverRuns()
    {
        var runs = 0;

        await _manager.RunStageAsync("deploy", (_, _) => { runs++; return Task.CompletedTask; }, new StageOptions { Skip = _ => true });

        runs.Should().Be(0);
        _manager.Checkpoint!.SkippedStages.Should().Equal("deploy");
    }

    [Fact]
    public async Task RunStageAsync_ChangedFingerprint_RerunsThatStageAndLaterOnesOnly()
    {
        var runs = new List<string>();
        async Task RunAllAsync(CheckpointManager manager, string designFingerprint)
        {
            foreach (var (stage, fingerprint) in new[] { ("requirements", "r1"), ("design", designFingerprint), ("build", "b1") })
            {
                await manager.RunStageAsync(stage, (_, _) => { runs.Add(stage); return Task.FromResult(stage); }, new StageOptions { Fingerprint = fingerprint });
            }
        }

        await RunAllAsync(_manager, "d1");
        runs.Clear();
        await RunAllAsync(await ReopenAsync(), "d2");

        runs.Should().Equal("design", "build");
    }

    [Fact]
    public async Task RunStageAsync_SameFingerprint_DoesNotRerun()
    {
        await _manager.RunStageAsync("plan", (_, _) => Task.FromResult(1), new StageOptions { Fingerprint = "f" });
        var runs = 0;

        await (await ReopenAsync()).RunStageAsync("plan", (_, _) => { runs++; return Task.FromResult(2); }, new StageOptions { Fingerprint = "f" });

        runs.Should().Be(0);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunStageAsync_DeletedOrChangedArtifact_RerunsItsStage(bool delete)
    {
        var artifact = _temp.Combine("design.md");
        await _manager.RunStageAsync("design", async (context, token) =>
        {
            await File.WriteAllTextAsync(artifact, "v1", token);
            context.AddArtifact(artifact);
            return 1;
        });
        _manager.Checkpoint!.StageCheckpoints["design"].Artifacts.Should().Equal(artifact);
        if (delete)
        {
            File.Delete(artifact);
        }
        else
        {
            await File.WriteAllTextAsync(artifact, "v2");
        }

        var runs = 0;
        await (await ReopenAsync()).RunStageAsync("design", (_, _) => { runs++; return Task.FromResult(2); });

        runs.Should().Be(1);
    }

    [Fact]
    public async Task RunStageAsync_ChangedArtifactWithThrowOption_ThrowsNamingTheFile()
    {
        var artifact = _temp.Combine("out.txt");
        await _manager.RunStageAsync("build", async (context, token) =>
        {
            await File.WriteAllTextAsync(artifact, "v1", token);
            context.AddArtifact(artifact);
        });
        File.Delete(artifact);
        var reopened = await ReopenAsync();

        var act = () => reopened.RunStageAsync("build", (_, _) => Task.CompletedTask, new StageOptions { ArtifactValidation = ArtifactValidation.Throw });

        await act.Should().ThrowAsync<CheckpointArtifactException>().WithMessage("*out.txt*missing*");
    }

    [Fact]
    public async Task RunStageAsync_RegisteredArtifactMissingAtEnd_RecordsFailureNamingTheFile()
    {
        var missing = _temp.Combine("never-written.md");
        var act = () => _manager.RunStageAsync("design", (context, _) =>
        {
            context.AddArtifact(missing);
            return Task.FromResult(1);
        });

        await act.Should().ThrowAsync<CheckpointArtifactException>().WithMessage("*never-written.md*design*");
        _manager.Checkpoint!.StageCheckpoints["design"].Status.Should().Be(StageStatus.Failed);
    }

    [Fact]
    public async Task GetOrAddLlmResponseAsync_SameRequest_CallsOnceAndPersistsBeforeReturning()
    {
        var calls = 0;
        var request = LlmRequest.ForPrompt("summarise", "gpt-4o") with { Temperature = 0 };
        Task<LlmResponse> Call(CancellationToken _) { Interlocked.Increment(ref calls); return Task.FromResult(new LlmResponse("", "summary")); }

        var first = await _manager.GetOrAddLlmResponseAsync("plan", request, Call);
        var second = await _manager.GetOrAddLlmResponseAsync("plan", request, Call);

        calls.Should().Be(1);
        second.Should().Be(first);
        first.Prompt.Should().Be("summarise");
        first.Model.Should().Be("gpt-4o");
        first.RequestKey.Should().Be(request.CacheKey);
        var stored = await new FileSystemCheckpointRepository(_temp.Path).LoadAsync("CARD-1");
        stored!.PendingLlmResponses["plan"].Should().ContainSingle().Which.RequestKey.Should().Be(request.CacheKey);
    }

    [Fact]
    public async Task GetOrAddLlmResponseAsync_ConcurrentSameRequest_MakesOneCall()
    {
        var calls = 0;
        var gate = new TaskCompletionSource();
        var request = LlmRequest.ForPrompt("p", "m");
        async Task<LlmResponse> Call(CancellationToken _)
        {
            Interlocked.Increment(ref calls);
            await gate.Task;
            return new LlmResponse("p", "a");
        }

        var tasks = Enumerable.Range(0, 8).Select(_ => _manager.GetOrAddLlmResponseAsync("plan", request, Call)).ToList();
        gate.SetResult();
        await Task.WhenAll(tasks);

        calls.Should().Be(1);
    }

    [Theory]
    [InlineData("length")]
    [InlineData("error")]
    public async Task GetOrAddLlmResponseAsync_TruncatedOrFailedResponse_IsNeverCached(string finishReason)
    {
        var calls = 0;
        var request = LlmRequest.ForPrompt("p", "m");
        Task<LlmResponse> Call(CancellationToken _) { calls++; return Task.FromResult(new LlmResponse("p", "partial") { FinishReason = finishReason }); }

        await _manager.GetOrAddLlmResponseAsync("plan", request, Call);
        await _manager.GetOrAddLlmResponseAsync("plan", request, Call);

        calls.Should().Be(2);
        _manager.Checkpoint!.PendingLlmResponses.Should().BeEmpty();
    }

    [Fact]
    public async Task RunStageAsync_ReportsProgressAtStartAndEnd()
    {
        await _manager.RunStageAsync("plan", (_, _) => Task.FromResult(1));

        _progress.Should().HaveCount(2);
        _progress[0].CurrentStage.Should().Be("plan");
        _progress[0].StagesCompleted.Should().Be(0);
        _progress[1].StagesCompleted.Should().Be(1);
    }

    [Fact]
    public async Task GetCostReport_SumsUsagePerStageAndWhatTheCacheSaved()
    {
        var usage = new LlmUsage(100, 50, 0.01m, "USD");
        Task<LlmResponse> Call(CancellationToken _) => Task.FromResult(new LlmResponse("", "a") { Usage = usage });
        await _manager.RunStageAsync("plan", async (context, token) =>
            (await context.GetOrAddLlmResponseAsync(LlmRequest.ForPrompt("p", "m"), Call, token)).Response);
        var crash = () => _manager.RunStageAsync<string>("review", async (context, token) =>
        {
            await context.GetOrAddLlmResponseAsync(LlmRequest.ForPrompt("q", "m"), Call, token);
            throw new TimeoutException("crash after the paid call");
        });
        await crash.Should().ThrowAsync<TimeoutException>();

        var reopened = await ReopenAsync();
        await reopened.RunStageAsync("review", async (context, token) =>
            (await context.GetOrAddLlmResponseAsync(LlmRequest.ForPrompt("q", "m"), Call, token)).Response);
        var report = reopened.GetCostReport();

        report.Stages.Select(s => s.StageName).Should().Equal("plan", "review");
        report.Total.Calls.Should().Be(2);
        report.Total.PromptTokens.Should().Be(200);
        report.Total.CostByCurrency["USD"].Should().Be(0.02m);
        report.SavedByCache.Calls.Should().Be(1);
        report.SavedByCache.CompletionTokens.Should().Be(50);
        report.Stages[1].SavedByCache.CostByCurrency["USD"].Should().Be(0.01m);
    }

    private async Task<CheckpointManager> ReopenAsync()
    {
        await _manager.DisposeAsync();
        _manager = NewManager();
        (await _manager.ResumeAsync()).Should().NotBeNull();
        return _manager;
    }

    private CheckpointManager NewManager() => new(
        "CARD-1",
        new FileSystemCheckpointRepository(_temp.Path),
        new CheckpointManagerOptions { TimeProvider = _clock, Progress = new SynchronousProgress(_progress) });

    public sealed record Plan(string Summary, int Version);

    private sealed class SynchronousProgress(List<PipelineProgress> sink) : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value) => sink.Add(value);
    }
}
