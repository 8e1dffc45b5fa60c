using Checkpointing.Testing;

namespace Checkpointing.PostgreSql.Tests.Support;

/// <summary>Cards whose change rows a fold test folds: a minimal document, then one cached LLM response per change.</summary>
public static class FoldCards
{
    /// <summary>Saves one cached response as the next change of <paramref name="checkpoint"/> and returns the state after it.</summary>
    public static async Task<PipelineCheckpoint> SaveResponseAsync(PostgreSqlCheckpointRepository repository, PipelineCheckpoint checkpoint, string prompt)
    {
        var applied = new AppliedChange(checkpoint, new LlmResponseCached(checkpoint.Version + 1, CheckpointSamples.At(1), "stage", CheckpointSamples.Response(prompt)));
        await repository.SaveChangeAsync(applied);
        return applied.Checkpoint;
    }

    /// <summary>Saves a minimal document for <paramref name="cardId"/>, then <paramref name="changes"/> cached responses.</summary>
    public static async Task<PipelineCheckpoint> SaveManyAsync(PostgreSqlCheckpointRepository repository, string cardId, int changes)
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
