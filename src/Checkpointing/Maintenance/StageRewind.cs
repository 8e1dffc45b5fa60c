using System.Collections.Immutable;
using Checkpointing.Models;

namespace Checkpointing.Maintenance;

/// <summary>The pure state change behind <see cref="CheckpointManager.RewindAsync"/>.</summary>
internal static class StageRewind
{
    /// <summary>
    /// Removes the record of <paramref name="fromStage"/> and of every stage first recorded after it, keeping (or dropping)
    /// their LLM responses as write-ahead responses. A completed run becomes paused, so it can be resumed.
    /// </summary>
    /// <exception cref="ArgumentException">The run has no record of <paramref name="fromStage"/>.</exception>
    public static RewindResult Apply(PipelineCheckpoint current, string fromStage, bool dropLlmResponses, DateTimeOffset now)
    {
        var names = current.StageCheckpoints.Keys.ToList();
        var index = names.IndexOf(fromStage);
        if (index < 0)
        {
            throw new ArgumentException(
                $"Card '{current.CardId}' has no record of stage '{fromStage}', so nothing can be rewound to it. Recorded stages: "
                + (names.Count == 0 ? "none" : string.Join(", ", names)) + ".",
                nameof(fromStage));
        }

        var rewound = names.GetRange(index, names.Count - index);
        var removed = rewound.ToHashSet(StringComparer.Ordinal);
        var pending = ImmutableDictionary.CreateRange(current.PendingLlmResponses);
        int kept = 0, dropped = 0;
        foreach (var name in rewound)
        {
            var responses = current.StageCheckpoints[name].LlmResponses;
            pending.TryGetValue(name, out var waiting);
            var all = responses.Concat(waiting ?? []).ToImmutableList();
            if (dropLlmResponses || all.IsEmpty)
            {
                dropped += all.Count;
                pending = pending.Remove(name);
            }
            else
            {
                kept += all.Count;
                pending = pending.SetItem(name, all);
            }
        }

        var stages = StageCheckpointMap.From(current.StageCheckpoints.Values.Where(s => !removed.Contains(s.StageName)));
        var completed = current.CompletedStages.Where(s => !removed.Contains(s)).ToImmutableList();
        var skipped = current.SkippedStages.Where(s => !removed.Contains(s)).ToImmutableList();
        var completedTicks = completed.Sum(s => stages.TryGetValue(s, out var stage) ? stage.Duration.Ticks : 0);
        var next = current with
        {
            StageCheckpoints = stages,
            CompletedStages = completed,
            FailedStages = current.FailedStages.Where(s => !removed.Contains(s)).ToImmutableList(),
            SkippedStages = skipped,
            CurrentStage = current.CurrentStage is { } stageName && removed.Contains(stageName) ? null : current.CurrentStage,
            PendingLlmResponses = pending,
            Status = current.Status == CheckpointStatus.Completed ? CheckpointStatus.Paused : current.Status,
            EstimatedRemaining = PipelineCheckpoint.EstimateRemaining(completedTicks, completed.Count, skipped.Count, current.TotalStages),
            Version = current.Version + 1,
            UpdatedAt = now,
        };
        return new RewindResult(false, rewound, kept, dropped, next);
    }
}
