using System.Text.Json;
using Checkpointing.Manager;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Checkpointing.Tests.Manager;

public sealed class CheckpointCreatorTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly CheckpointCreator _creator;

    public CheckpointCreatorTests() => _creator = new CheckpointCreator(_clock, new JsonSerializerOptions());

    [Fact]
    public void CreateCheckpoint_UsesClockAndPythonStyleId()
    {
        var checkpoint = _creator.CreateCheckpoint("CARD-9", 4, new Dictionary<string, object?> { ["repo"] = "acme/shop", ["attempt"] = 2 }, 1);

        checkpoint.CheckpointId.Should().Be($"checkpoint-CARD-9-{_clock.GetUtcNow().ToUnixTimeSeconds()}");
        checkpoint.CreatedAt.Should().Be(_clock.GetUtcNow());
        checkpoint.Status.Should().Be(CheckpointStatus.Active);
        checkpoint.ExecutionContext["repo"].GetString().Should().Be("acme/shop");
        checkpoint.ExecutionContext["attempt"].GetInt32().Should().Be(2);
    }

    [Fact]
    public void CreateStage_MissingEnd_IsNowFromTheClock()
    {
        var start = _clock.GetUtcNow().AddSeconds(-42);

        var stage = _creator.CreateStage(Stages.Checkpoint(), new StageAttempt("plan", StageStatus.Completed) { StartTime = start });

        stage.EndTime.Should().Be(_clock.GetUtcNow());
        stage.Duration.Should().Be(TimeSpan.FromSeconds(42));
    }

    [Fact]
    public void CreateStage_EndBeforeStart_Throws()
    {
        var now = _clock.GetUtcNow();
        var act = () => _creator.CreateStage(Stages.Checkpoint(), new StageAttempt("plan", StageStatus.Completed) { StartTime = now, EndTime = now.AddSeconds(-1) });

        act.Should().Throw<ArgumentException>().WithMessage("*before the start time*");
    }

    [Fact]
    public void CreateStage_AfterFailure_IncrementsRetryCount()
    {
        var checkpoint = new StageRecorded(2, _clock.GetUtcNow(), Stages.Stage("plan", StageStatus.Failed)).ApplyTo(Stages.Checkpoint());

        var retry = _creator.CreateStage(checkpoint, new StageAttempt("plan", StageStatus.Completed));

        retry.RetryCount.Should().Be(1);
    }

    [Fact]
    public void CreateStage_MergesEarlierPendingAndGivenResponsesOnce()
    {
        var checkpoint = Stages.Checkpoint();
        checkpoint = new LlmResponseCached(2, _clock.GetUtcNow(), "plan", Stages.Response("p1", "a1")).ApplyTo(checkpoint);
        checkpoint = new LlmResponseCached(3, _clock.GetUtcNow(), "plan", Stages.Response("p2", "a2")).ApplyTo(checkpoint);

        var stage = _creator.CreateStage(
            checkpoint, new StageAttempt("plan", StageStatus.Completed) { LlmResponses = [Stages.Response("p2", "a2"), Stages.Response("p3", "a3")] });

        stage.LlmResponses.Select(r => r.Prompt).Should().Equal("p1", "p2", "p3");
    }

    [Fact]
    public void CreateStage_SerializesResultSoGetResultReadsItBack()
    {
        var stage = _creator.CreateStage(Stages.Checkpoint(), new StageAttempt("plan", StageStatus.Completed) { Result = new PlanResult("done", 3) });

        stage.GetResult<PlanResult>().Should().Be(new PlanResult("done", 3));
    }

    [Fact]
    public void GetProgress_RoundsPercentToTwoDecimals()
    {
        var checkpoint = new StageRecorded(2, _clock.GetUtcNow(), Stages.Stage("a", seconds: 30)).ApplyTo(Stages.Checkpoint(totalStages: 3));

        var progress = CheckpointCreator.GetProgress(checkpoint);

        progress.ProgressPercent.Should().Be(33.33);
        progress.StagesCompleted.Should().Be(1);
        progress.TotalStages.Should().Be(3);
        progress.Elapsed.Should().Be(TimeSpan.FromSeconds(30));
        progress.EstimatedRemaining.Should().Be(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void GetProgress_NoStagesDeclared_IsZeroPercent() =>
        CheckpointCreator.GetProgress(Stages.Checkpoint(totalStages: 0)).ProgressPercent.Should().Be(0);

    public sealed record PlanResult(string Summary, int Files);
}
