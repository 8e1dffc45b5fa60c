using Checkpointing.Testing;

namespace Checkpointing.Tests.Support;

/// <summary>
/// Cards whose change rows the database stores' fold tests fold: a minimal document, then one cached LLM response per
/// change, saved straight through a repository. Shared by the SQLite and PostgreSQL tests (they reference the
/// conformance kit's samples, which the other test projects do not).
/// </summary>
public static class FoldCards
{
    /// <summary>Saves one cached response for <paramref name="prompt"/> as the next change of <paramref name="checkpoint"/>.</summary>
    /// <returns>The state after the change.</returns>
    public static async Task<PipelineCheckpoint> SaveResponseAsync(ICheckpointRepository repository, PipelineCheckpoint checkpoint, string prompt)
    {
        var applied = new AppliedChange(checkpoint, new LlmResponseCached(checkpoint.Version + 1, CheckpointSamples.At(1), "stage", CheckpointSamples.Response(prompt)));
        await repository.SaveChangeAsync(applied);
        return applied.Checkpoint;
    }

    /// <summary>Saves a minimal document for <paramref name="cardId"/>, then <paramref name="changes"/> cached responses.</summary>
    /// <returns>The state after the last change.</returns>
    public static async Task<PipelineCheckpoint> SaveManyAsync(ICheckpointRepository repository, string cardId, int changes)
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
