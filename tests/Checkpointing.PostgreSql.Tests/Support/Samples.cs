using System.Collections.Immutable;
using System.Text.Json;

namespace Checkpointing.PostgreSql.Tests.Support;

/// <summary>Checkpoints and changes for the store's own tests.</summary>
public static class Samples
{
    public static readonly DateTimeOffset Epoch = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    public static DateTimeOffset At(int seconds) => Epoch.AddSeconds(seconds);

    public static PipelineCheckpoint Checkpoint(string cardId, long version = 1, int responses = 2, int responseBytes = 64)
    {
        var stage = new StageCheckpoint
        {
            StageName = "prepare",
            Status = StageStatus.Completed,
            StartTime = At(1),
            EndTime = At(3),
            Duration = TimeSpan.FromSeconds(2),
            Result = JsonDocument.Parse("""{"ok":true,"items":[1,2.5,"ü"]}""").RootElement.Clone(),
            LlmResponses = Enumerable.Range(0, responses).Select(i => Response($"prepare {i}", responseBytes)).ToImmutableList(),
        };
        return new PipelineCheckpoint
        {
            CheckpointId = $"checkpoint-{cardId}-1772600767",
            CardId = cardId,
            Status = CheckpointStatus.Active,
            CreatedAt = At(0),
            UpdatedAt = At(3),
            CompletedStages = ImmutableList.Create("prepare"),
            StageCheckpoints = new Dictionary<string, StageCheckpoint>(StringComparer.Ordinal) { ["prepare"] = stage },
            TotalStages = 5,
            Version = version,
        };
    }

    public static LlmResponse Response(string prompt, int bytes = 64) =>
        new(prompt, new string('r', bytes)) { Model = "model-a" };

    public static PipelineCheckpoint Apply(this PipelineCheckpoint checkpoint, CheckpointChange change) => change.ApplyTo(checkpoint);
}
