using System.Collections.Immutable;
using System.Text.Json;
using Checkpointing.Json;
using Checkpointing.Models;

namespace Checkpointing;

/// <summary>The pure state transitions behind every <see cref="CheckpointChange"/>.</summary>
public sealed partial record PipelineCheckpoint
{
    /// <summary>
    /// Gets the summed duration of completed stages, in ticks. Computed once and then carried from state to state by
    /// <see cref="WithStage"/>, so recording a stage costs O(log stages), not O(stages).
    /// </summary>
    internal long CompletedTicks
    {
        get
        {
            var ticks = Volatile.Read(ref _derived.CompletedTicks);
            if (ticks < 0)
            {
                ticks = 0;
                foreach (var name in CompletedStages)
                {
                    ticks = checked(ticks + (StageCheckpoints.TryGetValue(name, out var stage) ? stage.Duration.Ticks : 0));
                }

                Volatile.Write(ref _derived.CompletedTicks, ticks);
            }

            return ticks;
        }

        init => _derived = _derived.With(completedTicks: value);
    }

    /// <summary>
    /// Gets whether every stage named in <see cref="CompletedStages"/>, <see cref="FailedStages"/> and
    /// <see cref="SkippedStages"/> has a record. True for every checkpoint this library builds; a file of another writer
    /// may list a stage it has no record of. Computed once and then carried by <see cref="WithStage"/>; setting
    /// <see langword="false"/> means "compute again".
    /// </summary>
    internal bool ListedStagesRecorded
    {
        get
        {
            var known = Volatile.Read(ref _derived.ListedStagesRecorded);
            if (known == DerivedFacts.Unknown)
            {
                known = CompletedStages.Concat(FailedStages).Concat(SkippedStages).All(StageCheckpoints.ContainsKey) ? DerivedFacts.Yes : DerivedFacts.No;
                Volatile.Write(ref _derived.ListedStagesRecorded, known);
            }

            return known == DerivedFacts.Yes;
        }

        init => _derived = _derived.With(listedStagesRecorded: value ? DerivedFacts.Yes : DerivedFacts.Unknown);
    }

    /// <summary>Records a stage attempt: replaces its record, files it under its latest status, adds its duration.</summary>
    /// <exception cref="OverflowException">A summed duration no longer fits in a <see cref="TimeSpan"/>.</exception>
    internal PipelineCheckpoint WithStage(StageCheckpoint stage)
    {
        StageCheckpoints.TryGetValue(stage.StageName, out var previous);
        var completedTicks = checked(CompletedTicks
            - (previous?.Status == StageStatus.Completed ? previous.Duration.Ticks : 0)
            + (stage.Status == StageStatus.Completed ? stage.Duration.Ticks : 0));
        var listedRecorded = ListedStagesRecorded;
        var completed = MoveTo(CompletedStages, stage, previous, listedRecorded, StageStatus.Completed);
        var failed = MoveTo(FailedStages, stage, previous, listedRecorded, StageStatus.Failed);
        var skipped = MoveTo(SkippedStages, stage, previous, listedRecorded, StageStatus.Skipped);
        return this with
        {
            StageCheckpoints = StageCheckpointMap.From(StageCheckpoints).SetItem(stage),
            CompletedStages = completed,
            FailedStages = failed,
            SkippedStages = skipped,
            CompletedTicks = completedTicks, // after the properties above, whose setters reset it
            ListedStagesRecorded = listedRecorded, // likewise; a stage recorded now is listed once, where it belongs
            TotalDuration = TotalDuration + stage.Duration,
            EstimatedRemaining = EstimateRemaining(completedTicks, completed.Count, skipped.Count, TotalStages),
            PendingLlmResponses = AsImmutable(PendingLlmResponses).Remove(stage.StageName),
        };
    }

    /// <summary>Sets the status; a failure reason is kept as <c>metadata.failure_reason</c>, as the Python manager did.</summary>
    internal PipelineCheckpoint WithStatus(CheckpointStatus status, string? reason)
    {
        var metadata = Metadata;
        if (reason is not null)
        {
            metadata = ImmutableDictionary.CreateRange(Metadata).SetItem("failure_reason", LibraryJsonContext.StringValue(reason));
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
    internal static TimeSpan EstimateRemaining(long completedTicks, int completedCount, int skippedCount, int totalStages)
    {
        if (completedCount == 0)
        {
            return TimeSpan.Zero;
        }

        // An estimate: past what a TimeSpan holds it saturates instead of failing the save.
        var toDo = Math.Max(0, totalStages - completedCount - skippedCount);
        var mean = completedTicks / completedCount;
        return toDo != 0 && Math.Abs(mean) > TimeSpan.MaxValue.Ticks / toDo
            ? (mean < 0 ? TimeSpan.MinValue : TimeSpan.MaxValue)
            : TimeSpan.FromTicks(mean * toDo);
    }

    /// <summary>
    /// Keeps a status list in step with a stage's new record. The stage's previous record says which list holds it; a
    /// stage seen for the first time is in no list, unless a file of another writer listed stages it has no record of
    /// (<paramref name="listedStagesRecorded"/> false): only then is the list searched.
    /// </summary>
    private static IReadOnlyList<string> MoveTo(
        IReadOnlyList<string> list, StageCheckpoint stage, StageCheckpoint? previous, bool listedStagesRecorded, StageStatus listStatus)
    {
        var belongs = stage.Status == listStatus;
        var isIn = previous is null
            ? !listedStagesRecorded && list.Contains(stage.StageName)
            : previous.Status == listStatus;
        return (belongs, isIn) switch
        {
            (true, false) => AsImmutable(list).Add(stage.StageName),
            (false, true) => AsImmutable(list).Remove(stage.StageName),
            _ => list,
        };
    }

    private static ImmutableList<string> AsImmutable(IReadOnlyList<string> list) =>
        list as ImmutableList<string> ?? ImmutableList.CreateRange(list);

    private static ImmutableDictionary<string, IReadOnlyList<LlmResponse>> AsImmutable(
        IReadOnlyDictionary<string, IReadOnlyList<LlmResponse>> pending) =>
        pending as ImmutableDictionary<string, IReadOnlyList<LlmResponse>> ?? ImmutableDictionary.CreateRange(pending);
}
