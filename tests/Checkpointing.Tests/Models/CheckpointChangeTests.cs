using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Models;

public sealed class CheckpointChangeTests
{
    private static readonly DateTimeOffset At = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ApplyTo_StageRecorded_FilesStageUnderItsLatestStatus()
    {
        var failed = new StageRecorded(2, At, Stages.Stage("build", StageStatus.Failed)).ApplyTo(Stages.Checkpoint());
        var completed = new StageRecorded(3, At, Stages.Stage("build")).ApplyTo(failed);

        failed.FailedStages.Should().Equal("build");
        completed.FailedStages.Should().BeEmpty();
        completed.CompletedStages.Should().Equal("build");
        completed.StagesCompleted.Should().Be(1);
        completed.Version.Should().Be(3);
        completed.UpdatedAt.Should().Be(At);
    }

    [Fact]
    public void ApplyTo_StageRecorded_StageListedWithoutARecord_IsNotListedTwice()
    {
        // Files of other writers can list a stage they have no record of; recording it must not list it twice.
        var file = Stages.Checkpoint() with { CompletedStages = ["plan", "build"], FailedStages = ["test"] };

        var built = new StageRecorded(2, At, Stages.Stage("build")).ApplyTo(file);
        var tested = new StageRecorded(3, At, Stages.Stage("test")).ApplyTo(built);
        var deployed = new StageRecorded(4, At, Stages.Stage("deploy")).ApplyTo(tested);

        built.CompletedStages.Should().Equal("plan", "build");
        tested.CompletedStages.Should().Equal("plan", "build", "test");
        tested.FailedStages.Should().BeEmpty("its record now says completed");
        deployed.CompletedStages.Should().Equal("plan", "build", "test", "deploy");
    }

    [Fact]
    public void ApplyTo_ReadingAState_DoesNotChangeItsEqualityOrHash()
    {
        // The facts cached to make a save O(1) are derived from the state, so computing them changes nothing visible.
        var checkpoint = Stages.Checkpoint() with
        {
            CompletedStages = ["plan"],
            StageCheckpoints = new Dictionary<string, StageCheckpoint> { ["plan"] = Stages.Stage("plan") },
        };
        var copy = checkpoint with { };
        var (equalBefore, hashBefore) = (copy.Equals(checkpoint), checkpoint.GetHashCode());

        _ = new StageRecorded(2, At, Stages.Stage("build")).ApplyTo(checkpoint);

        equalBefore.Should().BeTrue();
        copy.Equals(checkpoint).Should().BeTrue();
        checkpoint.GetHashCode().Should().Be(hashBefore).And.Be(copy.GetHashCode());
    }

    [Fact]
    public void ApplyTo_StageRecorded_ListsReplacedAfterARecord_AreSearchedAgain()
    {
        // The knowledge that every listed stage has a record is carried from state to state; replacing a list drops it.
        var recorded = new StageRecorded(2, At, Stages.Stage("plan")).ApplyTo(Stages.Checkpoint());
        var edited = recorded with { SkippedStages = ["lint"] };

        var linted = new StageRecorded(3, At, Stages.Stage("lint", StageStatus.Skipped)).ApplyTo(edited);

        linted.SkippedStages.Should().Equal("lint");
        linted.CompletedStages.Should().Equal("plan");
    }

    [Fact]
    public void ApplyTo_StageRecorded_AddsEveryAttemptToTotalDuration()
    {
        var checkpoint = new StageRecorded(2, At, Stages.Stage("build", StageStatus.Failed, seconds: 5)).ApplyTo(Stages.Checkpoint());
        checkpoint = new StageRecorded(3, At, Stages.Stage("build", StageStatus.Completed, seconds: 7)).ApplyTo(checkpoint);

        checkpoint.TotalDuration.Should().Be(TimeSpan.FromSeconds(12));
    }

    [Fact]
    public void ApplyTo_StageRecorded_EstimatesRemainingFromMeanCompletedDuration()
    {
        var checkpoint = Stages.Checkpoint(totalStages: 5);
        checkpoint = new StageRecorded(2, At, Stages.Stage("a", seconds: 10)).ApplyTo(checkpoint);
        checkpoint = new StageRecorded(3, At, Stages.Stage("b", seconds: 20)).ApplyTo(checkpoint);
        checkpoint = new StageRecorded(4, At, Stages.Stage("c", StageStatus.Skipped, seconds: 0)).ApplyTo(checkpoint);
        checkpoint = new StageRecorded(5, At, Stages.Stage("d", StageStatus.Failed, seconds: 99)).ApplyTo(checkpoint);

        // mean 15 s x (5 total - 2 completed - 1 skipped) = 30 s; the failed stage is still to do.
        checkpoint.EstimatedRemaining.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void ApplyTo_NoCompletedStage_EstimatesZero()
    {
        var checkpoint = new StageRecorded(2, At, Stages.Stage("a", StageStatus.Failed)).ApplyTo(Stages.Checkpoint());

        checkpoint.EstimatedRemaining.Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public void ApplyTo_StaleVersion_ThrowsConflictNamingBothVersions()
    {
        var act = () => new CurrentStageSet(5, At, "x").ApplyTo(Stages.Checkpoint(version: 1));

        act.Should().Throw<CheckpointConflictException>()
            .Where(e => e.StoredVersion == 1 && e.AttemptedVersion == 5)
            .WithMessage("*version 1*version 5*");
    }

    [Fact]
    public void ApplyTo_LlmResponseCached_AddsToPendingUntilTheStageIsRecorded()
    {
        var checkpoint = new LlmResponseCached(2, At, "plan", Stages.Response("p1")).ApplyTo(Stages.Checkpoint());
        checkpoint.PendingLlmResponses["plan"].Should().ContainSingle().Which.Prompt.Should().Be("p1");

        checkpoint = new StageRecorded(3, At, Stages.Stage("plan")).ApplyTo(checkpoint);

        checkpoint.PendingLlmResponses.Should().BeEmpty();
    }

    [Fact]
    public void ApplyTo_StatusFailed_KeepsReasonInMetadata()
    {
        var checkpoint = new StatusChanged(2, At, CheckpointStatus.Failed, "boom").ApplyTo(Stages.Checkpoint());

        checkpoint.Status.Should().Be(CheckpointStatus.Failed);
        checkpoint.Metadata["failure_reason"].GetString().Should().Be("boom");
    }

    [Fact]
    public void ApplyTo_Resumed_CountsResumesAndRecordsTime()
    {
        var checkpoint = new CheckpointResumed(2, At).ApplyTo(Stages.Checkpoint());
        checkpoint = new CheckpointResumed(3, At.AddHours(1)).ApplyTo(checkpoint);

        checkpoint.Status.Should().Be(CheckpointStatus.Resumed);
        checkpoint.ResumeCount.Should().Be(2);
        checkpoint.LastResumeTime.Should().Be(At.AddHours(1));
    }

    [Fact]
    public void StageCheckpoints_KeepFirstRecordedOrder()
    {
        var checkpoint = Stages.Checkpoint();
        checkpoint = new StageRecorded(2, At, Stages.Stage("z", StageStatus.Failed)).ApplyTo(checkpoint);
        checkpoint = new StageRecorded(3, At, Stages.Stage("a")).ApplyTo(checkpoint);
        checkpoint = new StageRecorded(4, At, Stages.Stage("z")).ApplyTo(checkpoint);

        checkpoint.StageCheckpoints.Keys.Should().Equal("z", "a");
        checkpoint.StageCheckpoints["z"].Status.Should().Be(StageStatus.Completed);
    }
}
