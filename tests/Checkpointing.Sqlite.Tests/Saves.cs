using Checkpointing.Testing;

namespace Checkpointing.Sqlite.Tests;

/// <summary>Saves the fold tests make: one cached LLM response per change row, straight through a repository.</summary>
public static class Saves
{
    /// <summary>Saves one change (a cached response for <paramref name="prompt"/>) on top of <paramref name="checkpoint"/>.</summary>
    /// <returns>The state after the change.</returns>
    public static async Task<PipelineCheckpoint> SaveResponseAsync(SqliteCheckpointRepository repository, PipelineCheckpoint checkpoint, string prompt)
    {
        var applied = new AppliedChange(checkpoint, new LlmResponseCached(checkpoint.Version + 1, CheckpointSamples.At(1), "stage", CheckpointSamples.Response(prompt)));
        await repository.SaveChangeAsync(applied);
        return applied.Checkpoint;
    }

    /// <summary>Saves a new card, then <paramref name="changes"/> changes on it.</summary>
    /// <returns>The state after the last change.</returns>
    public static async Task<PipelineCheckpoint> SaveManyAsync(SqliteCheckpointRepository repository, string cardId, int changes)
    {
        var checkpoint = CheckpointSamples.Minimal(cardId);
        await repository.SaveAsync(checkpoint);
        for (var i = 0; i < changes; i++)
        {
            checkpoint = await SaveResponseAsync(repository, checkpoint, $"prompt {i}");
        }

        return checkpoint;
    }
}
