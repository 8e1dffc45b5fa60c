using System.Collections.Immutable;
using System.Text.Json;

namespace Checkpointing;

/// <summary>The pure state transitions behind every <see cref="CheckpointChange"/>.</summary>
public sealed partial record PipelineCheckpoint
{
    /// <summary>Records a stage attempt: replaces its record, files it under its latest status, adds its duration.</summary>
    internal PipelineCheckpoint WithStage(StageCheckpoint stage)
    {
        var completed = MoveTo(CompletedStages, stage, StageStatus.Completed);
        var failed = MoveTo(FailedStages, stage, StageStatus.Failed);
        var skipped = MoveTo(SkippedStages, stage, StageStatus.Skipped);
        var stages = StageCheckpointMap.From(StageCheckpoints).SetItem(stage);
        return this with
        {
            StageCheckpoints = stages,
            CompletedStages = completed,
            FailedStages = failed,
            SkippedStages = skipped,
            TotalDuration = TotalDuration + stage.Duration,
            EstimatedRemaining = EstimateRemaining(stages, completed, skipped.Count, TotalStages),
            PendingLlmResponses = AsImmutable(PendingLlmResponses).Remove(stage.StageName),
        };
    }

    /// <summary>Sets the status; a failure reason is kept as <c>metadata.failure_reason</c>, as the Python manager did.</summary>
    internal PipelineCheckpoint WithStatus(CheckpointStatus status, string? reason)
    {
        var metadata = Metadata;
        if (reason is not null)
        {
            metadata = ImmutableDictionary.CreateRange(Metadata).SetItem("failure_reason", JsonSerializer.SerializeToElement(reason));
        }

        return this with
        {
            Status = status,
            Metadata = metadata,
            EstimatedRemaining = status == CheckpointStatus.Completed ? TimeSpan.Zero : EstimatedRemaining,
        };
    }

    /// <summary>Adds a write-ahead LLM response to the stage's pending list.</summary>
    internal PipelineCheckpoint WithPendingResponse(string stageName, LlmResponse response)
    {
        var pending = AsImmutable(PendingLlmResponses);
        var list = pending.TryGetValue(stageName, out var existing)
            ? (existing as ImmutableList<LlmResponse> ?? ImmutableList.CreateRange(existing)).Add(response)
            : ImmutableList.Create(response);
        return this with { PendingLlmResponses = pending.SetItem(stageName, list) };
    }

    /// <summary>Mean duration of completed stages times the stages neither completed nor skipped; zero before any completes.</summary>
    internal static TimeSpan EstimateRemaining(
        IReadOnlyDictionary<string, StageCheckpoint> stages, IReadOnlyList<string> completed, int skippedCount, int totalStages)
    {
        if (completed.Count == 0)
        {
            return TimeSpan.Zero;
        }

        long ticks = 0;
        foreach (var name in completed)
        {
            ticks += stages.TryGetValue(name, out var stage) ? stage.Duration.Ticks : 0;
        }

        var toDo = Math.Max(0, totalStages - completed.Count - skippedCount);
        return TimeSpan.FromTicks(ticks / completed.Count * toDo);
    }

    private static IReadOnlyList<string> MoveTo(IReadOnlyList<string> list, StageCheckpoint stage, StageStatus listStatus)
    {
        var contains = list.Contains(stage.StageName);
        if (stage.Status == listStatus)
        {
            return contains ? list : AsImmutable(list).Add(stage.StageName);
        }

        return contains ? AsImmutable(list).Remove(stage.StageName) : list;
    }

    private static ImmutableList<string> AsImmutable(IReadOnlyList<string> list) =>
        list as ImmutableList<string> ?? ImmutableList.CreateRange(list);

    private static ImmutableDictionary<string, IReadOnlyList<LlmResponse>> AsImmutable(
        IReadOnlyDictionary<string, IReadOnlyList<LlmResponse>> pending) =>
        pending as ImmutableDictionary<string, IReadOnlyList<LlmResponse>> ?? ImmutableDictionary.CreateRange(pending);
}
