namespace Checkpointing.Tests.Support;

/// <summary>Builders for test data.</summary>
public static class Stages
{
    public static LlmResponse Response(string prompt, string answer = "answer", string? model = "gpt-4o") =>
        new(prompt, answer) { Model = model };

    public static PipelineCheckpoint Checkpoint(string cardId = "CARD-1", int totalStages = 5, long version = 1) => new()
    {
        CheckpointId = $"checkpoint-{cardId}-1",
        CardId = cardId,
        CreatedAt = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero),
        UpdatedAt = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero),
        TotalStages = totalStages,
        Version = version,
    };

    public static StageCheckpoint Stage(string name, StageStatus status = StageStatus.Completed, int seconds = 10) => new()
    {
        StageName = name,
        Status = status,
        StartTime = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero),
        EndTime = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero).AddSeconds(seconds),
        Duration = TimeSpan.FromSeconds(seconds),
    };
}
